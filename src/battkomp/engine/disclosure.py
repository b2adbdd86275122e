"""Disclosure control: suppress the cells of a table that would reveal one contributor's answers.

A table is built from *contributions*: one row per contributor (an organisation) and cell, with a
non-negative value. Its key columns are hierarchical (area → area group → total, level → total,
year → total) or plain ``by`` columns without margins. :func:`protect` builds every cell, margins
included, and suppresses

1. **primary** cells: fewer than ``min_contributors`` contributors with a non-zero value, or
   dominated by one or two contributors (the p% rule: ``total − x1 − x2 < p/100 × x1``);
2. **secondary** cells, so that no additive relation (children sum to their parent along one
   hierarchical column, the other keys fixed) has exactly one suppressed member, and so that the
   linear-programming attack of :func:`audit` leaves every suppressed cell an interval at least
   :func:`required_protection` wide.

The thresholds live in :class:`DisclosureRules` and never in the output. A total in a
hierarchical column is written as null.

>>> contributions = pl.DataFrame(
...     {
...         "contributor": ["a", "b", "c", "a", "b", "c", "d"],
...         "area": ["x", "x", "x", "y", "y", "y", "z"],
...         "value": [5.0, 6.0, 7.0, 3.0, 4.0, 5.0, 9.0],
...     }
... )
>>> hierarchy = Hierarchy(parents={"area": {}})
>>> protected = protect(contributions, hierarchy)
>>> protected.rows()  # doctest: +NORMALIZE_WHITESPACE
[('x', 18.0, False, None), ('y', None, True, 'secondary'), ('z', None, True, 'primary'),
 (None, 39.0, False, None)]
>>> public_view(protected).columns
['area', 'value', 'suppressed']
>>> audit(protected, relations(protected, hierarchy)).select("area", "lower", "upper").rows()
[('y', 0.0, 21.0), ('z', 0.0, 21.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from battkomp.engine.taxonomy import Taxonomy

__all__ = [
    "INTERNAL_COLUMNS",
    "DisclosureRules",
    "Hierarchy",
    "Relation",
    "assess",
    "audit",
    "interval_attack",
    "per_contributor",
    "primary_unsafe",
    "protect",
    "public_view",
    "relations",
    "required_protection",
    "tabulate",
]

#: Columns of a protected table that stay inside the analysis and never reach the public.
INTERNAL_COLUMNS = ("suppression",)

_TOL = 1e-7  # relative slack for the LP's floating point when judging an interval's width


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds of the disclosure rules (confidential: never written into a published table).

    Parameters
    ----------
    min_contributors
        A cell with between 1 and ``min_contributors − 1`` contributors of non-zero value is unsafe.
    p
        The p% rule: a cell is unsafe when the contributions beyond the two largest are less than
        ``p`` per cent of the largest, so the second largest could estimate the largest that well.
    min_protection
        The least width an attacker's interval for a suppressed cell must have.
    singleton_rule
        When a relation has exactly two suppressed members, both primary, and one of them has a
        single contributor, suppress a third: that contributor could otherwise subtract its own
        answer and recover the other unsafe cell.

    Examples
    --------
    >>> DisclosureRules()
    DisclosureRules(min_contributors=3, p=10.0, min_protection=1.0, singleton_rule=True)
    >>> DisclosureRules(min_contributors=0)
    Traceback (most recent call last):
    ...
    ValueError: min_contributors must be at least 1, got 0
    """

    min_contributors: int = 3
    p: float = 10.0
    min_protection: float = 1.0
    singleton_rule: bool = True

    def __post_init__(self) -> None:
        if self.min_contributors < 1:
            msg = f"min_contributors must be at least 1, got {self.min_contributors}"
            raise ValueError(msg)
        if not 0.0 <= self.p <= 100.0:
            msg = f"p must be between 0 and 100, got {self.p}"
            raise ValueError(msg)
        if not self.min_protection >= 0.0:
            msg = f"min_protection must not be negative, got {self.min_protection}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Hierarchy:
    """The key columns of a table and how its hierarchical columns add up.

    Parameters
    ----------
    parents
        Per hierarchical column, a mapping child code → parent code. Codes without a parent (the
        roots, and every code the mapping does not name) add up to the column's total, written
        as null; an empty mapping makes a flat column with one total (``level``, ``year``).
    by
        Key columns without margins: each of their codes is a separate table.

    Examples
    --------
    >>> h = Hierarchy(parents={"area": {"anode": "materials"}, "year": {}}, by=("kind",))
    >>> h.keys
    ('kind', 'area', 'year')
    >>> h.chain("area", "anode")
    ['anode', 'materials', None]
    """

    parents: Mapping[str, Mapping[Any, Any]]
    by: tuple[str, ...] = ()
    _aggregates: dict[str, frozenset[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        overlap = set(self.parents) & set(self.by)
        if overlap:
            msg = f"columns both hierarchical and plain: {sorted(overlap)}"
            raise ValueError(msg)
        for column, mapping in self.parents.items():
            for code in mapping:
                _walk_up(column, mapping, code)  # raises on a cycle
        aggregates = {c: frozenset(m.values()) for c, m in self.parents.items()}
        object.__setattr__(self, "_aggregates", aggregates)

    @classmethod
    def from_taxonomy(cls, tax: Taxonomy, by: tuple[str, ...] = ()) -> Hierarchy:
        """Level → total, area → area group → total, year → total, as the engine counts them.

        >>> from battkomp.engine.bundle import load_inputs
        >>> from battkomp.engine.taxonomy import Taxonomy
        >>> Hierarchy.from_taxonomy(Taxonomy.from_inputs(load_inputs(None))).keys
        ('level', 'area', 'year')
        """
        return cls(parents={"level": {}, "area": dict(tax.area_parent), "year": {}}, by=by)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key column: the plain ones, then the hierarchical ones."""
        return (*self.by, *self.parents)

    def chain(self, column: str, code: Any) -> list[Any]:
        """The code and its ancestors up to the total (null)."""
        return [*_walk_up(column, self.parents[column], code), None]

    def is_aggregate(self, column: str, code: Any) -> bool:
        """True for the total and for every code that is some code's parent."""
        return code is None or code in self._aggregates[column]


def _walk_up(column: str, mapping: Mapping[Any, Any], code: Any) -> list[Any]:
    seen = [code]
    while seen[-1] in mapping:
        parent = mapping[seen[-1]]
        if parent in seen or parent is None:
            msg = f"the hierarchy of {column!r} has a cycle or a null parent at {seen[-1]!r}"
            raise ValueError(msg)
        seen.append(parent)
    return seen


@dataclass(frozen=True)
class Relation:
    """A published additive relation: the row ``total`` is the sum of the rows ``parts``.

    Rows are positions in the table the relation was derived from.
    """

    total: int
    parts: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


# ----------------------------------------------------------------------------- the cells


def tabulate(
    contributions: pl.DataFrame,
    hierarchy: Hierarchy,
    *,
    contributor: str = "contributor",
    value: str = "value",
) -> pl.DataFrame:
    """Every cell of the table, margins included, with what the rules need (unprotected).

    Columns: the keys, ``value`` (the cell total), ``contributors`` (how many have a non-zero
    value), ``largest`` and ``second`` (the two largest contributions) and ``rest`` (the sum of
    the others). Rows are sorted by the keys with totals last, the same order as :func:`protect`.

    Examples
    --------
    >>> c = pl.DataFrame(
    ...     {"contributor": ["a", "b", "a"], "year": [1, 1, 2], "value": [2.0, 1.0, 4.0]}
    ... )
    >>> tabulate(c, Hierarchy(parents={"year": {}})).select("year", "value", "contributors").rows()
    [(1, 3.0, 2), (2, 4.0, 1), (None, 7.0, 2)]
    """
    keys = list(hierarchy.keys)
    parts = per_contributor(contributions, hierarchy, contributor=contributor, value=value)
    return (
        parts.sort([*keys, value, contributor], descending=[False] * len(keys) + [True, False])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col(value).sum(),
            (pl.col(value) > 0).sum().cast(pl.Int64).alias("contributors"),
            pl.col(value).first().alias("largest"),
            pl.col(value).slice(1, 1).sum().alias("second"),
            pl.col(value).slice(2).sum().alias("rest"),
        )
        .sort(keys, nulls_last=True)
    )


def per_contributor(
    contributions: pl.DataFrame,
    hierarchy: Hierarchy,
    *,
    contributor: str = "contributor",
    value: str = "value",
) -> pl.DataFrame:
    """Each contributor's part of every cell of the table, margins included (the keys,
    ``contributor`` and ``value``; a cell's row per contributor that has rows in it): what
    :func:`tabulate` adds up, and what balanced noise (:mod:`battkomp.engine.balance`) weighs
    the factors with.

    >>> c = pl.DataFrame(
    ...     {"contributor": ["a", "b", "a"], "year": [1, 1, 2], "value": [2.0, 1.0, 4.0]}
    ... )
    >>> per_contributor(c, Hierarchy(parents={"year": {}})).rows()
    [(1, 'a', 2.0), (1, 'b', 1.0), (2, 'a', 4.0), (None, 'a', 6.0), (None, 'b', 1.0)]
    """
    keys = list(hierarchy.keys)
    data = _validated(contributions, hierarchy, contributor, value)
    for column in hierarchy.parents:
        data = _expand(data, hierarchy, column)
    # sorted first, so that sums add in the same order whatever the order of the rows
    return (
        data.sort([*keys, contributor, value], nulls_last=True)
        .group_by([*keys, contributor], maintain_order=True)
        .agg(pl.col(value).sum())
        .select(*keys, contributor, value)
    )


def _validated(
    contributions: pl.DataFrame, hierarchy: Hierarchy, contributor: str, value: str
) -> pl.DataFrame:
    needed = [contributor, *hierarchy.keys, value]
    missing = [c for c in needed if c not in contributions.columns]
    if missing:
        msg = f"contributions lack the columns {missing}"
        raise ValueError(msg)
    data = contributions.select(needed).with_columns(pl.col(value).cast(pl.Float64))
    empty = [c for c in needed if data[c].null_count()]
    if empty:
        msg = f"contributions have nulls in {empty} (a null key would read as a total)"
        raise ValueError(msg)
    values = data[value].to_numpy()
    if not (np.isfinite(values).all() and (values >= 0).all()):
        msg = f"contributions must have finite, non-negative {value!r}"
        raise ValueError(msg)
    for column in hierarchy.parents:
        inner = [c for c in data[column].unique().to_list() if hierarchy.is_aggregate(column, c)]
        if inner:
            msg = f"contributions must be at the leaves of {column!r}, not at {sorted(inner)}"
            raise ValueError(msg)
    return data


def _expand(data: pl.DataFrame, hierarchy: Hierarchy, column: str) -> pl.DataFrame:
    """Each row once for its own code in ``column`` and once for every ancestor of it."""
    dtype = data.schema[column]
    codes = data[column].unique().to_list()
    pairs = [(code, up) for code in codes for up in hierarchy.chain(column, code)]
    chains = pl.DataFrame(
        {column: [p[0] for p in pairs], "_up": [p[1] for p in pairs]},
        schema={column: dtype, "_up": dtype},
    )
    return data.join(chains, on=column).drop(column).rename({"_up": column}).select(data.columns)


# ---------------------------------------------------------------------------- the rules


def primary_unsafe(cells: pl.DataFrame, rules: DisclosureRules | None = None) -> pl.Series:
    """The cells of :func:`tabulate` that the threshold rule or the p% rule makes unsafe.

    A cell whose contributions are all zero reveals no magnitude and is safe.

    Examples
    --------
    >>> cells = pl.DataFrame(
    ...     {"contributors": [2, 3, 3, 0], "largest": [5.0, 5.0, 90.0, 0.0],
    ...      "second": [5.0, 5.0, 5.0, 0.0], "rest": [0.0, 5.0, 5.0, 0.0]}
    ... )
    >>> primary_unsafe(cells).to_list()
    [True, False, True, False]
    """
    rules = rules or DisclosureRules()
    few = (pl.col("contributors") > 0) & (pl.col("contributors") < rules.min_contributors)
    dominated = (pl.col("largest") > 0) & (pl.col("rest") < rules.p / 100.0 * pl.col("largest"))
    return cells.select((few | dominated).alias("unsafe"))["unsafe"]


def required_protection(values: np.ndarray, rules: DisclosureRules | None = None) -> np.ndarray:
    """The least width of an attacker's interval for suppressed cells of these true values.

    >>> required_protection(np.array([0.0, 5.0, 250.0])).tolist()
    [1.0, 1.0, 25.0]
    """
    rules = rules or DisclosureRules()
    out: np.ndarray = np.maximum(rules.min_protection, rules.p / 100.0 * values)
    return out


# ------------------------------------------------------------------------ the relations


def relations(table: pl.DataFrame, hierarchy: Hierarchy) -> list[Relation]:
    """Every additive relation among the rows of a table with the keys of ``hierarchy``.

    Along each hierarchical column, a row whose code is an aggregate equals the sum of the rows
    with the same other keys whose codes are its children. Rows the table lacks count as zero.

    Examples
    --------
    >>> t = pl.DataFrame({"year": [1, 2, None]})
    >>> relations(t, Hierarchy(parents={"year": {}}))
    [Relation(total=2, parts=(0, 1))]
    """
    keys = list(hierarchy.keys)
    indexed = table.select(keys).with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    out: list[Relation] = []
    for column in hierarchy.parents:
        others = [k for k in keys if k != column]
        dtype = indexed.schema[column]
        codes = indexed[column].drop_nulls().unique().to_list()
        up = pl.DataFrame(
            {column: codes, "_up": [hierarchy.chain(column, c)[1] for c in codes]},
            schema={column: dtype, "_up": dtype},
        )
        parents = indexed.select(
            [*others, pl.col(column).alias("_up"), pl.col("_row").alias("_of")]
        )
        linked = (
            indexed.join(up, on=column)
            .join(parents, on=[*others, "_up"], nulls_equal=True)
            .group_by("_of")
            .agg(pl.col("_row").sort())
            .sort("_of")
        )
        out.extend(
            Relation(int(total), tuple(int(p) for p in parts))
            for total, parts in linked.iter_rows()
        )
    return out


# ---------------------------------------------------------------------------- protection


def protect(
    contributions: pl.DataFrame,
    hierarchy: Hierarchy,
    rules: DisclosureRules | None = None,
    *,
    contributor: str = "contributor",
    value: str = "value",
) -> pl.DataFrame:
    """The protected table: every cell with its ``value`` null where ``suppressed``.

    Columns: the keys of ``hierarchy`` (null = total), ``value``, ``suppressed`` and the internal
    ``suppression`` (``primary`` or ``secondary``; see :data:`INTERNAL_COLUMNS`). Publish only
    :func:`public_view` of it.

    Examples
    --------
    >>> c = pl.DataFrame({"contributor": ["a", "b", "c", "a"], "year": [1, 1, 1, 2],
    ...                   "value": [3.0, 3.0, 3.0, 4.0]})
    >>> protect(c, Hierarchy(parents={"year": {}}))["suppression"].to_list()
    ['secondary', 'primary', None]
    """
    rules = rules or DisclosureRules()
    cells = tabulate(contributions, hierarchy, contributor=contributor, value=value)
    primary = primary_unsafe(cells, rules).to_numpy().astype(bool)
    suppressed = _suppress(cells, hierarchy, rules, primary, value)
    reason = [
        "primary" if p else "secondary" if s else None
        for p, s in zip(primary.tolist(), suppressed.tolist(), strict=True)
    ]
    keys = list(hierarchy.keys)
    return cells.select(
        *keys,
        pl.when(pl.Series(suppressed)).then(None).otherwise(pl.col(value)).alias(value),
        pl.Series("suppressed", suppressed, dtype=pl.Boolean),
        pl.Series("suppression", reason, dtype=pl.String),
    )


def public_view(protected: pl.DataFrame, *, value: str = "value") -> pl.DataFrame:
    """What may be published: no suppressed value and no internal column.

    >>> p = pl.DataFrame({"year": [1, None], "value": [3.0, 9.0], "suppressed": [True, False],
    ...                   "suppression": ["primary", None]})
    >>> public_view(p).rows()
    [(1, None, True), (None, 9.0, False)]
    """
    return protected.drop([c for c in INTERNAL_COLUMNS if c in protected.columns]).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(value)).alias(value)
    )


