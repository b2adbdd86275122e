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

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from battkomp.engine.central import group_sum
from battkomp.engine.model import F64, Compiled
from battkomp.engine.montecarlo import lane_stats
from battkomp.engine.schema import HORIZON_ORDER, HORIZONS

__all__ = ["HORIZON_ORDER", "horizon_for", "horizon_rank", "time_squeeze"]


def horizon_rank(horizon: str) -> int:
    """How slow a lever the horizon stands for: "none" -1 (no lever in time), then by lead time.

    >>> [horizon_rank(h) for h in HORIZON_ORDER]
    [0, 1, 2, -1]
    """
    return -1 if horizon == "none" else HORIZONS.index(horizon)


def horizon_for(leads: F64, horizons: Sequence[str], available_years: float) -> str:
    """The horizon of the slowest lever whose lead time fits in ``available_years``."""
    best = "none"
    for lead, horizon in zip(leads, horizons, strict=True):
        if lead <= available_years and horizon_rank(horizon) > horizon_rank(best):
            best = horizon
    return best


def time_squeeze(
    cm: Compiled, gap: np.ndarray, stats: Mapping[str, np.ndarray] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per cell and year: levers in time, the horizon that must carry it, and what none can close.

    ``gap`` is the Monte Carlo gap (D, T, C); ``stats`` may hold its statistics already computed by
    :func:`battkomp.engine.montecarlo.lane_stats` with ``positive=True``. Returns the cell table and
    a summary per year and horizon of the expected shortage (mean of the positive part of the gap).
    """
    tax = cm.tax
    L, A = len(tax.levels), len(tax.areas)
    T = len(cm.years)
    st = stats if stats is not None else lane_stats(gap, positive=True)
    mean_gap, p90_gap = st["mean"], st["p90"]
    mean_short, p_short = st["positive_mean"], st["positive_share"]
    # horizon and levers per (year, level): a small table, then spread over the areas
    horizon_tl: list[str] = []
    levers_tl: list[list[str]] = []
    available_t = (cm.years - cm.base_year).astype(float) + 0.5
    for available in available_t:
        for li in range(L):
            leads = cm.lever_lead[:, li]
            levers_tl.append(
                [c for c, ld in zip(cm.lever_codes, leads, strict=True) if ld <= available]
            )
            horizon_tl.append(horizon_for(leads, cm.lever_horizon, float(available)))
    tl = np.repeat(np.arange(T * L), A)  # (T·L·A,) index of (year, level) for every cell row
    horizon = np.array(horizon_tl, dtype=object)[tl]
    short = mean_short.reshape(-1).astype(np.float64)
    cells = pl.DataFrame(
        {
            "year": np.repeat(cm.years.astype(np.int64), L * A),
            "level": np.tile(np.repeat(np.array(tax.levels, dtype=object), A), T),
            "area": np.tile(np.array(tax.areas, dtype=object), T * L),
            "area_group": np.tile(
                np.array([tax.area_parent.get(a, a) for a in tax.areas], dtype=object), T * L
            ),
            "available_years": np.repeat(available_t, L * A),
            "levers_in_time": [levers_tl[k] for k in tl],
            "horizon": horizon,
            "gap_mean": mean_gap.reshape(-1).astype(np.float64),
            "gap_p90": p90_gap.reshape(-1).astype(np.float64),
            "shortage_mean": short,
            "shortage_probability": p_short.reshape(-1).astype(np.float64),
            "unclosable_mean": np.where(horizon == "none", short, 0.0),
        },
        schema_overrides={
            "levers_in_time": pl.List(pl.Utf8),
            "level": pl.Utf8,
            "area": pl.Utf8,
            "area_group": pl.Utf8,
            "horizon": pl.Utf8,
        },
    )
    summary = group_sum(cells, ["year", "horizon"], ["shortage_mean"])
    return cells, summary
