"""The attacker suite: what an outsider can work out from any number of public snapshots.

An attacker holds only what anyone can download: the public tables of every snapshot
(:class:`Snapshot.tables`). The suite forms the attacker's estimates of each organisation's
answers and judges them against the truth (:class:`Snapshot.basis`, the confidential answers a
snapshot was built from, which the attacker never sees):

``single``
    One snapshot, every number of :data:`CARRIERS` read as the p% rule's attackers read it: a
    cell one organisation alone answered is an estimate of that answer; a cell of several is
    read by each of them less its own answer, as an estimate of each other's (every pair, not
    only the two largest: with noise, a smaller organisation's estimate of the largest can miss
    by less than the second's); a cell of one or two must not equal its true total. A pair's
    estimate counts where the rest of the cell is within ``p`` per cent of the answer (without
    noise it would recover it); elsewhere a match is the noise's doing (*chance*, below). A
    model number (every carrier but ``survey_needs`` and the coverage product) is read as
    published, the model's own part in it unknown to the attacker like the others' answers; its
    match counts only where the answers it carries match too (else chance, below).
``lp``
    One snapshot: the linear-programming interval attack
    (:func:`~battkomp.engine.disclosure.interval_attack`) on every suppressed cell of every
    carrier's table, with the margins the other tables publish (:data:`LP_TABLES`: area →
    area group → total, level and year in ``survey_needs``; ``by_area_level`` with ``by_area``,
    ``by_level`` and ``totals``; ``by_segment`` and ``by_region`` with ``totals``, along a
    column only where its fully published relations hold). Its intervals are judged as
    ``single`` judges a published number; a failed linear program counts as unprotected.
``difference``
    Every pair of snapshots (a later round, an organisation removed or an answer changed, other
    scenarios): a cell's value in one less the other; where only one organisation's answers differ
    between the two, that is the attacker's estimate of the change. Between snapshots of different
    scenarios only the survey-only numbers are differenced (the model's own part does not cancel).
``coverage``
    In ``coverage``, ``openings × reported_share`` is the survey's reported openings of a segment
    and year (and of the year, all segments); it enters ``single`` and ``difference`` as a
    survey-only table, so scenario against scenario, where the model's own part moves and the
    answers do not, is covered too.

An estimate recovers an answer when it is within ``p`` per cent of it (the p% rule's ``p``), and
a cell of one or two organisations is recovered exactly when an estimate equals its true value.
Zero answers are not judged (a multiplicative noise leaves them zero; a zero reveals no
magnitude).

Chance matches. A number of the model (a carrier that is not :attr:`Carrier.pure`) is the
answers the release was built from plus the model's own part, which an outsider does not know.
When one organisation is taken out of a round, the model fills in for it (its facilities get the
model's own estimate instead), so the difference of two releases is its noised answers less that
estimate, and can land within ``p`` per cent of the true answers by coincidence: the attacker
cannot tell such a number from any other. The judge separates these from recoveries with the
answers the public run actually read (``noised_value`` and ``noised_staff`` of the basis, see
:data:`NOISED`): a difference of a model number recovers an answer only when the answers the
release carries for that organisation are themselves within ``p`` per cent of the truth (the
noise did not protect them) as well as the estimate. A match that holds only by the model's own
part is a *chance* finding, reported with ``attack(..., chance=True)`` and never counted as a
recovery. A basis without the noised columns is judged as if the answers were carried unnoised
(every match counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations, permutations
from typing import Any

import numpy as np
import polars as pl

from battkomp.engine.disclosure import Hierarchy, interval_attack, relations

__all__ = [
    "BASIS_SCHEMA",
    "CARRIERS",
    "NOISED",
    "Carrier",
    "Finding",
    "Snapshot",
    "attack",
]

#: The confidential answers a snapshot was built from: one row per organisation and need line.
BASIS_SCHEMA = pl.Schema(
    {
        "contributor": pl.Utf8,
        "area": pl.Utf8,
        "level": pl.Utf8,
        "year": pl.Int64,
        "value": pl.Float64,
        "staff": pl.Float64,
        "segment": pl.Utf8,
        "region": pl.Utf8,
    }
)

#: The basis columns holding the answers the public run read (each answer times its
#: organisation's noise factor), by the measure they noise; optional (see the module docstring).
NOISED: dict[str, str] = {"value": "noised_value", "staff": "noised_staff"}

_EXACT = 1e-6  # relative tolerance of "exactly"


@dataclass(frozen=True)
class Carrier:
    """A public number that carries organisations' answers linearly.

    ``column`` of ``table`` (its rows with ``metric``, if set; times ``share``, if set) is, per
    combination of ``keys`` (a null key is the total over it; ``area`` also takes area groups),
    the sum of the answers ``measure`` (``value``: new hires, ``staff``: total staff) plus, unless
    ``pure``, parts of the model that are not answers.
    """

    table: str
    keys: tuple[str, ...]
    column: str
    measure: str = "value"
    metric: str | None = None
    share: str | None = None
    pure: bool = False


#: Every public number known to carry answers linearly. A new table is protected by the noise
#: whether or not it is listed here (see the module docstring of :mod:`battkomp.engine.sdc`); it
#: is listed to be attacked.
CARRIERS: tuple[Carrier, ...] = (
    Carrier("survey_needs", ("area", "level", "year"), "new_hires", pure=True),
    Carrier("coverage", ("segment", "year"), "openings", share="reported_share", pure=True),
    *(
        Carrier(table, keys, "mean", measure, metric)
        for table, keys in (
            ("totals", ("year",)),
            ("by_level", ("level", "year")),
            ("by_area", ("area", "year")),
            ("by_area_level", ("area", "level", "year")),
            ("by_segment", ("segment", "year")),
            ("by_region", ("region", "year")),
        )
        for measure, metric in (("value", "openings"), ("staff", "headcount"))
    ),
)


@dataclass(frozen=True)
class Snapshot:
    """One release as an outsider downloads it (``tables``), with the confidential ``basis``
    (rows of :data:`BASIS_SCHEMA`) only the judge reads. ``context`` is what the release says
    about the model it comes from (its scenario): the model's own part of a number cancels in a
    difference only between releases of the same context, so across contexts only the numbers
    made of answers alone (:attr:`Carrier.pure`) are differenced."""

    label: str
    tables: Mapping[str, pl.DataFrame]
    basis: pl.DataFrame
    context: str = ""


@dataclass(frozen=True)
class Finding:
    """An answer the attacker recovered: by which ``attack``, from which snapshots, table,
    column and cell, whose answer, the estimate and the truth."""

    attack: str
    snapshots: tuple[str, ...]
    table: str
    column: str
    cell: tuple[Any, ...]
    contributor: str
    estimate: float
    truth: float
    exact: bool = field(default=False)
    #: True for a chance match (see the module docstring): not a recovery.
    chance: bool = field(default=False)


def attack(
    snapshots: Sequence[Snapshot],
    parents: Mapping[str, str],
    p: float,
    carriers: Sequence[Carrier] = CARRIERS,
    *,
    focus: str | None = None,
    chance: bool = False,
) -> list[Finding]:
    """Every answer the suite recovers from ``snapshots`` (empty: none).

    ``parents`` maps each competence area to its area group (``survey_needs`` publishes the
    groups as margins), ``p`` is the p% rule's per cent. With ``focus`` (a snapshot's label),
    only what that snapshot adds: its own attacks and every pair it is part of. With
    ``chance``, the chance matches of the model's numbers too (:attr:`Finding.chance`; see the
    module docstring), which are no recovery.
    """
    found: list[Finding] = []
    estimates: dict[tuple[int, int], pl.DataFrame] = {}
    truths: dict[tuple[int, int], pl.DataFrame] = {}
    for s, snap in enumerate(snapshots):
        for c, carrier in enumerate(carriers):
            est = _estimates(snap.tables, carrier)
            if est is None:
                continue
            estimates[(s, c)] = est
            truths[(s, c)] = _truth(snap.basis, carrier, parents)
            if focus in (None, snap.label):
                found += _single(snap.label, carrier, est, truths[(s, c)], p)
        if focus in (None, snap.label):
            found += _lp(snap, parents, p, carriers)
    for (i, a), (j, b) in combinations(enumerate(snapshots), 2):
        if focus is not None and focus not in (a.label, b.label):
            continue
        for c, carrier in enumerate(carriers):
            if not carrier.pure and a.context != b.context:
                continue  # the scenarios' own effects do not cancel: no estimate of an answer
            if (i, c) in estimates and (j, c) in estimates:
                found += _difference(
                    (a.label, b.label),
                    carrier,
                    (estimates[(i, c)], estimates[(j, c)]),
                    (truths[(i, c)], truths[(j, c)]),
                    p,
                )
    return found if chance else [f for f in found if not f.chance]


# ------------------------------------------------------------------------ estimates and truth


def _estimates(
    tables: Mapping[str, pl.DataFrame], carrier: Carrier, *, keep_hidden: bool = False
) -> pl.DataFrame | None:
    """(keys, est) of the published, non-null cells of a carrier (None: no such table); with
    ``keep_hidden``, every row, est null where it is not published."""
    table = tables.get(carrier.table)
    if table is None or carrier.column not in table.columns:
        return None
    if not all(k in table.columns for k in carrier.keys):
        return None
    if carrier.metric is not None:
        if "metric" not in table.columns:
            return None
        table = table.filter(pl.col("metric") == carrier.metric)
    est = pl.col(carrier.column).cast(pl.Float64)
    if carrier.share is not None:
        if carrier.share not in table.columns:
            return None
        est = est * pl.col(carrier.share).cast(pl.Float64)
    out = table.select(*(pl.col(k) for k in carrier.keys), est.alias("est"))
    if keep_hidden:
        return out.with_columns(pl.col("est").fill_nan(None))
    return out.filter(pl.col("est").is_not_null() & pl.col("est").is_not_nan())


def _truth(basis: pl.DataFrame, carrier: Carrier, parents: Mapping[str, str]) -> pl.DataFrame:
    """(contributor, keys, truth, noised): each organisation's answers, and the answers the
    public run read (:data:`NOISED`; the answers themselves if the basis has no such column),
    summed into every cell of the carrier's keys, margins (null) and area groups included."""
    keys = list(carrier.keys)
    schema = pl.Schema(
        {
            "contributor": pl.Utf8(),
            **{k: BASIS_SCHEMA[k] for k in keys},
            "truth": pl.Float64(),
            "noised": pl.Float64(),
        }
    )
    if not basis.height:
        return pl.DataFrame(schema=schema)
    noised_column = NOISED[carrier.measure]
    noised = pl.col(noised_column) if noised_column in basis.columns else pl.col(carrier.measure)
    data = basis.select(
        "contributor",
        *keys,
        pl.col(carrier.measure).cast(pl.Float64).alias("truth"),
        noised.cast(pl.Float64).alias("noised"),
    ).filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    for key in keys:
        dtype = data.schema[key]
        if key == "area":
            groups = pl.col(key).replace_strict(dict(parents), default=None, return_dtype=dtype)
            ups = pl.concat_list(pl.col(key), groups, pl.lit(None, dtype))
        else:
            ups = pl.concat_list(pl.col(key), pl.lit(None, dtype))
        # an area without a group has [area, null, null]: unique keeps one total
        data = data.with_columns(ups.list.unique(maintain_order=True).alias(key)).explode(key)
    return (
        data.group_by("contributor", *keys)
        .agg(pl.col("truth").sum(), pl.col("noised").sum())
        .select(list(schema))
        .cast(schema)
    )