@dataclass
class _Table:
    """The arrays secondary suppression works on."""

    values: np.ndarray
    rank: np.ndarray  # how many key columns of the cell are aggregates: prefer low
    single: np.ndarray  # cells with exactly one contributor
    primary: np.ndarray  # cells unsafe by the rules themselves
    relations: list[np.ndarray]
    of_cell: list[list[int]]  # the relations each cell is a member of

    @property
    def priority(self) -> np.ndarray:
        """Candidates for suppression in order: inner cells first, then the smallest value."""
        order = np.lexsort((np.arange(len(self.values)), self.values, self.rank))
        prio = np.empty(len(order), dtype=np.int64)
        prio[order] = np.arange(len(order))
        return prio


def _suppress(
    cells: pl.DataFrame,
    hierarchy: Hierarchy,
    rules: DisclosureRules,
    primary: np.ndarray,
    value: str,
    *,
    primary_only: bool = False,
) -> np.ndarray:
    """The suppression pattern. With ``primary_only``, only the primary cells must keep an
    interval at least their required protection wide (the others are safe and hidden only to
    protect them), and no relation needs closing beyond what the linear-programming attack asks.

    With ``primary_only`` (a noised table: ``value`` holds the noised cells, ``largest``,
    ``second`` and ``rest`` the true contributions), a primary cell's interval must also escape
    the p% rule's attackers (:func:`_escape`): its width alone does not say where it lies, and an
    interval as wide as asked can still sit inside the range where a contributor, less its own
    answer, recovers the largest within ``p`` per cent (docs/decisions.md, 54)."""
    table = _table(cells, hierarchy, value, primary)
    suppressed = primary.copy()
    needed = required_protection(table.values, rules)
    targets = primary if primary_only else suppressed
    escape = _escape(cells, rules, targets) if primary_only else None
    while True:
        if not primary_only:
            _close_relations(table, suppressed, rules.singleton_rule)
        lower, upper = _intervals(
            table.values, suppressed, table.relations, np.where(targets, needed, 0.0), escape
        )
        width = upper - lower
        # a failed linear program leaves a NaN width: the cell counts as unprotected
        narrow = ~(width >= needed * (1 - _TOL) - _TOL)
        need = needed.copy()
        if escape is not None:
            inside = ~_escapes(lower, upper, escape)
            narrow |= inside
            # how far the interval must still reach, down or up, to leave the attackers' range
            reach = np.minimum(table.values - escape[0], escape[1] - table.values)
            need = np.where(inside, np.maximum(need, np.clip(reach, 0.0, None)), need)
        weak = np.flatnonzero(targets & narrow)
        added = {
            c for c in (_widener(table, suppressed, float(need[w]), int(w)) for w in weak) if c >= 0
        }
        if not added:
            return suppressed
        suppressed[list(added)] = True


