"""The time squeeze (batteritidsklemma): which lever can still deliver by the year a gap opens.

A lever delivers at a level after its lead time (set-up, permits and relocation; education adds
the level's programme duration). Decisions are taken at the start of the base year and a year's
openings fall due on average in its middle, so a gap in year ``t`` can be closed by a lever whose
lead time is at most ``t − base_year + 0.5`` years. The horizon that must
carry the gap is that of the slowest lever still in time, because it builds lasting capacity:
*long* (educate) if education can make it, else *medium* (retrain, modules), else *short* (recruit
from abroad), else *none*: no lever closes it in time.

>>> import numpy as np
>>> horizon_for(np.array([0.5, 1.0, 6.5]), ("short", "medium", "long"), 2.0)
'medium'
>>> horizon_for(np.array([0.5, 1.0, 6.5]), ("short", "medium", "long"), 0.25)
'none'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from battkomp.engine.central import group_sum
from battkomp.engine.model import F64, Compiled

HORIZON_ORDER = ("none", "short", "medium", "long")


def horizon_for(leads: F64, horizons: Sequence[str], available_years: float) -> str:
    """The horizon of the slowest lever whose lead time fits in ``available_years``."""
    best = "none"
    for lead, horizon in zip(leads, horizons, strict=True):
        if lead <= available_years and HORIZON_ORDER.index(horizon) > HORIZON_ORDER.index(best):
            best = horizon
    return best


def time_squeeze(cm: Compiled, gap: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per cell and year: levers in time, the horizon that must carry it, and what none can close.

    ``gap`` is the Monte Carlo gap (D, T, C). Returns the cell table and a summary per year and
    horizon of the expected shortage (mean of the positive part of the gap).
    """
    tax = cm.tax
    L, A = len(tax.levels), len(tax.areas)
    shortage = np.maximum(gap, 0.0)
    mean_short = shortage.mean(axis=0, dtype=np.float64)  # (T, C)
    p_short = (gap > 0).mean(axis=0)
    mean_gap = gap.mean(axis=0, dtype=np.float64)
    p90_gap = np.percentile(gap, 90, axis=0)
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "year",
            "level",
            "area",
            "area_group",
            "available_years",
            "levers_in_time",
            "horizon",
            "gap_mean",
            "gap_p90",
            "shortage_mean",
            "shortage_probability",
            "unclosable_mean",
        )
    }
    for t, year in enumerate(cm.years):
        available = float(year - cm.base_year) + 0.5
        for li, level in enumerate(tax.levels):
            leads = cm.lever_lead[:, li]
            in_time = [c for c, ld in zip(cm.lever_codes, leads, strict=True) if ld <= available]
            horizon = horizon_for(leads, cm.lever_horizon, available)
            for ai, area in enumerate(tax.areas):
                c = li * A + ai
                rows["year"].append(int(year))
                rows["level"].append(level)
                rows["area"].append(area)
                rows["area_group"].append(tax.area_parent.get(area, area))
                rows["available_years"].append(available)
                rows["levers_in_time"].append(in_time)
                rows["horizon"].append(horizon)
                rows["gap_mean"].append(float(mean_gap[t, c]))
                rows["gap_p90"].append(float(p90_gap[t, c]))
                rows["shortage_mean"].append(float(mean_short[t, c]))
                rows["shortage_probability"].append(float(p_short[t, c]))
                rows["unclosable_mean"].append(
                    float(mean_short[t, c]) if horizon == "none" else 0.0
                )
    cells = pl.DataFrame(rows, schema_overrides={"levers_in_time": pl.List(pl.Utf8)})
    _ = L
    summary = group_sum(cells, ["year", "horizon"], ["shortage_mean"])
    return cells, summary