def _judge(estimate: float, truth: float, p: float) -> bool:
    """True when ``estimate`` recovers ``truth`` (non-zero) to within ``p`` per cent."""
    return truth != 0 and abs(estimate - truth) <= p / 100.0 * abs(truth)


def _exact(estimate: float, truth: float) -> bool:
    return abs(estimate - truth) <= _EXACT * max(1.0, abs(truth))


# ------------------------------------------------------------------------------- the attacks


def _single(
    label: str, carrier: Carrier, est: pl.DataFrame, truth: pl.DataFrame, p: float
) -> list[Finding]:
    """The published cells of one snapshot read as p% rule attackers read them: a cell one
    organisation answered is an estimate of its answer, a cell of several is read by each of them
    less its own answer (a coalition of one, as the p% rule has it, but every pair of victim and
    attacker, not only the largest two: with noise, the largest is not always the most exposed),
    and a cell of one or two must not equal its true total.

    A model number is read as published: the model's own part in it is unknown to an outsider
    and misleads the estimate as the others' answers do. A match counts only where the answers
    the number carries (:data:`NOISED`) would match too, i.e. the noise did not protect them;
    otherwise it is chance (see the module docstring).
    """
    keys = list(carrier.keys)
    nonzero = truth.filter(pl.col("truth") != 0)
    cells = nonzero.group_by(keys).agg(pl.col("contributor"), pl.col("truth"), pl.col("noised"))
    joined = est.join(cells, on=keys, nulls_equal=True)
    out: list[Finding] = []
    for row in joined.iter_rows(named=True):
        base = float(row["est"])
        carried = None if carrier.pure else float(sum(row["noised"]))
        cell = tuple(row[k] for k in keys)
        who, vals = row["contributor"], row["truth"]
        out += _read("single", (label,), carrier, cell, who, vals, p, (base, base), carried)
    return out


