"""Reading a model run's stored results: frames, the national totals, the time squeeze, whether
a run reproduces an earlier one, and two runs side by side. Nothing here changes the database
(running and storing are in ``actions.py``)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from battkomp.analysis.models import ModelRun, RunStatus
from battkomp.core.charts import SUPPLY_METRICS
from battkomp.core.codes import label
from battkomp.engine.schema import HORIZON_ORDER

#: The metrics of the national totals table, in the order shown.
TOTAL_METRICS = ("headcount", "openings", "supply", "gap", "shortage")


def to_parquet(df: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.write_parquet(buffer)
    return buffer.getvalue()


def load_frames(run: ModelRun, names: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """The run's stored result frames (all, or those named), as polars DataFrames. All means the
    analysts' results: the public run's frames and the basis
    (:mod:`battkomp.analysis.publishing.noise`) are loaded only by name."""
    if names is None:
        rows = run.frames.exclude(name__startswith="public.").exclude(name__startswith="sdc.")
    else:
        rows = run.frames.filter(name__in=names)
    return {r.name: pl.read_parquet(io.BytesIO(bytes(r.data))) for r in rows.order_by("name")}


def _with_supply(totals: pl.DataFrame) -> pl.DataFrame:
    """The totals with a "supply" metric: the sum of the sources' means per year. Means add up;
    percentiles do not, so its P10, P50 and P90 are left empty (the engine keeps no draws)."""
    if totals.filter(pl.col("metric") == "supply").height:
        return totals
    parts = totals.filter(pl.col("metric").is_in(SUPPLY_METRICS))
    if not parts.height:
        return totals
    supply = (
        parts.group_by("year")
        .agg(pl.col("mean").sum())
        .with_columns(
            pl.lit("supply").alias("metric"),
            *[pl.lit(None, dtype=pl.Float64).alias(c) for c in ("p10", "p50", "p90")],
        )
        .select(totals.columns)
    )
    return pl.concat([totals, supply])


def totals_rows(
    totals: pl.DataFrame, metrics: tuple[str, ...] = TOTAL_METRICS
) -> list[dict[str, Any]]:
    """Per year: for each metric its mean, P10, P50 and P90 and whether the mean lies outside
    the band as shown (``{"year": y, "headcount": {...}}``)."""
    out: dict[int, dict[str, Any]] = {}
    data = _with_supply(totals).filter(pl.col("metric").is_in(metrics))
    for row in data.iter_rows(named=True):
        year = int(row["year"])
        out.setdefault(year, {"year": year})[row["metric"]] = {
            "mean": row["mean"],
            "p10": row["p10"],
            "p50": row["p50"],
            "p90": row["p90"],
            "outside": mean_outside_shown(row["mean"], row["p10"], row["p90"]),
        }
    return [out[y] for y in sorted(out)]


def band_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A table of means with their P10–P90 bands per year, as ``analysis/_band_table.html``
    shows it (the national totals of a run, of a snapshot and of a company's view; a run's
    supply by source): from rows of :func:`totals_rows` (a year ``suppressed`` has no numbers),
    a pair of columns for each of ``columns``, headed by ``names`` (by default the metrics'
    names in the active language), and per year its cells in that order (None where missing)."""
    return {
        "names": list(names) if names is not None else [label("metric", c) for c in columns],
        "span": 2 * len(columns),
        "rows": [
            {
                "year": row["year"],
                "suppressed": bool(row.get("suppressed")),
                "cells": [row.get(c) for c in columns],
            }
            for row in rows
        ],
    }


def mean_outside_shown(mean: float | None, p10: float | None, p90: float | None) -> bool:
    """The mean lies outside its P10–P90 band as the table shows them (to whole persons), so
    the page must say why (docs/decisions.md #31): lumpy draws, a few far from the rest."""
    if mean is None or p10 is None or p90 is None:
        return False
    return not round(p10) <= round(mean) <= round(p90)


def squeeze_rows(summary: pl.DataFrame) -> list[dict[str, Any]]:
    """Per year: the expected shortage each horizon must carry (None where there is none)."""
    out: dict[int, dict[str, Any]] = {}
    for row in summary.iter_rows(named=True):
        year = int(row["year"])
        out.setdefault(year, {"year": year, **dict.fromkeys(HORIZON_ORDER)})[row["horizon"]] = row[
            "shortage_mean"
        ]
    rows = [out[y] for y in sorted(out)]
    for r in rows:
        r["cells"] = [r[h] for h in HORIZON_ORDER]
    return rows


def same_results(a: Mapping[str, pl.DataFrame], b: Mapping[str, pl.DataFrame]) -> bool:
    """Exactly the same frames: names, columns, types and every value."""
    return set(a) == set(b) and all(a[n].equals(b[n]) for n in a)


@dataclass(frozen=True)
class Reproduction:
    earlier: ModelRun
    identical: bool


def reproduction_of(run: ModelRun) -> Reproduction | None:
    """The earliest finished run with the same input hash, seed and draws, and whether its
    numbers are exactly those of ``run``."""
    if run.status != RunStatus.DONE or not run.input_hash:
        return None
    earlier = (
        ModelRun.objects.filter(
            status=RunStatus.DONE,
            input_hash=run.input_hash,
            seed=run.seed,
            draws=run.draws,
            weighted=run.weighted,
            pk__lt=run.pk,
        )
        .order_by("pk")
        .first()
    )
    if earlier is None:
        return None
    return Reproduction(earlier, same_results(load_frames(run), load_frames(earlier)))


@dataclass(frozen=True)
class Difference:
    what: str
    a: object
    b: object

    @property
    def differs(self) -> bool:
        return self.a != self.b


def differences(a: ModelRun, b: ModelRun) -> dict[str, Difference]:
    """What two runs were made with, side by side."""
    return {
        "input_hash": Difference("input_hash", a.input_hash, b.input_hash),
        "round": Difference("round", a.round_id, b.round_id),
        "scenario": Difference(
            "scenario", (a.scenario_name, a.weighted), (b.scenario_name, b.weighted)
        ),
        "draws": Difference("draws", a.draws, b.draws),
        "seed": Difference("seed", a.seed, b.seed),
        "battkomp_version": Difference("battkomp_version", a.battkomp_version, b.battkomp_version),
    }


def compare_rows(
    a: pl.DataFrame, b: pl.DataFrame, metric: str
) -> list[dict[str, float | int | None]]:
    """Per year, one metric's mean in both runs and the difference (B − A)."""

    def means(df: pl.DataFrame) -> dict[int, float]:
        rows = _with_supply(df).filter(pl.col("metric") == metric).select("year", "mean")
        rows = rows.iter_rows()
        return {int(y): float(m) for y, m in rows}

    ma, mb = means(a), means(b)
    out: list[dict[str, float | int | None]] = []
    for year in sorted(set(ma) | set(mb)):
        va, vb = ma.get(year), mb.get(year)
        diff = vb - va if va is not None and vb is not None else None
        out.append({"year": year, "a": va, "b": vb, "diff": diff})
    return out
