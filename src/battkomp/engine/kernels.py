"""Compiled loops for the hottest parts of a Monte Carlo block (numba, docs/decisions.md 52).

A block's numpy code made many small passes over (draws, cells) arrays: per year and draw row a
score of element-wise operations, each a call with its own temporaries. The loops here do the
same arithmetic in one pass per draw, written operation by operation in the order numpy did it
(no ``fastmath``, so no reassociation and no fused multiply-adds), so that they give numpy's bits
where they replace element-wise work and sums along short axes (:func:`_sum`).

Every function is compiled once per machine and cached on disk (``cache=True``) and releases the
GIL (``nogil=True``), so that the run's threads compute blocks side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numba import njit

_F = TypeVar("_F", bound=Callable[..., Any])


def compiled(fn: _F) -> _F:
    """Compile ``fn`` with numba: cached on disk, releasing the GIL, IEEE arithmetic as written."""
    out: _F = njit(cache=True, nogil=True)(fn)  # type: ignore[assignment]  # a Dispatcher
    return out


# The kernels are plain loops over float64 arrays; their arguments are documented with shapes:
# D draws, T years, C cells (level-major: cell = level × A + area), L levels, A areas, P measure
# pairs.


@compiled
def _max(a: float, b: float) -> float:
    """``np.maximum`` of two floats (NaN propagates, and ``a`` wins a tie, so -0.0 stays)."""
    return a if (a >= b or a != a) else b


@compiled
def _min(a: float, b: float) -> float:
    """``np.minimum`` of two floats."""
    return a if (a <= b or a != a) else b


@compiled
def _sum(x: np.ndarray, start: int, n: int) -> float:
    """``x[start:start + n].sum()`` with numpy's bits: its pairwise sum (eight partial sums
    below 128 values, halves above) added to the reduction's initial 0.0."""
    return 0.0 + _pairwise(x, start, n)


