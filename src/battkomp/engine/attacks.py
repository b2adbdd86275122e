"""The attacker suite: what an outsider can work out from any number of public snapshots.

An attacker holds only what anyone can download: the public tables of every snapshot
(:class:`Snapshot.tables`). The suite forms the attacker's estimates of each organisation's
answers and judges them against the truth (:class:`Snapshot.basis`, the confidential answers a
snapshot was built from, which the attacker never sees):

``single``
    One snapshot: a cell made only of survey answers (``survey_needs``, and the coverage-share
    product below) that one organisation alone answered is an estimate of that answer; a cell of
    two is read by either of them less its own answer, and must not equal the true total.
``lp``
    One snapshot: the linear-programming interval attack
    (:func:`~battkomp.engine.disclosure.interval_attack`) on every suppressed cell of
    ``survey_needs`` from its published cells and margins (area → area group → total, level,
    year).
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
from itertools import combinations
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
            if carrier.pure and focus in (None, snap.label):
                found += _single(snap.label, carrier, est, truths[(s, c)], p)
        if "survey_needs" in snap.tables and focus in (None, snap.label):
            found += _lp(snap, parents, p)
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


def _estimates(tables: Mapping[str, pl.DataFrame], carrier: Carrier) -> pl.DataFrame | None:
    """(keys, est) of the published, non-null cells of a carrier (None: no such table)."""
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
    keys = list(carrier.keys)
    nonzero = truth.filter(pl.col("truth") != 0)
    cells = nonzero.group_by(keys).agg(pl.col("contributor"), pl.col("truth"))
    joined = est.join(cells, on=keys, nulls_equal=True)
    out: list[Finding] = []
    for row in joined.iter_rows(named=True):
        who, vals, value = row["contributor"], row["truth"], float(row["est"])
        cell = tuple(row[k] for k in keys)
        if len(who) == 1 and _judge(value, vals[0], p):
            out.append(_finding("single", (label,), carrier, cell, who[0], value, vals[0]))
        if len(who) == 2:
            if _exact(value, vals[0] + vals[1]):
                out.append(
                    _finding(
                        "single",
                        (label,),
                        carrier,
                        cell,
                        "+".join(sorted(who)),
                        value,
                        vals[0] + vals[1],
                        exact=True,
                    )
                )
            for me, other in ((0, 1), (1, 0)):  # the other one subtracts its own answer
                guess = value - vals[other]
                if _judge(guess, vals[me], p):
                    out.append(
                        _finding("single", (label,), carrier, cell, who[me], guess, vals[me])
                    )
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


def _lp(snap: Snapshot, parents: Mapping[str, str], p: float) -> list[Finding]:
    """The interval attack on the suppressed cells of ``survey_needs``."""
    table = snap.tables["survey_needs"]
    if "suppressed" not in table.columns or not table["suppressed"].any():
        return []
    keys = ("area", "level", "year")
    areas = set(table["area"].drop_nulls().to_list())
    hierarchy = Hierarchy(
        parents={
            "area": {a: g for a, g in parents.items() if a in areas and g in areas},
            "level": {},
            "year": {},
        }
    )
    suppressed = table["suppressed"].to_numpy().astype(bool)
    values = table["new_hires"].fill_null(np.nan).to_numpy().astype(np.float64)
    members = [np.array(r.members, dtype=np.int64) for r in relations(table, hierarchy)]
    lower, upper = interval_attack(values, suppressed, members)
    carrier = CARRIERS[0]
    truth = _truth(snap.basis, carrier, parents).filter(pl.col("truth") != 0)
    cells = truth.group_by(list(keys)).agg(pl.col("contributor"), pl.col("truth"))
    index = table.select(*keys).with_row_index("_row").join(cells, on=list(keys), nulls_equal=True)
    out: list[Finding] = []
    for row in index.iter_rows(named=True):
        r = int(row["_row"])
        if not suppressed[r]:
            continue
        lo, hi = float(lower[r]), float(upper[r])
        who, vals = row["contributor"], row["truth"]
        cell = tuple(row[k] for k in keys)
        if np.isnan(lo) or np.isnan(hi):
            continue
        if len(who) == 1 and _judge(lo, vals[0], p) and _judge(hi, vals[0], p):
            out.append(_finding("lp", (snap.label,), carrier, cell, who[0], (lo + hi) / 2, vals[0]))
        if len(who) <= 2 and _exact(lo, sum(vals)) and _exact(hi, sum(vals)):
            out.append(
                _finding(
                    "lp",
                    (snap.label,),
                    carrier,
                    cell,
                    "+".join(sorted(who)),
                    lo,
                    sum(vals),
                    exact=True,
                )
            )
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