def _read(
    kind: str,
    labels: tuple[str, ...],
    carrier: Carrier,
    cell: tuple[Any, ...],
    who: Sequence[str],
    vals: Sequence[float],
    p: float,
    bounds: tuple[float, float],
    carried: float | None = None,
) -> list[Finding]:
    """Judge what an attacker knows of a cell, its value between ``bounds`` (equal for a
    published cell), against the cell's organisations ``who`` and their true answers ``vals``
    (non-zero): each organisation alone, each less another's answer, and the exact total of a
    cell of one or two. Both bounds must recover an answer. For a model number, ``carried`` is
    the sum of the answers it carries: a match that the carried answers do not repeat is chance.
    """
    lo, hi = bounds
    out: list[Finding] = []
    if np.isnan(lo) or np.isnan(hi):  # a failed linear program: counted as unprotected
        return [
            _finding(kind, labels, carrier, cell, c, np.nan, v)
            for c, v in zip(who, vals, strict=True)
        ]

    def add(finding: Finding, carried_matches: bool, meaningful: bool = True) -> None:
        by_chance = not meaningful or (carried is not None and not carried_matches)
        out.append(replace(finding, chance=True) if by_chance else finding)

    total = float(sum(vals))
    if len(who) == 1 and _judge(lo, vals[0], p) and _judge(hi, vals[0], p):
        found = _finding(kind, labels, carrier, cell, who[0], (lo + hi) / 2, vals[0])
        add(found, carried is not None and _judge(carried, vals[0], p))
    if len(who) <= 2 and _exact(lo, total) and _exact(hi, total):
        found = _finding(kind, labels, carrier, cell, "+".join(sorted(who)), lo, total, exact=True)
        add(found, carried is not None and _exact(carried, total))
    for me, other in permutations(range(len(who)), 2):  # the other subtracts its own answer
        low, high = lo - vals[other], hi - vals[other]
        if _judge(low, vals[me], p) and _judge(high, vals[me], p):
            found = _finding(kind, labels, carrier, cell, who[me], (low + high) / 2, vals[me])
            # the estimate means something only where the rest of the cell is within p % of the
            # answer (without noise it would recover it); elsewhere the noise put it there
            rest = total - vals[me] - vals[other]
            meaningful = abs(rest) < p / 100.0 * abs(vals[me])
            own = carried is not None and _judge(carried - vals[other], vals[me], p)
            add(found, own, meaningful)
    return out


