"""Complementary suppression of one year's two-way table (:func:`protect_grid`): enough cells
beyond the failing ones are suppressed that a linear-programming attack on the published cells
and margins leaves every failing cell an interval at least the required protection wide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    interval_attack,
    relations,
    required_protection,
)

_TOL = 1e-7


def _weak(
    values: np.ndarray,
    hidden: np.ndarray,
    rels: list[np.ndarray],
    targets: np.ndarray,
    need: np.ndarray,
) -> list[int]:
    """The ``targets`` whose attacker's interval is narrower than ``need``, by the engine's one
    linear-programming attack (:func:`~battkomp.engine.disclosure.interval_attack`; a failed
    linear program counts as unprotected). Only the targets are solved for."""
    want = np.zeros(len(values))
    want[targets] = need[targets]
    lower, upper = interval_attack(values, hidden, rels, want)
    width = upper - lower
    return [int(c) for c in targets if not width[c] >= need[c] * (1 - _TOL) - _TOL]


def protect_grid(
    cells: pl.DataFrame,
    keys: Sequence[str],
    values: Sequence[str],
    primary: np.ndarray,
    fixed: np.ndarray,
    hidden: np.ndarray,
    rules: DisclosureRules | None = None,
    floors: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Which cells of one year's table to suppress: the ``primary`` cells (they failed the
    test), the ``hidden`` ones (not published anywhere) and enough others that every primary
    cell keeps an interval at least :func:`required_protection` wide under the linear-programming
    attack, for each of the additive, non-negative ``values`` columns. ``floors`` (value →
    one width per cell) replaces the rules' ``min_protection`` where a metric carries less than
    one person of the answers per person (see :func:`~.tables.carried_floors`); the p% part of the
    width is never changed.

    ``cells`` holds every cell of the table, margins included (a null key is the total of that
    column); margins must equal the sums of their children. ``fixed`` cells are published
    elsewhere and never suppressed here. When a primary cell cannot be protected, every cell is
    suppressed. The complementary cells come from rectangles (:func:`_rectangle`), pairs for a
    row or column total published nowhere (:func:`_margin_pair`) and, failing those, the
    nearest cell (:func:`_widener`); those no primary cell needs in the end are published again
    (:func:`_prune`).
    """
    rules = rules or DisclosureRules()
    n = cells.height
    everything = np.ones(n, dtype=bool)
    if bool((primary & fixed).any()):
        return everything
    rels = [
        np.array(r.members, dtype=np.int64)
        for r in relations(cells.select(keys), Hierarchy(parents={k: {} for k in keys}))
    ]
    of_cell: list[list[int]] = [[] for _ in range(n)]
    for i, members in enumerate(rels):
        for m in members:
            of_cell[int(m)].append(i)
    rank = (
        cells.select(pl.sum_horizontal(pl.col(k).is_null().cast(pl.Int64) for k in keys))
        .to_series()
        .to_numpy()
    )
    arrays = {
        v: np.clip(cells[v].fill_null(0.0).to_numpy().astype(np.float64), 0, None) for v in values
    }
    suppressed = primary | hidden
    targets = np.flatnonzero(primary)
    # the inner cells of a two-way table by their keys, for the rectangles of _rectangle
    index: dict[tuple[Any, ...], int] = {}
    margins: dict[tuple[Any, ...], int] = {}
    if len(keys) == 2:
        for i, key in enumerate(cells.select(keys).rows()):
            if all(k is not None for k in key):
                index[key] = i
            elif any(k is not None for k in key):
                margins[key] = i
    floors = floors or {}
    needs = {v: _needs(arrays[v], fixed, rels, rules, floors.get(v)) for v in values}
    for _ in range(n + 1):
        added = False
        for v in values:
            data, need = arrays[v], needs[v]
            for cell in _weak(data, suppressed, rels, targets, need):
                every = [(arrays[m], float(needs[m][cell])) for m in values]
                square = _rectangle(
                    cell, float(need[cell]), data, suppressed, fixed, index, every
                ) or _margin_pair(cell, float(need[cell]), data, suppressed, fixed, index, margins)
                if square:
                    suppressed[square] = True
                    added = True
                    continue
                pick = _widener(
                    cell, float(need[cell]), data, suppressed, fixed, rank, rels, of_cell
                )
                if pick < 0:
                    return everything
                suppressed[pick] = True
                added = True
        if not added:
            return _prune(suppressed, primary | hidden, arrays, needs, rels, targets)
    return everything


