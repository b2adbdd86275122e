"""Balanced noise: each contributor's factor chosen among keyed draws of its magnitude so that
the noise cancels in the national totals, with the directions left as independent keyed coin
tosses.

Independent factors (:func:`battkomp.engine.sdc.noise_factor`) make a national total's noise
``Σᵢ (fᵢ − 1) xᵢ`` a random walk of a few large steps: with the demo's eight companies, one of
them with 40 % of the staff, the published totals miss the unprotected ones by several per cent,
depending on the key. Balancing (the US Census Bureau's "balanced noise", Massell and Funk 2007)
makes the noise cancel in the totals. Here each contributor chooses one of
:data:`~battkomp.engine.sdc.CANDIDATES` keyed draws of its MAGNITUDE, every one uniform on
``[a, b]``; its DIRECTION is never chosen, it stays the keyed coin toss of the plain factor.

Why not choose the directions, as balancing by sorting contributors by size and alternating the
sign does: with few contributors, the directions that balance the totals are nearly unique. In
the demo, of the 256 patterns, the ones that bring every year's totals within 1 % are one pattern
and its mirror, and within 2.5 % every admissible pattern sets at least one pair of companies
against each other. A company that knows its own factor (from a cell it alone answered) and the
rough sizes (from the published tables) would then know another's direction, and a known
direction narrows that company's answers to within about ±4 %, inside ``p``. Chosen magnitudes
leave that inference nothing: each direction is independent of every other, as before, and each
contributor's answers are still off by at least ``a``.

Publishing uses it (:mod:`battkomp.analysis.publishing.draws`): each organisation's draw is
chosen when a run first noises it under a key, stored and never chosen again, and the choice never
lets a cell of the public tables cancel that the plain draws protect (docs/decisions.md, 47;
figures in docs/performance.md).

What the choice respects (docs/model.md, "Balanced noise"):

* **persistence.** A contributor keeps its draw in every later release (the caller stores it
  and passes it as ``fixed``); only contributors without one are chosen, against the fixed ones.
  Choosing again per release would give a contributor a second factor (two releases then let an
  outsider average them) and make both releases' totals nearly exact, so that their difference,
  one contributor out, would be that contributor's exact answers.
* **no cell lost.** A sensitive cell of ``cells`` that the plain draws (the fixed ones and draw 0
  for the others) protect stays protected: a start or a move that would let its noise cancel
  (:func:`cancelling`, exactly as :func:`~battkomp.engine.sdc.insufficient_noise` judges) is never
  taken. Without that rule, a magnitude that balances the totals can make two organisations'
  noise cancel in a cell the plain draws protected, and the tables hide it and its complements
  (one key lost ten points of fill rate so, docs/performance.md).
* **no cancelling where it need not.** Among the choices that balance the totals equally well,
  the one with the fewest sensitive cells, and then pairs of contributors in a total, whose noise
  cancels.
* **no predictable pattern.** Ties are broken by a keyed hash.

>>> from battkomp.engine.sdc import factors
>>> totals = pl.DataFrame({"contributor": ["a", "b", "c", "d"], "target": ["t"] * 4,
...                        "value": [100.0, 60.0, 50.0, 10.0]})
>>> cells = pl.DataFrame(schema={"cell": pl.Utf8, "contributor": pl.Utf8, "value": pl.Float64})
>>> chosen = balance(b"k", ["a", "b", "c", "d"], totals, cells)
>>> def noise(f):
...     return abs(sum((f[c] - 1) * v for c, v in zip("abcd", [100, 60, 50, 10])))
>>> noise(factors(b"k", "abcd", choices=chosen)) <= noise(factors(b"k", "abcd"))
True
>>> all((factors(b"k", "abcd", choices=chosen)[c] > 1) == (factors(b"k", "abcd")[c] > 1)
...     for c in "abcd")  # the directions are the plain ones
True
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from battkomp.engine.disclosure import DisclosureRules
from battkomp.engine.sdc import CANDIDATES, NoiseParameters, insufficient, noise_factor

__all__ = ["TOLERANCE", "balance", "cancelling", "imbalance"]

#: The largest share of a target's total that the balanced noise may leave in it (a target is,
#: say, one year's new hires over every contributor).
TOLERANCE = 0.01

#: How many searches (from different draws) the choice is made from.
_STARTS = 32
_PASSES = 5
#: Where no choice keeps every target within the tolerance: how far above the least imbalance
#: found a choice may be and still be taken for having fewer cancelling cells.
_SLACK = 0.25


def _matrix(frame: pl.DataFrame, group: str, ids: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """rows = the groups of ``group`` (sorted), columns = ``ids``: the summed ``value``."""
    index = {c: i for i, c in enumerate(ids)}
    if not frame.height:
        return np.zeros((0, len(ids))), []
    sums = (
        frame.with_columns(pl.col("contributor").cast(pl.Utf8), pl.col(group).cast(pl.Utf8))
        .filter(pl.col("contributor").is_in(list(ids)))
        .group_by(group, "contributor")
        .agg(pl.col("value").cast(pl.Float64).sum())
        .sort(group, "contributor")
    )
    groups = sorted(set(sums[group].to_list()))
    at = {g: i for i, g in enumerate(groups)}
    out = np.zeros((len(groups), len(ids)))
    for g, c, v in sums.iter_rows():
        out[at[g], index[c]] += float(v)
    return out, groups


def _sensitive(cells: np.ndarray, rules: DisclosureRules) -> np.ndarray:
    """The rows (cells × contributors, true values) the threshold or the p% rule makes
    sensitive (:func:`~battkomp.engine.disclosure.primary_unsafe`)."""
    if not cells.size:
        return np.zeros(cells.shape[0], dtype=bool)
    ordered = -np.sort(-np.clip(cells, 0, None), axis=1)
    largest = ordered[:, 0]
    second = ordered[:, 1] if cells.shape[1] > 1 else np.zeros(len(cells))
    rest = ordered.sum(axis=1) - largest - second
    count = (cells > 0).sum(axis=1)
    few = (count > 0) & (count < rules.min_contributors)
    dominated = (largest > 0) & (rest < rules.p / 100.0 * largest)
    return np.asarray(few | dominated)


def _pairs(totals: np.ndarray) -> np.ndarray:
    """Every pair of contributors' part of every target: the two-contributor cells a release
    without both would show by difference."""
    rows = []
    n = totals.shape[1]
    for t in totals:
        for i, j in itertools.combinations(range(n), 2):
            if t[i] > 0 and t[j] > 0:
                row = np.zeros(n)
                row[i], row[j] = t[i], t[j]
                rows.append(row)
    return np.array(rows).reshape(-1, n)


def imbalance(totals: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per target (rows of ``totals``, contributors × columns, true values): the noise left in
    it as a share of its total, ``|Σᵢ (fᵢ − 1) xᵢ| / Σᵢ xᵢ``, for each column of ``f``
    (contributors × patterns). Targets × patterns."""
    sums = totals.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return np.asarray(np.abs(totals @ (f - 1.0)) / sums)