def _escape(
    cells: pl.DataFrame, rules: DisclosureRules, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where an attacker's interval ``[lo, hi]`` for a cell (in the cell's published unit)
    escapes the p% rule's attackers: ``lo < below``, ``hi > above`` or ``hi − lo > span``
    (``below`` = +inf for the cells that are not ``targets``: nothing to escape).

    A contributor with answer ``x`` reads the cell's interval less ``x`` as an interval for the
    largest answer ``x1``; it recovers it when both ends are within ``p`` per cent of ``x1``,
    i.e. when ``x + (1 − p) x1 ≤ lo`` and ``hi ≤ x + (1 + p) x1``. The attackers are the second
    largest (``x`` = ``second``) and, as :func:`~battkomp.engine.sdc.insufficient` has them, a
    smaller contributor whose ``x`` lies in ``[max(0, second + rest − p x1), min(second,
    rest)]``; every other reading (a smaller answer as the victim) lies inside one of these
    (the same centre, a narrower range). The table keeps only ``largest``, ``second`` and
    ``rest``, so every ``x`` from the least such to ``second`` is taken: the interval escapes
    them all when it reaches below the lowest attacker's range, above the highest's, or is wider
    than one range (``2 p x1``). A cell of one contributor (``second`` = 0) is read as itself.

    >>> cells = pl.DataFrame({"largest": [354.0], "second": [164.0], "rest": [32.0]})
    >>> [np.round(a, 1).tolist() for a in _escape(cells, DisclosureRules(), np.array([True]))]
    [[482.6], [553.4], [70.8]]
    """
    p = rules.p / 100.0
    x1 = cells["largest"].to_numpy().astype(np.float64)
    x2 = cells["second"].to_numpy().astype(np.float64)
    rest = cells["rest"].to_numpy().astype(np.float64)
    need = p * x1
    low = np.maximum(0.0, x2 + rest - need)
    smaller = (rest > 0) & (low <= np.minimum(x2, rest))
    least = np.where(smaller, low, x2)
    below = np.where(targets, least + x1 - need, np.inf)
    above = np.where(targets, x2 + x1 + need, -np.inf)
    span = np.where(targets, 2.0 * need, 0.0)
    return below, above, span


def _escapes(
    lower: np.ndarray, upper: np.ndarray, escape: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """True where ``[lower, upper]`` escapes the attackers (:func:`_escape`), with a margin for
    the linear program's floating point; NaN bounds (a failed program) never escape."""
    below, above, span = escape
    with np.errstate(invalid="ignore"):
        margin = _TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(above), above, 0.0)))
        out = (lower < below - margin) | (upper > above + margin) | (upper - lower > span + margin)
    return np.asarray(out & ~np.isnan(lower) & ~np.isnan(upper))