def _prune(
    suppressed: np.ndarray,
    keep: np.ndarray,
    arrays: Mapping[str, np.ndarray],
    needs: Mapping[str, np.ndarray],
    rels: list[np.ndarray],
    targets: np.ndarray,
) -> np.ndarray:
    """``suppressed`` less the complementary cells that no primary cell needs: each in turn
    (the largest first, as readers look at those most) is published again if the
    linear-programming audit still leaves every primary cell wide enough in every metric
    without it. The usual last step of heuristic cell suppression: cells hidden for an early
    need can be redundant once later ones are hidden. ``keep``: the cells never published
    (primary, or published in no table)."""
    out = suppressed.copy()
    first = next(iter(arrays.values()))
    for cell in sorted(np.flatnonzero(out & ~keep).tolist(), key=lambda m: (-first[m], m)):
        trial = out.copy()
        trial[cell] = False
        if all(not _weak(arrays[v], trial, rels, targets, needs[v]) for v in arrays):
            out = trial
    return out


def _needs(
    data: np.ndarray,
    fixed: np.ndarray,
    rels: list[np.ndarray],
    rules: DisclosureRules,
    floor: np.ndarray | None = None,
) -> np.ndarray:
    """The width each cell's interval must have: :func:`required_protection` (with ``floor`` in
    place of ``min_protection`` where given), but no more than the smallest total published
    elsewhere that the cell is a part of (that total bounds the cell already, whatever this table
    shows; a cell of a zero total is known to be zero)."""
    need = np.asarray(required_protection(data, rules), dtype=np.float64).copy()
    if floor is not None:
        need = np.maximum(np.asarray(floor, dtype=np.float64), rules.p / 100.0 * data)
    for members in rels:
        total = int(members[0])
        if fixed[total]:
            parts = members[1:]
            need[parts] = np.minimum(need[parts], data[total])
    return need


def _rectangle(
    cell: int,
    want: float,
    data: np.ndarray,
    suppressed: np.ndarray,
    fixed: np.ndarray,
    index: Mapping[tuple[Any, ...], int],
    every: Sequence[tuple[np.ndarray, float]] = (),
) -> list[int]:
    """The other three corners of the cheapest rectangle through an inner ``cell`` of a two-way
    table (another row, another column) that gives it an interval ``want`` wide even when every
    margin is known: moving ``d`` around the rectangle keeps every margin, so the cell can take
    any value from ``x − min(x, corner)`` to ``x + min(row partner, column partner)``. The
    hypercube method of official statistics (τ-ARGUS), in its two-dimensional case; the widest
    cheap choice here, the linear-programming audit still decides. Among the rectangles wide
    enough: the one that goes furthest towards the cell's width in the other metrics too
    (``every``: each metric's values and the width wanted there), then the fewest new corners
    (already suppressed ones cost nothing), then the least added value. When no single one is wide
    enough, the widest one that adds a cell: the intervals of several rectangles through the
    cell add up (each moves it independently), so the caller's audit asks for another until the
    cell is wide enough. Empty when there is none (not a two-way inner cell, or no rectangle
    that widens it)."""
    key = next((k for k, i in index.items() if i == cell), None)
    if key is None:
        return []
    row, col = key
    rows = sorted({k[0] for k in index if k[0] != row}, key=str)
    cols = sorted({k[1] for k in index if k[1] != col}, key=str)
    best: tuple[tuple[float, int, float], list[int]] | None = None
    widest: tuple[tuple[float, int, float], list[int]] | None = None
    x = float(data[cell])
    for r in rows:
        a = index.get((r, col))
        if a is None or fixed[a]:
            continue
        for c in cols:
            b = index.get((row, c))
            corner = index.get((r, c))
            if b is None or corner is None or fixed[b] or fixed[corner]:
                continue
            new = [m for m in (a, b, corner) if not suppressed[m]]
            if not new:
                continue
            width = min(float(data[a]), float(data[b])) + min(x, float(data[corner]))
            # how far it also goes towards the cell's width in the other metrics
            cover = sum(
                min(
                    1.0, (min(float(d[a]), float(d[b])) + min(float(d[cell]), float(d[corner]))) / w
                )
                for d, w in every
                if w > 0
            )
            cost = (-cover, len(new), float(sum(data[m] for m in new)))
            if width >= want:
                if best is None or cost < best[0]:
                    best = (cost, new)
            elif width > 0 and (widest is None or (-width, *cost[1:]) < widest[0]):
                widest = ((-width, *cost[1:]), new)
    if best is not None:
        return best[1]
    return widest[1] if widest is not None else []


