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
) -> np.ndarray:
    """Which cells of one year's table to suppress: the ``primary`` cells (they failed the
    test), the ``hidden`` ones (not published anywhere) and enough others that every primary
    cell keeps an interval at least :func:`required_protection` wide under the linear-programming
    attack, for each of the additive, non-negative ``values`` columns.

    ``cells`` holds every cell of the table, margins included (a null key is the total of that
    column); margins must equal the sums of their children. ``fixed`` cells are published
    elsewhere and never suppressed here. When a primary cell cannot be protected, every cell is
    suppressed.
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
    if len(keys) == 2:
        for i, key in enumerate(cells.select(keys).rows()):
            if all(k is not None for k in key):
                index[key] = i
    needs = {v: _needs(arrays[v], fixed, rels, rules) for v in values}
    for _ in range(n + 1):
        added = False
        for v in values:
            data, need = arrays[v], needs[v]
            for cell in _weak(data, suppressed, rels, targets, need):
                square = _rectangle(cell, float(need[cell]), data, suppressed, fixed, index)
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
            return suppressed
    return everything


def _needs(
    data: np.ndarray, fixed: np.ndarray, rels: list[np.ndarray], rules: DisclosureRules
) -> np.ndarray:
    """The width each cell's interval must have: :func:`required_protection`, but no more than
    the smallest total published elsewhere that the cell is a part of (that total bounds the cell
    already, whatever this table shows; a cell of a zero total is known to be zero)."""
    need = np.asarray(required_protection(data, rules), dtype=np.float64).copy()
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
) -> list[int]:
    """The other three corners of the cheapest rectangle through an inner ``cell`` of a two-way
    table (another row, another column) that gives it an interval ``want`` wide even when every
    margin is known: moving ``d`` around the rectangle keeps every margin, so the cell can take
    any value from ``x − min(x, corner)`` to ``x + min(row partner, column partner)``. The
    hypercube method of official statistics (τ-ARGUS), in its two-dimensional case; the widest
    cheap choice here, the linear-programming audit still decides. Corners already suppressed
    cost nothing; otherwise the least added total value. Empty when there is none (not a two-way
    inner cell, or no rectangle wide enough)."""
    key = next((k for k, i in index.items() if i == cell), None)
    if key is None:
        return []
    row, col = key
    rows = sorted({k[0] for k in index if k[0] != row}, key=str)
    cols = sorted({k[1] for k in index if k[1] != col}, key=str)
    best: tuple[tuple[int, float], list[int]] | None = None
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
            width = min(float(data[a]), float(data[b])) + min(x, float(data[corner]))
            if width < want:
                continue
            new = [m for m in (a, b, corner) if not suppressed[m]]
            cost = (len(new), float(sum(data[m] for m in new)))
            if best is None or cost < best[0]:
                best = (cost, new)
    if best is None or not best[1]:
        return []
    return best[1]


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