def _table(cells: pl.DataFrame, hierarchy: Hierarchy, value: str, primary: np.ndarray) -> _Table:
    rels = [np.array(r.members, dtype=np.int64) for r in relations(cells, hierarchy)]
    of_cell: list[list[int]] = [[] for _ in range(cells.height)]
    for i, members in enumerate(rels):
        for m in members:
            of_cell[m].append(i)
    rank = np.zeros(cells.height, dtype=np.int64)
    for column in hierarchy.parents:
        codes = cells[column].to_list()
        rank += np.array([hierarchy.is_aggregate(column, c) for c in codes], dtype=np.int64)
    return _Table(
        values=cells[value].to_numpy().astype(np.float64),
        rank=rank,
        single=(cells["contributors"] == 1).to_numpy(),
        primary=primary,
        relations=rels,
        of_cell=of_cell,
    )


def _close_relations(table: _Table, suppressed: np.ndarray, singleton_rule: bool) -> None:
    """Suppress more until no relation has exactly one suppressed member (greedy, in place)."""
    prio = table.priority
    changed = True
    while changed:
        changed = False
        for members in table.relations:
            hidden = suppressed[members]
            count = int(hidden.sum())
            exposed = count == 1 or (
                singleton_rule and count == 2 and _singleton(table, members[hidden])
            )
            free = members[~hidden]
            if exposed and free.size:
                suppressed[free[np.argmin(prio[free])]] = True
                changed = True