@compiled
def _pairwise(x: np.ndarray, start: int, n: int) -> float:
    res: float
    if n < 8:
        res = -0.0
        for i in range(n):
            res += x[start + i]
        return res
    if n <= 128:
        r0: float = x[start]
        r1, r2, r3 = x[start + 1], x[start + 2], x[start + 3]
        r4, r5, r6, r7 = x[start + 4], x[start + 5], x[start + 6], x[start + 7]
        i = 8
        while i < n - (n % 8):
            r0 += x[start + i]
            r1 += x[start + i + 1]
            r2 += x[start + i + 2]
            r3 += x[start + i + 3]
            r4 += x[start + i + 4]
            r5 += x[start + i + 5]
            r6 += x[start + i + 6]
            r7 += x[start + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += x[start + i]
            i += 1
        return res
    half = n // 2
    half -= half % 8
    res = _pairwise(x, start, half)
    res += _pairwise(x, start + half, n - half)
    return res


@compiled
def year_loop(
    staff: np.ndarray,  # (D, T+1, C) staff needed, years base-1..end
    replacement_full: np.ndarray,  # (D, T, C) replacement if every post were filled
    implied: np.ndarray,  # (D, T, C) replacement the survey's answers imply
    education: np.ndarray,  # (D, T, C)
    fixed: np.ndarray,  # (D, T, C) the measures' fixed arrivals; (0, 0, 0) without measures
    retraining_capacity: np.ndarray,  # (T, C)
    cell_cap: np.ndarray,  # (T, C) area recruitment channels, before the draw's factor
    level_cap: np.ndarray,  # (T, L) level-wide channels, before the draw's factor
    recruit_factor: np.ndarray,  # (D,)
    pair_cap: np.ndarray,  # (P, T) the measures' extra recruitment capacity (P may be 0)
    pair_cell: np.ndarray,  # (P,) cell of each pair
    out: np.ndarray,  # out (8, D, T, C): expansion, replacement, openings, released,
    # retraining, recruitment, gap, cumulative gap (as national_flows names them)
    measures_out: np.ndarray,  # out (2, D, T, C): the gap without the measures and the
    # measures' extra recruits; (2, 0, 0, 0) without measures
    pair_recruits: np.ndarray,  # out (D, P, T) the measures' extra recruits per pair
) -> None:
    """``national_flows``' year loop (see there), one draw at a time. With measures
    (``fixed`` not empty) every draw is computed twice, without and then with the measures'
    supply; only the gap with measures carries over to the next year."""
    D, E, C = staff.shape
    T = E - 1
    expansion, replacement, openings, released = out[0], out[1], out[2], out[3]
    retraining, recruitment, gap, cumulative = out[4], out[5], out[6], out[7]
    without, extra = measures_out[0], measures_out[1]
    L = level_cap.shape[1]
    A = C // L
    P = pair_cell.shape[0]
    with_measures = fixed.shape[0] > 0
    unfilled = np.zeros(C)
    domestic = np.empty(C)
    short = np.empty(C)
    specific = np.empty(C)
    rest = np.empty(C)
    ratio = np.empty(L)
    cap_cells = np.empty(C)
    cap_pairs = np.empty(P)
    for d in range(D):
        unfilled[:] = 0.0
        f = recruit_factor[d]
        for t in range(T):
            for c in range(C):
                needed = staff[d, t, c]
                x = staff[d, t + 1, c] - needed
                expansion[d, t, c] = x
                # share of last year's staff needed that was in place
                if needed > unfilled[c]:
                    in_place = (needed - unfilled[c]) / needed
                else:
                    in_place = 1.0 if needed <= 0.0 else 0.0
                rep = replacement_full[d, t, c] * in_place
                rep += implied[d, t, c]
                replacement[d, t, c] = rep
                demand = x + rep
                openings[d, t, c] = _max(demand, 0.0)
                freed = _max(-demand, 0.0)
                released[d, t, c] = freed
                domestic[c] = education[d, t, c] + freed
            for v in range(2 if with_measures else 1):
                last = v == 1 or not with_measures
                # education and released workers arrive whatever the need; retraining, then the
                # recruitment channels answer what is left, each up to its capacity
                for c in range(C):
                    dom = domestic[c] + fixed[d, t, c] if v == 1 else domestic[c]
                    s = openings[d, t, c] - dom
                    r = _min(_max(s, 0.0), retraining_capacity[t, c])
                    s -= r
                    short[c] = s
                    need = _max(s, 0.0)
                    sp = _min(need, cell_cap[t, c] * f)
                    specific[c] = sp
                    rest[c] = need - sp
                    if last:
                        retraining[d, t, c] = r
                # level-wide channels share out pro rata where the need exceeds them
                for lv in range(L):
                    total = _sum(rest, lv * A, A)
                    cap = level_cap[t, lv] * f
                    if total > cap:
                        ratio[lv] = cap / total
                    else:
                        ratio[lv] = 1.0 if total > 0 else 0.0
                for c in range(C):
                    rec = specific[c] + rest[c] * ratio[c // A]
                    g = short[c] - rec
                    if last:
                        recruitment[d, t, c] = rec
                    if with_measures and v == 0:
                        without[d, t, c] = g
                    else:
                        short[c] = g
            if with_measures:
                # then the measures' extra recruitment capacity, shared out to the pairs of a
                # cell in proportion to their capacity
                cap_cells[:] = 0.0
                for p in range(P):
                    cap_pairs[p] = pair_cap[p, t] * f
                    cap_cells[pair_cell[p]] += cap_pairs[p]
                for c in range(C):
                    used = _min(_max(short[c], 0.0), cap_cells[c])
                    extra[d, t, c] = used
                    short[c] -= used
                    cap_cells[c] = used / cap_cells[c] if cap_cells[c] > 0 else 0.0
                for p in range(P):
                    pair_recruits[d, p, t] = cap_pairs[p] * cap_cells[pair_cell[p]]
            for c in range(C):
                g = short[c]
                gap[d, t, c] = g
                u = _max(unfilled[c] + g, 0.0)
                unfilled[c] = u
                cumulative[d, t, c] = u