def _difference(
    labels: tuple[str, str],
    carrier: Carrier,
    est: tuple[pl.DataFrame, pl.DataFrame],
    truth: tuple[pl.DataFrame, pl.DataFrame],
    p: float,
) -> list[Finding]:
    keys = list(carrier.keys)
    diff = (
        est[0]
        .join(est[1], on=keys, nulls_equal=True, suffix="_b")
        .select(*keys, (pl.col("est") - pl.col("est_b")).alias("d"))
    )
    change = (
        truth[0]
        .join(
            truth[1],
            on=["contributor", *keys],
            how="full",
            nulls_equal=True,
            coalesce=True,
            suffix="_b",
        )
        .select(
            "contributor",
            *keys,
            (pl.col("truth").fill_null(0.0) - pl.col("truth_b").fill_null(0.0)).alias("t"),
            (pl.col("noised").fill_null(0.0) - pl.col("noised_b").fill_null(0.0)).alias("n"),
        )
        .filter((pl.col("t").abs() > 1e-9) | (pl.col("n").abs() > 1e-9))
    )
    alone = (
        change.group_by(keys)
        .agg(pl.col("contributor"), pl.col("t"), pl.col("n"))
        .filter(pl.col("contributor").list.len() == 1)
    )
    joined = diff.join(alone, on=keys, nulls_equal=True)
    out: list[Finding] = []
    for row in joined.iter_rows(named=True):
        d, t, n = float(row["d"]), float(row["t"][0]), float(row["n"][0])
        if _judge(d, t, p):
            cell = tuple(row[k] for k in keys)
            # a model number's match is chance unless the answers it carries are unprotected
            by_chance = not carrier.pure and not _judge(n, t, p)
            finding = _finding("difference", labels, carrier, cell, row["contributor"][0], d, t)
            out.append(replace(finding, chance=by_chance) if by_chance else finding)
    return out