def _singleton(table: _Table, pair: np.ndarray) -> bool:
    """Two suppressed unsafe cells, one of them a single contributor's: it can recover the other."""
    return bool(table.primary[pair].all() and table.single[pair].any())


def _widener(table: _Table, suppressed: np.ndarray, need: float, cell: int) -> int:
    """A published cell to suppress to widen ``cell``'s interval: the nearest in the relations,
    inner cells first, then the smallest value that covers ``need``, else the largest; -1 if
    there is none."""
    seen = {cell}
    frontier = [cell]
    while frontier:
        ring = [
            int(m)
            for c in frontier
            for r in table.of_cell[c]
            for m in table.relations[r]
            if int(m) not in seen
        ]
        free = sorted({m for m in ring if not suppressed[m]})
        if free:
            return min(free, key=lambda m: _widening_cost(table, need, m))
        seen.update(ring)
        frontier = sorted(set(ring))
    return -1


def _widening_cost(table: _Table, need: float, cell: int) -> tuple[int, int, float]:
    v = float(table.values[cell])
    return (int(table.rank[cell]), 0 if v >= need else 1, v if v >= need else -v)


# ------------------------------------------------------------------------------- the audit


def audit(
    protected: pl.DataFrame, relations: Sequence[Relation], *, value: str = "value"
) -> pl.DataFrame:
    """The attacker's best bounds on every suppressed cell, from published cells alone.

    For each suppressed cell, linear programming (``scipy.optimize.linprog``) minimises and
    maximises its value subject to the relations, the published values and non-negativity.

    Returns the suppressed rows (without ``value`` and internal columns) with ``row`` (the
    position in ``protected``), ``lower``, ``upper`` (``inf`` when unbounded) and ``width``.

    Examples
    --------
    >>> p = pl.DataFrame({"year": [1, 2, None], "value": [None, None, 10.0],
    ...                   "suppressed": [True, True, False]})
    >>> audit(p, [Relation(2, (0, 1))]).select("year", "lower", "upper").rows()
    [(1, 0.0, 10.0), (2, 0.0, 10.0)]
    """
    suppressed = protected["suppressed"].to_numpy().astype(bool)
    values = protected[value].fill_null(np.nan).to_numpy().astype(np.float64)
    members = [np.array(r.members, dtype=np.int64) for r in relations]
    lower, upper = _intervals(values, suppressed, members)
    rows = np.flatnonzero(suppressed)
    drop = [value, "suppressed", *(c for c in INTERNAL_COLUMNS if c in protected.columns)]
    return (
        protected.drop(drop)
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .filter(pl.Series(suppressed))
        .with_columns(
            pl.Series("lower", lower[rows]),
            pl.Series("upper", upper[rows]),
            pl.Series("width", upper[rows] - lower[rows]),
        )
    )


