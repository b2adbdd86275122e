"""Compiled loops for the hottest parts of a run (numba, docs/decisions.md 52).

A Monte Carlo block's numpy code made many small passes over (draws, cells) arrays: per year and
draw row a score of element-wise operations, each a call with its own temporaries, and the survey
estimator's fancy-indexed gathers and scatters. The loops here do the same arithmetic in one pass
per draw, written operation by operation in the order numpy did it (no ``fastmath``, so no
reassociation and no fused multiply-adds; sums along short axes as numpy's pairwise sum,
:func:`_sum`). On the demo bundle they give the numpy code's results bit for bit (checked on
every frame of five runs when they were written; docs/performance.md).

Every function is compiled on its first call and cached on disk (``cache=True``: next to this
file, or in the user's cache directory, or in ``NUMBA_CACHE_DIR``), and releases the GIL
(``nogil=True``), so that the run's threads compute blocks side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numba import njit

_F = TypeVar("_F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
_uncached: list[str] = []  # functions compiled without a cache


def compiled(fn: _F) -> _F:
    """Compile ``fn`` with numba: cached on disk, releasing the GIL, IEEE arithmetic as written.
    Where no cache directory is writable, it is compiled in every process instead (seconds on
    the first run), with a warning."""
    try:
        out: _F = njit(cache=True, nogil=True)(fn)  # type: ignore[assignment]  # a Dispatcher
    except RuntimeError as exc:  # numba: "cannot cache function …: no locator available"
        if not _uncached:
            log.warning("%s; set NUMBA_CACHE_DIR to a writable folder", exc)
        _uncached.append(fn.__name__)
        out = njit(nogil=True)(fn)  # type: ignore[assignment]
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
    """``x[start:start + n].sum()`` with numpy's bits: its pairwise sum (eight partial sums up
    to 128 values, above that the sum of two halves, each split again), added to the
    reduction's initial 0.0. The halves are walked with a stack of their own, not by recursion
    (numba's cache cannot load a function that calls a recursive one: it crashed)."""
    if n <= 128:
        return 0.0 + _leaf(x, start, n)
    # post-order walk of numpy's tree of halves: (start, n, state) per node, sums per level
    node_start = np.empty(64, np.int64)
    node_n = np.empty(64, np.int64)
    node_state = np.zeros(64, np.int64)
    sums = np.empty(64)
    top, n_sums = 0, 0
    node_start[0], node_n[0], node_state[0] = start, n, 0
    while top >= 0:
        m = node_n[top]
        if m <= 128:
            sums[n_sums] = _leaf(x, node_start[top], m)
            n_sums += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        state = node_state[top]
        if state < 2:
            node_state[top] = state + 1
            child = top + 1
            node_start[child] = node_start[top] + (0 if state == 0 else half)
            node_n[child] = half if state == 0 else m - half
            node_state[child] = 0
            top = child
        else:
            n_sums -= 1
            sums[n_sums - 1] += sums[n_sums]
            top -= 1
    total: float = 0.0 + sums[0]
    return total


@compiled
def _leaf(x: np.ndarray, start: int, n: int) -> float:
    """numpy's pairwise sum of at most 128 values."""
    res: float
    if n < 8:
        res = -0.0
        for i in range(n):
            res += x[start + i]
        return res
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


@compiled
def facility_paths(
    profile: np.ndarray,  # (F, K, G, E) staffing per delay and built-share grid point
    capacity: np.ndarray,  # (F, K, G, E) capacity in place, likewise
    startup: np.ndarray,  # (F, K, E) 1 while in the start-up years
    delay: np.ndarray,  # (D, F) drawn delay index
    lo: np.ndarray,  # (D, F) lower grid point of the drawn built share
    w: np.ndarray,  # (D, F) its interpolation weight
    realised: np.ndarray,  # (D, F) bool
    scale: np.ndarray,  # (D, F) jobs per unit of staffing
    prof: np.ndarray,  # out (D, F, E) staffing
    cap: np.ndarray,  # out (D, F, E) capacity in place
    jobs: np.ndarray,  # out (D, F, E)
    startup_jobs: np.ndarray,  # out (D, F, E) of them in start-up years
) -> None:
    """``montecarlo.sample_draws``' facility paths (see there): the profile at the drawn delay,
    interpolated between the grid points around the drawn built share, zero where the plant is
    not realised, and its jobs."""
    D, F = delay.shape
    E = profile.shape[3]
    for d in range(D):
        for f in range(F):
            k = delay[d, f]
            g = lo[d, f]
            b = w[d, f]
            a = 1.0 - b
            r = 1.0 if realised[d, f] else 0.0
            s = scale[d, f]
            for e in range(E):
                p = (profile[f, k, g, e] * a + profile[f, k, g + 1, e] * b) * r
                prof[d, f, e] = p
                cap[d, f, e] = (capacity[f, k, g, e] * a + capacity[f, k, g + 1, e] * b) * r
                j = p * s
                jobs[d, f, e] = j
                startup_jobs[d, f, e] = j * startup[f, k, e]


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


@compiled
def unit_sums(
    jobs: np.ndarray,  # (D, F, T+1) direct jobs of each facility, years base-1..end
    startup: np.ndarray,  # (D, F, T+1) of them in start-up years
    capacity: np.ndarray,  # (D, F, T+1) capacity in place; (0, 0, 0) if not drawn
    mask: np.ndarray,  # (F, T) 1 where a facility's jobs count
    unit_of_facility: np.ndarray,  # (F,)
    unit_segment: np.ndarray,  # (U,)
    cell_kernel: np.ndarray,  # (D, S·4, C) national_flows' cells per job, exits and outflow
    survey_new: np.ndarray,  # (T, C) the survey units' new hires, summed over the units
    survey_exits: np.ndarray,  # (T, C) their carried exits at base rates, summed
    new_units: np.ndarray,  # (Un,) units with survey new hires
    new_cells: np.ndarray,  # (Cn,) cells they touch
    new_w: np.ndarray,  # (T, Un, Cn) their weights there
    exit_units: np.ndarray,  # (Ue,) the same for the carried exits
    exit_cells: np.ndarray,  # (Ce,)
    exit_w: np.ndarray,  # (T, Ue, Ce)
    exit_factor: np.ndarray,  # (D,)
    openings: np.ndarray,  # (D, T, C) national openings
    gap: np.ndarray,  # (D, T, C) national gap
    out: np.ndarray,  # out (D, U + 1, T, 6) float32, zeros: breakdown.UNIT_METRICS
) -> None:
    """``breakdown.unit_sums`` (see there) one draw at a time, all but the survey's staff."""
    D, F, E = jobs.shape
    T = E - 1
    U = unit_segment.shape[0]
    K, C = cell_kernel.shape[1], cell_kernel.shape[2]
    drive = np.empty((U, 4, T))  # per unit: gross growth of each phase, then last year's jobs
    drive_s = np.empty((K, T))  # the same summed per segment
    total = np.empty((T, C))
    per = np.empty((3, T, C))
    kernel_t = np.empty((C, K))
    k_per = np.empty((3, T, K))
    alloc = np.empty((U, T, 3))
    part = np.empty(3)
    cur = np.empty((U, 2, T))  # per unit: jobs of each phase this year
    unallocated = np.empty((T, 3))
    cap = np.empty((U, T))
    for d in range(D):
        ef = exit_factor[d]
        cur[:] = 0.0
        drive[:] = 0.0
        unallocated[:] = 0.0
        for f in range(F):
            u = unit_of_facility[f]
            for t in range(T):
                m = mask[f, t]
                st_now = startup[d, f, t + 1] * m
                st_prev = startup[d, f, t] * m
                cur[u, 0, t] += st_now
                cur[u, 1, t] += (jobs[d, f, t + 1] - startup[d, f, t + 1]) * m
                drive[u, 2, t] += st_prev
                drive[u, 3, t] += (jobs[d, f, t] - startup[d, f, t]) * m
        for u in range(U):
            for t in range(T):
                drive[u, 0, t] = _max(cur[u, 0, t] - drive[u, 2, t], 0.0)
                drive[u, 1, t] = _max(cur[u, 1, t] - drive[u, 3, t], 0.0)
                out[d, u, t, 0] = cur[u, 0, t] + cur[u, 1, t]
        drive_s[:] = 0.0
        for u in range(U):
            for q in range(4):
                k = unit_segment[u] * 4 + q
                for t in range(T):
                    drive_s[k, t] += drive[u, q, t]
        # every unit's weight summed, per year and cell, plus the survey's
        for t in range(T):
            for c in range(C):
                total[t, c] = survey_new[t, c] + survey_exits[t, c] * ef
            for k in range(K):
                a = drive_s[k, t]
                if a == 0.0:  # no growth and no staff of this segment's phase: adds nothing
                    continue
                for c in range(C):
                    total[t, c] += a * cell_kernel[d, k, c]
        # national openings, gap and shortage per unit weight; a vanishing weight would
        # overflow: its cell stays unallocated
        for t in range(T):
            for c in range(C):
                w = total[t, c]
                if w > 1e-9:
                    r = 1.0 / w
                    per[0, t, c] = openings[d, t, c] * r
                    g = gap[d, t, c] * r
                    per[1, t, c] = g
                    per[2, t, c] = _max(g, 0.0)
                else:
                    per[0, t, c] = 0.0
                    per[1, t, c] = 0.0
                    per[2, t, c] = 0.0
                    g = gap[d, t, c]
                    unallocated[t, 0] += openings[d, t, c]
                    unallocated[t, 1] += g
                    unallocated[t, 2] += _max(g, 0.0)
        # through each segment phase's cells
        for k in range(K):
            for c in range(C):
                kernel_t[c, k] = cell_kernel[d, k, c]
        k_per[:] = 0.0
        for i in range(3):
            for t in range(T):
                for c in range(C):
                    p = per[i, t, c]
                    if p == 0.0:  # adds nothing (the kernel is finite): many cells have no gap
                        continue
                    for k in range(K):
                        k_per[i, t, k] += p * kernel_t[c, k]
        for u in range(U):
            s4 = unit_segment[u] * 4
            for t in range(T):
                for i in range(3):
                    a = 0.0
                    for q in range(4):
                        a += drive[u, q, t] * k_per[i, t, s4 + q]
                    alloc[u, t, i] = a
        # the survey's fixed weights over the units and cells they touch (exits × the draw's
        # exit factor)
        for t in range(T):
            for j in range(new_units.shape[0]):
                part[:] = 0.0
                for jc in range(new_cells.shape[0]):
                    w = new_w[t, j, jc]
                    for i in range(3):
                        part[i] += w * per[i, t, new_cells[jc]]
                for i in range(3):
                    alloc[new_units[j], t, i] += part[i]
            for j in range(exit_units.shape[0]):
                part[:] = 0.0
                for jc in range(exit_cells.shape[0]):
                    w = exit_w[t, j, jc]
                    for i in range(3):
                        part[i] += w * per[i, t, exit_cells[jc]]
                for i in range(3):
                    alloc[exit_units[j], t, i] += part[i] * ef
        # openings, gap and shortage per unit, cells without weight in the unallocated unit;
        # supply = openings − gap (in float32, as stored)
        for u in range(U + 1):
            for t in range(T):
                a = alloc[u, t] if u < U else unallocated[t]
                out[d, u, t, 1] = a[0]
                out[d, u, t, 3] = a[1]
                out[d, u, t, 4] = a[2]
                out[d, u, t, 2] = out[d, u, t, 1] - out[d, u, t, 3]
        if capacity.shape[0]:
            cap[:] = 0.0
            for f in range(F):
                u = unit_of_facility[f]
                for t in range(T):
                    cap[u, t] += capacity[d, f, t + 1]
            for u in range(U):
                for t in range(T):
                    out[d, u, t, 5] = cap[u, t]


@compiled
def survey_group(
    staff: np.ndarray,  # in/out (D, E, C) the staff of all units, years base-1..end
    replacement: np.ndarray,  # in/out (D, E-1, C) their replacement as if every post were filled
    implied: np.ndarray,  # in/out (D, E-1, C) replacement implied by answers
    cix: np.ndarray,  # (k,) the cells the group answered
    answers: np.ndarray,  # (D, E, k) its answered staff, interpolated and held
    hires: np.ndarray,  # (D, E-1, k) its reported new hires in answered years
    model: np.ndarray,  # (D, E, k) its facilities' modelled staff; (0, 0, 0) if it has none
    model_repl: np.ndarray,  # (D, E-1, k) their replacement as if every post were filled
    handed: np.ndarray,  # (D, E, k) Λ applied to ``model``
    answered: np.ndarray,  # (E-1,) 1 in answered years after the first, else 0
    rate: np.ndarray,  # (k,) the group's exits per head at base rates in its cells
    exit_factor: np.ndarray,  # (D,)
    path: np.ndarray,  # out (D, E, k) the group's staff
    own: np.ndarray,  # out (D, E-1, k) its implied replacement
    carried: np.ndarray,  # out (D, E-1, k) its exits in years not answered
) -> None:
    """One respondent group of ``model.survey_staff`` (see there): its staff path replaces its
    facilities' modelled staff in the cells it answered, in ``staff``, ``replacement`` and
    ``implied``."""
    D, E, k = answers.shape
    has_model = model.shape[0] > 0
    for d in range(D):
        ef = exit_factor[d]
        for e in range(E):
            for j in range(k):
                c = cix[j]
                if has_model:
                    p = _max(model[d, e, j] - handed[d, e, j] + answers[d, e, j], 0.0)
                    # what the other units hold is never negative; summed in another order
                    # than ``model``, a cell only this group fills can come out a rounding
                    # error below zero, which is clipped
                    others = _max(staff[d, e, c] - model[d, e, j], 0.0)
                else:
                    p = _max(answers[d, e, j], 0.0)
                    others = _max(staff[d, e, c], 0.0)
                path[d, e, j] = p
                staff[d, e, c] = others + p
        for e in range(E - 1):
            a = answered[e]
            for j in range(k):
                c = cix[j]
                if has_model:
                    others = _max(replacement[d, e, c] - model_repl[d, e, j], 0.0)
                else:
                    others = _max(replacement[d, e, c], 0.0)
                x = (1.0 - a) * (rate[j] * ef * path[d, e, j])  # exits count if not answered
                carried[d, e, j] = x
                replacement[d, e, c] = others + x
                # an answer whose new hires fall short of its own growth needs that growth
                y = _max(hires[d, e, j] - (path[d, e + 1, j] - path[d, e, j]), 0.0) * a
                own[d, e, j] = y
                implied[d, e, c] += y


@compiled
def impute_strata(
    weights: np.ndarray,  # (D, slots) bootstrap counts of each stratum's donors
    starts: np.ndarray,  # (N + 1,) each stratum's first slot, then the number of slots
    size: np.ndarray,  # (N,) the size each stratum imputes
    donor_size: np.ndarray,  # (slots,) each slot's donor's size
    donor_staff: np.ndarray,  # (slots, E, k) its staff in the donor cells
    donor_exits: np.ndarray,  # (slots, E, k) its exits at base rates there
    cix: np.ndarray,  # (k,) the cells some donor has staff in
    per_staff: np.ndarray,  # out (D, N, E, C), zeros: ratio-imputed staff per stratum
    per_exits: np.ndarray,  # out (D, N, E, C), zeros: their exits at base rates
) -> None:
    """``survey.imputed_staff`` (see there): each stratum's resampled donors scaled to the
    stratum's size."""
    D = weights.shape[0]
    N = size.shape[0]
    E, k = donor_staff.shape[1], donor_staff.shape[2]
    for d in range(D):
        for n in range(N):
            total = 0.0
            for i in range(starts[n], starts[n + 1]):
                total += weights[d, i] * donor_size[i]
            scale = size[n] / total if total > 0 else 0.0
            for e in range(E):
                for j in range(k):
                    s = 0.0
                    x = 0.0
                    for i in range(starts[n], starts[n + 1]):
                        s += weights[d, i] * donor_staff[i, e, j]
                        x += weights[d, i] * donor_exits[i, e, j]
                    per_staff[d, n, e, cix[j]] = s * scale
                    per_exits[d, n, e, cix[j]] = x * scale


@compiled
def add_strata(
    staff: np.ndarray,  # in/out (D, E, C)
    replacement: np.ndarray,  # in/out (D, E-1, C)
    per_staff: np.ndarray,  # (D, N, E, C) ratio-imputed staff per stratum
    per_exits: np.ndarray,  # in/out (D, N, E, C) their exits at base rates, × the exit factor
    exit_factor: np.ndarray,  # (D,)
    cix: np.ndarray,  # (k,) the only cells they have staff in
) -> None:
    """Add the ratio-imputed non-respondents to the staff and replacement of ``survey_staff``,
    scaling their exits by the draw's exit factor."""
    D, N, E, _C = per_staff.shape
    for d in range(D):
        ef = exit_factor[d]
        for e in range(E):
            for c in cix:
                s = 0.0
                x = 0.0
                for n in range(N):
                    s += per_staff[d, n, e, c]
                    v = per_exits[d, n, e, c] * ef
                    per_exits[d, n, e, c] = v
                    x += v
                staff[d, e, c] += s
                if e < E - 1:
                    replacement[d, e, c] += x


@compiled
def live_lanes(flat: np.ndarray) -> np.ndarray:  # (D, K) any float dtype -> (K,) bool
    """Per column of ``flat``: whether any of its rows is other than zero (NaN counts as other).
    One pass in row order, so the memory is read as it lies."""
    D, K = flat.shape
    out = np.zeros(K, dtype=np.bool_)
    for d in range(D):
        for k in range(K):
            out[k] |= flat[d, k] != 0
    return out


@compiled
def margin_sums(
    units: np.ndarray,  # (D, U, T, M) float32: breakdown.unit_sums of one scenario
    code_of_unit: np.ndarray,  # (U,) the margin code each unit adds to
    first_metric: int,  # the metric of ``out``'s first
    out: np.ndarray,  # in/out (D, K, T, Mo) float64, zeros: metrics first_metric, ...
) -> None:
    """``breakdown.margin_draws`` (see there): each code's units added in unit order, each
    value widened to float64 as it is added."""
    D, U, T, _M = units.shape
    Mo = out.shape[3]
    for d in range(D):
        for u in range(U):
            k = code_of_unit[u]
            for t in range(T):
                for m in range(Mo):
                    out[d, k, t, m] += np.float64(units[d, u, t, first_metric + m])


@compiled
def abroad_sums(
    gap: np.ndarray,  # (D, T, C) a block's national gap
    recruited: np.ndarray,  # (D, T, C) what recruitment filled
    need: np.ndarray,  # out (T, C) summed over the draws: the gap before recruitment, positive
    recruited_sum: np.ndarray,  # out (T, C) recruited, summed over the draws
    unmet: np.ndarray,  # out (T, C) the shortage (the gap's positive part), summed
    year_shortage: np.ndarray,  # out (D, T) the shortage summed over the cells
) -> None:
    """``montecarlo.run_block``'s sums for the abroad frame and the target, in numpy's order:
    over the draws one after the other from the first, over the cells numpy's pairwise sum."""
    D, T, C = gap.shape
    row = np.empty(C)
    for d in range(D):
        for t in range(T):
            for c in range(C):
                g = gap[d, t, c]
                r = recruited[d, t, c]
                s = _max(g, 0.0)
                x = _max(g + r, 0.0)
                row[c] = s
                if d == 0:
                    unmet[t, c] = s
                    recruited_sum[t, c] = r
                    need[t, c] = x
                else:
                    unmet[t, c] += s
                    recruited_sum[t, c] += r
                    need[t, c] += x
            year_shortage[d, t] = _sum(row, 0, C)


@compiled
def cell_sums(
    arrays: tuple[np.ndarray, ...],  # (D, T, C) float32 each, added up cell by cell
    n_levels: int,
    positive: bool,  # the positive part of the added-up cells only
    total: np.ndarray,  # out (T, 1, D)
    by_level: np.ndarray,  # out (T, L, D)
    by_area: np.ndarray,  # out (T, A, D)
) -> None:
    """``run_model._cell_sums`` (see there): per draw and year, float64 sums over the cells of
    each level, of each area and of all (the sum of the level sums), written draws last: one
    row of draws per year and level or area, as the statistics sort them."""
    D, T, C = arrays[0].shape
    L = n_levels
    A = C // L
    for d in range(D):
        for t in range(T):
            for a in range(A):
                by_area[t, a, d] = 0.0
            all_levels = 0.0
            for lv in range(L):
                s = 0.0
                for a in range(A):
                    c = lv * A + a
                    v: float = np.float64(arrays[0][d, t, c])
                    for k in range(1, len(arrays)):
                        v += np.float64(arrays[k][d, t, c])
                    if positive:
                        v = _max(v, 0.0)
                    s += v
                    by_area[t, a, d] += v
                by_level[t, lv, d] = s
                all_levels += s
            total[t, 0, d] = all_levels


@compiled
def survey_openings(
    path: np.ndarray,  # (D, E, k) a respondent group's staff in the cells it answered
    implied: np.ndarray,  # (D, E-1, k) its implied replacement
    exits: np.ndarray,  # (D, E-1, k) its exits in years not answered
    answered: np.ndarray,  # (E-1,) > 0 in answered years after the first
    reported: np.ndarray,  # in/out (D, E-1) openings in answered years, summed over the cells
    carried: np.ndarray,  # in/out (D, E-1) openings in the other years, summed over the cells
) -> None:
    """``model.survey_openings`` for one respondent group (see there), added to ``reported``
    and ``carried``."""
    D, E, k = path.shape
    row = np.empty(k)
    for d in range(D):
        for e in range(E - 1):
            on = answered[e] > 0
            for j in range(k):
                x = path[d, e + 1, j] - path[d, e, j]
                if on:
                    x += implied[d, e, j]
                else:
                    x += exits[d, e, j]
                row[j] = _max(x, 0.0)
            s = _sum(row, 0, k)
            if on:
                reported[d, e] += s
                carried[d, e] += 0.0
            else:
                reported[d, e] += 0.0
                carried[d, e] += s