#: The tables an outsider puts together for the linear-programming attack: the table of a
#: carrier first, then the tables that publish its margins (the same number at coarser keys).
LP_TABLES: dict[str, tuple[str, ...]] = {
    "survey_needs": ("survey_needs",),
    "by_area_level": ("by_area_level", "by_area", "by_level", "totals"),
    "by_area": ("by_area", "totals"),
    "by_level": ("by_level", "totals"),
    "by_segment": ("by_segment", "totals"),
    "by_region": ("by_region", "totals"),
    "coverage": ("coverage",),
}
_RELATION_TOL = 1e-6  # relative tolerance of a published relation


def _lp(
    snap: Snapshot, parents: Mapping[str, str], p: float, carriers: Sequence[Carrier]
) -> list[Finding]:
    """The interval attack (:func:`~battkomp.engine.disclosure.interval_attack`) on every
    suppressed cell of every carrier's table with the margins other tables publish
    (:data:`LP_TABLES`), judged as :func:`_single` judges a published cell.

    A model number's interval is judged as its published value would be (the carried answers
    deciding what is chance). A failed linear program counts as unprotected, as everywhere
    (``interval_attack``)."""
    out: list[Finding] = []
    for carrier in carriers:
        union = _lp_table(snap.tables, carrier, carriers)
        if union is None or not union["est"].is_null().any():
            continue
        keys = list(carrier.keys)
        hidden = union["est"].is_null().to_numpy()
        values = union["est"].fill_null(np.nan).to_numpy().astype(np.float64)
        members = _published_relations(union, keys, parents, values, hidden)
        lower, upper = interval_attack(values, hidden, members)
        truth = _truth(snap.basis, carrier, parents).filter(pl.col("truth") != 0)
        cells = truth.group_by(keys).agg(pl.col("contributor"), pl.col("truth"), pl.col("noised"))
        index = union.select(keys).with_row_index("_row").join(cells, on=keys, nulls_equal=True)
        for row in index.iter_rows(named=True):
            r = int(row["_row"])
            if not hidden[r]:
                continue
            lo, hi = float(lower[r]), float(upper[r])
            if np.isinf(hi):
                continue  # nothing bounds it
            carried = None if carrier.pure else float(sum(row["noised"]))
            cell = tuple(row[k] for k in keys)
            who, vals = row["contributor"], row["truth"]
            out += _read("lp", (snap.label,), carrier, cell, who, vals, p, (lo, hi), carried)
    return out