def assess(
    intervals: pl.DataFrame,
    cells: pl.DataFrame,
    rules: DisclosureRules | None = None,
    *,
    value: str = "value",
) -> pl.DataFrame:
    """Judge an :func:`audit` against the true values (``cells`` from :func:`tabulate`).

    Adds ``required`` (:func:`required_protection` of the true value) and ``adequate`` (the
    interval is at least that wide) to ``intervals``.
    """
    truth = cells[value].to_numpy().astype(np.float64)[intervals["row"].to_numpy()]
    need = required_protection(truth, rules)
    width = intervals["width"].to_numpy()
    return intervals.with_columns(
        pl.Series("required", need),
        pl.Series("adequate", width >= need * (1 - _TOL) - _TOL),  # NaN (failed LP): False
    )


def interval_attack(
    values: np.ndarray,
    suppressed: np.ndarray,
    members: Sequence[np.ndarray],
    need: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The linear-programming interval attack, the one every caller uses.

    ``values`` are a table's cells (those of the ``suppressed`` cells are ignored: the attacker
    does not see them), ``members`` the additive relations (row indices, total first, then the
    parts). Returns each cell's least and greatest value consistent with the published cells,
    the relations and non-negativity: the value itself for a published cell, ``inf`` as the upper
    bound of an unbounded one. When a linear program fails (an inconsistent system, a numerical
    failure), the cell's bounds are NaN, so that every judgement of them (``width >= need``)
    counts the cell as unprotected.

    With ``need`` (and ``values`` holding the TRUE values of the suppressed cells too, a feasible
    point), a cell whose values at the points found so far already span its need is not solved
    for: its bounds are then an inner estimate, wide enough to judge it protected.

    >>> lo, hi = interval_attack(np.array([4.0, 6.0, 10.0]), np.array([True, True, False]),
    ...                          [np.array([2, 0, 1])])
    >>> lo.tolist(), hi.tolist()
    ([0.0, 0.0, 10.0], [10.0, 10.0, 10.0])
    """
    members_ = [np.asarray(m, dtype=np.int64) for m in members]
    return _intervals(
        np.asarray(values, dtype=np.float64), np.asarray(suppressed, dtype=bool), members_, need
    )


def _intervals(
    values: np.ndarray,
    suppressed: np.ndarray,
    members: list[np.ndarray],
    need: np.ndarray | None = None,
    escape: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper LP bounds for every suppressed cell (the value itself for the others);
    with ``need``, possibly inner bounds once they are ``need`` wide and, with ``escape``, also
    escape the attackers (:func:`_escape`; see :func:`_bounds`)."""
    lower, upper = values.copy(), values.copy()
    hidden = np.flatnonzero(suppressed)
    if hidden.size == 0:
        return lower, upper
    var = np.full(len(values), -1, dtype=np.int64)
    var[hidden] = np.arange(hidden.size)
    rows: list[int] = []
    cols: list[int] = []
    coef: list[float] = []
    rhs: list[float] = []
    for members_ in members:
        sign = np.ones(members_.size)
        sign[1:] = -1.0  # total − Σ parts = 0
        v = var[members_]
        if (v < 0).all():
            continue
        row = len(rhs)
        rows.extend([row] * int((v >= 0).sum()))
        cols.extend(v[v >= 0].tolist())
        coef.extend(sign[v >= 0].tolist())
        rhs.append(-float((sign[v < 0] * values[members_[v < 0]]).sum()))
    A = sparse.csr_matrix((coef, (rows, cols)), shape=(len(rhs), hidden.size))
    if need is None:
        lo, hi = _bounds(A, np.array(rhs))
    else:  # the values are all true ones, so they are a feasible point
        sub = None if escape is None else (escape[0][hidden], escape[1][hidden], escape[2][hidden])
        lo, hi = _bounds(A, np.array(rhs), need[hidden], values[hidden], sub)
    lower[hidden], upper[hidden] = lo, hi
    return lower, upper


