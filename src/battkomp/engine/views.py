"""Frames read off the Monte Carlo draws beside the mixture: breakdowns that add up, coverage,
conditional views (the firm base and each project's effect), exceedance probabilities and the
facilities' risk inputs.

Every frame here is computed from the same draws as ``totals``, so a segment's or region's means
add up to the national mean, and a conditional mean times its probability adds up to the mixture's
mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import numpy as np
import polars as pl

from battkomp.engine.breakdown import UNIT_METRICS, margin_draws, margin_frame
from battkomp.engine.model import Compiled
from battkomp.engine.montecarlo import Ensemble, lane_stats
from battkomp.engine.status import FIRM_STATUSES, RISK_COLUMNS

#: Thresholds (people short in a year, summed over cells) for ``exceedance``.
YEAR_THRESHOLDS: tuple[float, ...] = (0.0, 50.0, 100.0, 250.0, 500.0, 1000.0)
#: Thresholds for the shortage summed over the whole horizon.
TOTAL_THRESHOLDS: tuple[float, ...] = (0.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)

_T = TypeVar("_T")
_R = TypeVar("_R")
Mapper = Callable[[Callable[[_T], _R], Sequence[_T]], list[_R]]


def breakdown_frames(
    compiled: list[Compiled], ens: Ensemble, mapper: Callable[..., list[object]] | None = None
) -> dict[str, pl.DataFrame]:
    """``by_segment``, ``by_region`` (statistics of the per-draw margins) and ``coverage``: the
    two margins at once on the mapper's threads when it has them (:func:`breakdown_frame`)."""
    bys = ["segment", "region"]

    def one(by: str) -> dict[str, pl.DataFrame]:
        return breakdown_frame(compiled, ens, by)

    parts = cast(
        list[dict[str, pl.DataFrame]], mapper(one, bys) if mapper is not None else map(one, bys)
    )
    return {name: frame for part in parts for name, frame in part.items()}


def breakdown_frame(compiled: list[Compiled], ens: Ensemble, by: str) -> dict[str, pl.DataFrame]:
    """``by_segment`` or ``by_region`` (``by``: ``segment`` or ``region``), and with the segments
    ``coverage``: per metric its per-draw margins, then their statistics, in one task (one
    metric's margins at a time: a sixth of the memory of all at once)."""
    stats = []
    codes: list[str | None] = []
    out: dict[str, pl.DataFrame] = {}
    for m, metric in enumerate(UNIT_METRICS):
        codes, draws = margin_draws(compiled, ens.units, by, m)
        stats.append(lane_stats(draws))
        if by == "segment" and metric == "openings":
            out["coverage"] = _coverage(compiled, ens, draws)
    return {f"by_{by}": margin_frame(compiled[0].years, codes, by, stats), **out}


def _coverage(compiled: list[Compiled], ens: Ensemble, margins: np.ndarray) -> pl.DataFrame:
    """Per year: openings reported, carried forward and imputed (means over the draws, which add
    up to the mean of ``openings``), ``coverage`` = reported ÷ all of the means, and the P10 and
    P90 of each draw's own reported share. ``margins``: the openings per draw, segment and year
    (D, K, T)."""
    openings = margins.sum(axis=1)  # (D, T)
    assert ens.reported_openings is not None
    assert ens.carried_openings is not None
    reported = ens.reported_openings
    carried = ens.carried_openings
    imputed = openings - reported - carried
    share = np.divide(reported, openings, out=np.zeros_like(openings), where=openings > 0)
    st = lane_stats(share)
    rep, car, imp = reported.mean(axis=0), carried.mean(axis=0), imputed.mean(axis=0)
    total = rep + car + imp
    return pl.DataFrame(
        {
            "year": compiled[0].years.astype(np.int64),
            "reported_openings": rep,
            "carried_forward_openings": car,
            "imputed_openings": imp,
            "coverage": np.divide(rep, total, out=np.zeros_like(total), where=total > 0),
            "coverage_p10": st["p10"],
            "coverage_p90": st["p90"],
        }
    )