def cancelling(
    cells: np.ndarray, f: np.ndarray, rules: DisclosureRules | None = None
) -> np.ndarray:
    """Per sensitive cell (rows of ``cells``, true values) and pattern (columns of ``f``): True
    where the noise does not protect it, exactly as
    :func:`~battkomp.engine.sdc.insufficient_noise` judges (:func:`~battkomp.engine.sdc.
    insufficient`: the second largest's estimate of the largest, or a smaller contributor's,
    misses by less than ``p`` per cent of the largest)."""
    rules = rules or DisclosureRules()
    if not cells.size:
        return np.zeros((0, f.shape[1]), dtype=bool)
    ordered = -np.sort(-cells, axis=1)
    largest = ordered[:, 0]
    second = ordered[:, 1] if cells.shape[1] > 1 else np.zeros_like(largest)
    rest = ordered.sum(axis=1) - largest - second
    return insufficient(largest, second, np.clip(rest, 0.0, None), cells @ f, rules)


def _key_index(key: bytes, label: bytes, n: int) -> int:
    digest = hmac.new(key, b"battkomp-sdc-balance\x00" + label, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % max(n, 1)


def balance(
    key: bytes,
    contributors: Sequence[str],
    totals: pl.DataFrame,
    cells: pl.DataFrame,
    fixed: Mapping[str, int] | None = None,
    params: NoiseParameters | None = None,
    rules: DisclosureRules | None = None,
    tolerance: float = TOLERANCE,
) -> dict[str, int]:
    """The draw (0 to :data:`~battkomp.engine.sdc.CANDIDATES` − 1) of every contributor's
    factor: the ``fixed`` ones as given, the others chosen so that the noise left in each target of
    ``totals`` (contributor, target, value: the national totals to keep, true values) is at most
    ``tolerance`` of it where that can be had (else within a quarter above the least found), and,
    among those, with the fewest cells of ``cells`` (cell, contributor, value: the cells whose
    noise must not cancel, true values; only the sensitive ones count), then pairs of contributors
    in a target, whose noise cancels (:func:`cancelling`). A coordinate search from
    :data:`_STARTS` keyed starting draws; ties are broken by a keyed hash.

    **No cell lost.** A cell of ``cells`` whose noise protects it under the plain draws (the
    ``fixed`` ones and draw 0 for the others) is protected under the chosen ones too: a start
    or a move that would let such a cell cancel is never taken, so the choice can only make the
    tables that test these cells fuller, never emptier. The first start is the plain draws
    themselves, so there is always a choice, and its imbalance is within ``tolerance`` or a quarter
    above the least found, which is never above the plain draws' own."""
    params = params or NoiseParameters()
    rules = rules or DisclosureRules()
    fixed = dict(fixed or {})
    ids = sorted({str(c) for c in contributors})
    free = [c for c in ids if c not in fixed]
    if not free:
        return {c: fixed[c] for c in ids}
    n = len(ids)
    at = {c: i for i, c in enumerate(ids)}
    target, _ = _matrix(totals, "target", ids)
    cell, _ = _matrix(cells, "cell", ids)
    cell = cell[_sensitive(cell, rules)] if len(cell) else cell
    # each contributor's keyed draws; the direction of a draw is its own keyed coin toss
    draws = np.array([[noise_factor(key, c, params, k) for k in range(CANDIDATES)] for c in ids])
    base = np.ones(n)
    for c, choice in fixed.items():
        if c in at:
            base[at[c]] = noise_factor(key, c, params, choice)
    free_at = [at[c] for c in free]
    plain = base.copy()
    plain[free_at] = draws[free_at, 0]
    # the cells the plain draws protect, which no choice may give up
    kept = cell[~cancelling(cell, plain[:, None], rules)[:, 0]] if len(cell) else cell
    guard = _Guard(kept, rules)
    sums = target.sum(axis=1)
    sums[sums == 0] = 1.0
    scaled = target / sums[:, None]
    results: list[tuple[float, np.ndarray, np.ndarray]] = []
    for pick in _starts(key, len(free)):
        f = base.copy()
        f[free_at] = draws[free_at, pick]
        if not guard.holds(f):
            continue
        noise = scaled @ (f - 1.0)
        for _ in range(_PASSES):
            changed = False
            for slot, i in enumerate(free_at):
                rest = noise - scaled[:, i] * (f[i] - 1.0)
                options = rest[:, None] + scaled[:, i : i + 1] * (draws[i] - 1.0)
                worst = np.abs(options).max(axis=0) if len(options) else np.zeros(CANDIDATES)
                worst = np.where(guard.allowed(f, i, draws[i]), worst, np.inf)
                best = int(np.argmin(worst))
                if worst[best] < worst[pick[slot]] - 1e-15:
                    pick[slot] = best
                    f[i] = draws[i, best]
                    noise = rest + scaled[:, i] * (f[i] - 1.0)
                    changed = True
            if not changed:
                break
        results.append((float(np.abs(noise).max()) if len(noise) else 0.0, f, pick))
    factors = np.stack([r[1] for r in results], axis=1)
    in_cells = cancelling(cell, factors, rules).sum(axis=0) if len(cell) else 0 * factors[0]
    pairs = _pairs(target)
    in_pairs = cancelling(pairs, factors, rules).sum(axis=0) if len(pairs) else 0 * factors[0]
    worst = np.array([r[0] for r in results])
    # within the tolerance where that can be had, else near the least imbalance there is
    allowed = max(tolerance, float(worst.min()) * (1 + _SLACK))
    order = np.lexsort((in_pairs, in_cells, worst > allowed))
    first = order[0]
    best_rows = [
        int(r)
        for r in order
        if (worst[r] > allowed) == (worst[first] > allowed)
        and in_cells[r] == in_cells[first]
        and in_pairs[r] == in_pairs[first]
    ]
    row = best_rows[_key_index(key, ",".join(free).encode(), len(best_rows))]
    _, f, pick = results[row]
    out = dict(fixed)
    for slot, c in enumerate(free):
        out[c] = int(pick[slot])
    return {c: out[c] for c in ids}


class _Guard:
    """The cells (rows, true values) whose noise must keep protecting them: which factors, and
    which draws of one contributor's factor, keep every one of them protected."""

    def __init__(self, cells: np.ndarray, rules: DisclosureRules | None = None) -> None:
        self.rules = rules or DisclosureRules()
        self.cells = cells
        # each contributor's cells, and their largest, second and rest, computed once
        self.by: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        if not cells.size:
            return
        for i in range(cells.shape[1]):
            rows = cells[cells[:, i] > 0]
            ordered = -np.sort(-rows, axis=1)
            largest = ordered[:, 0]
            second = ordered[:, 1] if rows.shape[1] > 1 else np.zeros_like(largest)
            rest = np.clip(ordered.sum(axis=1) - largest - second, 0.0, None)
            self.by[i] = (rows, largest, second, rest)

    def holds(self, f: np.ndarray) -> bool:
        """True when the factors ``f`` protect every cell."""
        if not self.cells.size:
            return True
        return not bool(cancelling(self.cells, f[:, None], self.rules).any())

    def allowed(self, f: np.ndarray, i: int, options: np.ndarray) -> np.ndarray:
        """Per draw of ``options`` (contributor ``i``'s factors): True where, with the others'
        factors of ``f``, every cell stays protected."""
        if i not in self.by or not len(self.by[i][0]):
            return np.ones(len(options), dtype=bool)
        rows, largest, second, rest = self.by[i]
        others = rows @ f - rows[:, i] * f[i]
        published = others[:, None] + rows[:, i : i + 1] * options[None, :]
        bad = insufficient(largest, second, rest, published, self.rules)
        return np.asarray(~bad.any(axis=0))


def _starts(key: bytes, n: int) -> list[np.ndarray]:
    """The draws each search starts from: every contributor's first (the plain factor), then
    :data:`_STARTS` − 1 keyed ones."""
    digest = hmac.new(key, b"battkomp-sdc-balance-starts", hashlib.sha256).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    first = np.zeros(n, dtype=np.int64)
    return [first, *(rng.integers(0, CANDIDATES, size=n) for _ in range(_STARTS - 1))]