def _margin_pair(
    cell: int,
    want: float,
    data: np.ndarray,
    suppressed: np.ndarray,
    fixed: np.ndarray,
    index: Mapping[tuple[Any, ...], int],
    margins: Mapping[tuple[Any, ...], int],
) -> list[int]:
    """For a row total of a two-way table that is not published elsewhere (a column total
    alike): the cheapest pair of inner cells, one in its row and one in another row whose total
    is not published either, in the same column, that gives it an interval ``want`` wide.
    Moving ``d`` from one of the pair to the other keeps every column total and moves the two
    row totals by ``d`` in opposite directions, so the row total can take any value over
    the sum of the pair. When no pair is wide enough, the widest (the audit asks for more).
    Empty for any other cell or when there is no such pair."""
    key = next((k for k, i in margins.items() if i == cell), None)
    if key is None:
        return []
    axis = 0 if key[0] is not None else 1
    code = key[axis]

    def at(own: Any, other: Any) -> int | None:
        return index.get((own, other) if axis == 0 else (other, own))

    partners = [
        k[axis]
        for k, i in margins.items()
        if k[axis] is not None and k[1 - axis] is None and k[axis] != code and not fixed[i]
    ]
    others = sorted({k[1 - axis] for k in index}, key=str)
    best: tuple[tuple[int, float], list[int]] | None = None
    widest: tuple[tuple[float, int, float], list[int]] | None = None
    for partner in sorted(partners, key=str):
        for other in others:
            mine, theirs = at(code, other), at(partner, other)
            if mine is None or theirs is None or fixed[mine] or fixed[theirs]:
                continue
            new = [m for m in (mine, theirs) if not suppressed[m]]
            if not new:
                continue
            width = float(data[mine]) + float(data[theirs])
            cost = (len(new), float(sum(data[m] for m in new)))
            if width >= want:
                if best is None or cost < best[0]:
                    best = (cost, new)
            elif width > 0 and (widest is None or (-width, *cost) < widest[0]):
                widest = ((-width, *cost), new)
    if best is not None:
        return best[1]
    return widest[1] if widest is not None else []


def _widener(
    cell: int,
    want: float,
    data: np.ndarray,
    suppressed: np.ndarray,
    fixed: np.ndarray,
    rank: np.ndarray,
    rels: list[np.ndarray],
    of_cell: list[list[int]],
) -> int:
    """A published cell to suppress to widen ``cell``'s interval: the nearest one through the
    relations that is not published elsewhere, inner cells first, then the smallest value that
    covers ``want``, else the largest; -1 if there is none."""
    seen = {cell}
    frontier = [cell]
    while frontier:
        ring = sorted(
            {int(m) for c in frontier for r in of_cell[c] for m in rels[r] if int(m) not in seen}
        )
        free = [m for m in ring if not suppressed[m] and not fixed[m]]
        if free:

            def cost(m: int) -> tuple[Any, ...]:
                value = float(data[m])
                big = value >= want
                return (int(rank[m]), 0 if big else 1, value if big else -value, m)

            return min(free, key=cost)
        seen.update(ring)
        frontier = ring
    return -1