def _lp_table(
    tables: Mapping[str, pl.DataFrame], carrier: Carrier, carriers: Sequence[Carrier]
) -> pl.DataFrame | None:
    """The carrier's table with the rows of the tables publishing its margins (their missing
    keys null, the total over them), as (keys, est), est null where suppressed."""
    names = LP_TABLES.get(carrier.table)
    if names is None or carrier.table not in tables:
        return None
    keys = list(carrier.keys)
    parts: list[pl.DataFrame] = []
    for name in names:
        same = next(
            (
                c
                for c in carriers
                if c.table == name
                and c.measure == carrier.measure
                and c.pure == carrier.pure
                and set(c.keys) <= set(keys)
            ),
            None,
        )
        if same is None:
            continue
        part = _estimates(tables, same, keep_hidden=True)
        if part is None:
            continue
        parts.append(
            part.select(
                *(pl.col(k) if k in same.keys else pl.lit(None).alias(k) for k in keys), "est"
            ).cast({k: tables[carrier.table].schema[k] for k in keys})
        )
    if not parts:
        return None
    return pl.concat(parts).unique(subset=keys, keep="first", maintain_order=True)


def _published_relations(
    union: pl.DataFrame,
    keys: Sequence[str],
    parents: Mapping[str, str],
    values: np.ndarray,
    hidden: np.ndarray,
) -> list[np.ndarray]:
    """The additive relations of the union along each of its key columns that has a total
    (null) row, as an outsider would take them: only along a column whose fully published
    relations all hold (a table by segment need not add up to the national total)."""
    codes = {k: set(union[k].drop_nulls().to_list()) for k in keys}
    margins = [k for k in keys if union[k].is_null().any()]
    out: list[np.ndarray] = []
    for column in margins:
        tree = (
            {a: g for a, g in parents.items() if a in codes[column] and g in codes[column]}
            if column == "area"
            else {}
        )
        others = tuple(k for k in keys if k != column)
        found = relations(union, Hierarchy(parents={column: tree}, by=others))
        members = [np.array(r.members, dtype=np.int64) for r in found]
        holds = True
        for m in members:
            if hidden[m].any():
                continue
            total, rest = values[m[0]], values[m[1:]].sum()
            if abs(total - rest) > _RELATION_TOL * max(1.0, abs(total)):
                holds = False
                break
        if holds:
            out += members
    return out


def _finding(
    kind: str,
    labels: tuple[str, ...],
    carrier: Carrier,
    cell: tuple[Any, ...],
    who: str,
    estimate: float,
    truth: float,
    *,
    exact: bool = False,
) -> Finding:
    column = carrier.column if carrier.metric is None else f"{carrier.metric}.{carrier.column}"
    if carrier.share is not None:
        column = f"{column}*{carrier.share}"
    return Finding(
        kind, labels, carrier.table, column, cell, str(who), float(estimate), float(truth), exact
    )