def _bounds(
    A: sparse.csr_matrix,
    b: np.ndarray,
    need: np.ndarray | None = None,
    truth: np.ndarray | None = None,
    escape: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of each variable subject to ``A x = b``, ``x ≥ 0``, one component at a time.

    With ``need``, a variable whose values at the feasible points seen so far (the ``truth``,
    the optima found) already span its ``need`` (and, with ``escape``, escape the attackers,
    :func:`_escape`) is not solved for: its bounds are then those values, an inner estimate wide
    enough to judge the protection adequate, at a fraction of the linear programs.
    """
    n = A.shape[1]
    lo, hi = np.zeros(n), np.full(n, np.inf)
    link = (A.T @ A).tocsr() if A.shape[0] else sparse.csr_matrix((n, n))
    _, label = connected_components(link, directed=False)
    for comp in np.unique(label):
        cols = np.flatnonzero(label == comp)
        used = np.unique(A[:, cols].nonzero()[0])
        if used.size == 0:
            continue  # constrained by nothing but x ≥ 0: [0, inf)
        sub, rhs = A[used][:, cols], b[used]
        seen_lo, seen_hi = np.full(cols.size, np.inf), np.full(cols.size, -np.inf)
        if truth is not None:
            seen_lo, seen_hi = truth[cols].copy(), truth[cols].copy()
        for j, col in enumerate(cols):
            if need is not None and _enough(seen_lo[j], seen_hi[j], need[col], escape, int(col)):
                lo[col], hi[col] = seen_lo[j], seen_hi[j]
                continue
            for sense in (1.0, -1.0):
                best, point = _extreme(sub, rhs, j, sense)
                if point is not None:
                    seen_lo, seen_hi = np.minimum(seen_lo, point), np.maximum(seen_hi, point)
                if sense > 0:
                    lo[col] = best
                else:
                    hi[col] = -best
    return lo, hi


def _enough(
    lo: float,
    hi: float,
    need: float,
    escape: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    col: int,
) -> bool:
    """Inner bounds ``[lo, hi]`` already as wide as ``need`` and escaping the attackers."""
    if not hi - lo >= need:
        return False
    if escape is None:
        return True
    one = tuple(np.array([e[col]]) for e in escape)
    return bool(_escapes(np.array([lo]), np.array([hi]), one)[0])  # type: ignore[arg-type]


def _extreme(
    A: sparse.csr_matrix, b: np.ndarray, j: int, sense: float
) -> tuple[float, np.ndarray | None]:
    """The least value of ``sense × x[j]`` and a point that attains it (none if unbounded)."""
    c = np.zeros(A.shape[1])
    c[j] = sense
    res = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if res.status == 3:  # unbounded: only the maximisation can be
        return -np.inf, None
    if res.status != 0:  # failed: the bound is unknown, and the cell counts as unprotected
        return np.nan, None
    return float(res.fun), np.asarray(res.x, dtype=np.float64)