def conditional_frame(compiled: list[Compiled], ens: Ensemble) -> pl.DataFrame:
    """The shortage over the horizon (sum of the yearly national shortages) in the whole mixture,
    in the **firm base** (the draws in which no facility beyond those operating or under
    construction is realised) and given each such facility realised or not, with the share of
    draws in each view. Every row's ``probability × shortage_mean`` adds up with its complement
    to the mixture's mean."""
    total = ens.target
    direct = ens.jobs["direct"][:, -1].astype(np.float64)
    # realised facilities per draw, by facility id across scenarios
    ids: list[str] = []
    names: dict[str, str] = {}
    for cm in compiled:
        for f, fid in enumerate(cm.facility_ids):
            if cm.fac_status[f] not in FIRM_STATUSES and fid not in ids:
                ids.append(fid)
                names[fid] = cm.fac_name[f] or fid
    realised = np.zeros((total.size, len(ids)), dtype=bool)
    start = 0
    for cm, real in zip(compiled, ens.realised, strict=True):
        n = real.shape[0]
        for f, fid in enumerate(cm.facility_ids):
            if fid in ids:
                realised[start : start + n, ids.index(fid)] = real[:, f]
        start += n
    rows = [_view_row("all", None, np.ones(total.size, dtype=bool), total, direct)]
    firm = np.logical_not(realised.any(axis=1))
    rows.append(_view_row("firm_base", None, firm, total, direct))
    for j, fid in enumerate(ids):
        row = _view_row("with_facility", fid, realised[:, j], total, direct)
        row["facility_name"] = names[fid]
        without = total[~realised[:, j]]
        row["shortage_mean_without"] = float(without.mean()) if without.size else None
        mean_with = row["shortage_mean"]
        row["effect"] = (
            float(mean_with) - float(without.mean())  # type: ignore[arg-type]
            if without.size and mean_with is not None
            else None
        )
        rows.append(row)
    schema = {
        "view": pl.Utf8,
        "facility": pl.Utf8,
        "facility_name": pl.Utf8,
        "probability": pl.Float64,
        "draws": pl.Int64,
        "shortage_mean": pl.Float64,
        "shortage_p10": pl.Float64,
        "shortage_p50": pl.Float64,
        "shortage_p90": pl.Float64,
        "direct_jobs_end_mean": pl.Float64,
        "shortage_mean_without": pl.Float64,
        "effect": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _view_row(
    view: str, facility: str | None, sel: np.ndarray, total: np.ndarray, direct: np.ndarray
) -> dict[str, object]:
    x = total[sel]
    row: dict[str, object] = {
        "view": view,
        "facility": facility,
        "facility_name": None,
        "probability": float(sel.mean()) if sel.size else 0.0,
        "draws": int(sel.sum()),
        "shortage_mean": None,
        "shortage_p10": None,
        "shortage_p50": None,
        "shortage_p90": None,
        "direct_jobs_end_mean": None,
        "shortage_mean_without": None,
        "effect": None,
    }
    if x.size:
        q = np.percentile(x, [10, 50, 90])
        row.update(
            shortage_mean=float(x.mean()),
            shortage_p10=float(q[0]),
            shortage_p50=float(q[1]),
            shortage_p90=float(q[2]),
            direct_jobs_end_mean=float(direct[sel].mean()),
        )
    return row


def exceedance_frame(cm: Compiled, ens: Ensemble) -> pl.DataFrame:
    """P(shortage > x): per year for :data:`YEAR_THRESHOLDS` and over the horizon (``year``
    empty) for :data:`TOTAL_THRESHOLDS`, the share of draws whose national shortage exceeds x."""
    assert ens.year_shortage is not None
    ys = ens.year_shortage
    rows: list[tuple[int | None, float, float]] = []
    for t, year in enumerate(cm.years):
        for x in YEAR_THRESHOLDS:
            rows.append((int(year), x, float((ys[:, t] > x).mean())))
    for x in TOTAL_THRESHOLDS:
        rows.append((None, x, float((ens.target > x).mean())))
    return pl.DataFrame(
        rows,
        schema={"year": pl.Int64, "threshold": pl.Float64, "probability": pl.Float64},
        orient="row",
    )


def facilities_frame(cm: Compiled) -> pl.DataFrame:
    """The facilities' risk inputs as the run used them (status defaults filled in) and the
    announced jobs beside the model's full staffing."""
    tax = cm.tax
    full_cap = cm.capacity[:, 0, -1, :].max(axis=1) if len(cm.facility_ids) else np.zeros(0)
    # the delay distribution's mode is not kept; report its range and mean
    k = np.arange(cm.delay_pmf.shape[1])
    rows = []
    for f, fid in enumerate(cm.facility_ids):
        pmf = cm.delay_pmf[f]
        support = np.flatnonzero(pmf > 0)
        full_jobs = float(full_cap[f] * cm.fac_intensity[f])
        announced = float(cm.fac_announced[f])
        rows.append(
            {
                "facility": fid,
                "segment": tax.segments[int(cm.fac_segment[f])],
                "region": tax.regions[int(cm.fac_region[f])],
                "status": cm.fac_status[f],
                "firm": cm.fac_status[f] in FIRM_STATUSES,
                "realisation_probability": float(cm.fac_prob[f]),
                "delay_min": int(support.min()) if support.size else 0,
                "delay_max": int(support.max()) if support.size else 0,
                "delay_mean": float((pmf * k).sum()),
                "share_low": float(cm.fac_share_tri[f, 0]),
                "share_mode": float(cm.fac_share_tri[f, 1]),
                "share_high": float(cm.fac_share_tri[f, 2]),
                "from_status_default": "; ".join(
                    c for c in RISK_COLUMNS if c in cm.fac_defaulted[f]
                ),
                "capacity_max": float(full_cap[f]),
                "intensity": float(cm.fac_intensity[f]),
                "full_staffing_jobs": full_jobs,
                "announced_jobs": None if np.isnan(announced) else announced,
                "announced_per_capacity": (
                    None if np.isnan(announced) or full_cap[f] <= 0 else announced / full_cap[f]
                ),
            }
        )
    schema = {
        "facility": pl.Utf8,
        "segment": pl.Utf8,
        "region": pl.Utf8,
        "status": pl.Utf8,
        "firm": pl.Boolean,
        "realisation_probability": pl.Float64,
        "delay_min": pl.Int64,
        "delay_max": pl.Int64,
        "delay_mean": pl.Float64,
        "share_low": pl.Float64,
        "share_mode": pl.Float64,
        "share_high": pl.Float64,
        "from_status_default": pl.Utf8,
        "capacity_max": pl.Float64,
        "intensity": pl.Float64,
        "full_staffing_jobs": pl.Float64,
        "announced_jobs": pl.Float64,
        "announced_per_capacity": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def flag_band(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``mean_outside_band``: the mean lies outside P10–P90 (lumpy or skewed draws), so the
    headline centre, the median, and the mean must not be confused."""
    return frame.with_columns(
        ((pl.col("mean") < pl.col("p10") - 1e-9) | (pl.col("mean") > pl.col("p90") + 1e-9)).alias(
            "mean_outside_band"
        )
    )
