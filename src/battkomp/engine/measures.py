"""Measures (tiltak) as supply: agreed and running measures add study places, course places or
recruitment capacity to the cells they target (``measures`` and ``measure_targets``).

Each measure × target cell is a *pair* ``p`` with the target's weight ``w_p``. Three kinds:

* ``educate``: extra study places that arrive like an education offer, after the programme's
  duration, times the completion rate and the capture share of the target level (uncertain by the
  level's capture factor, as offers are);
* ``retrain`` and ``evu_module``: course places that arrive after the course duration, times the
  completion rate (no capture share: the people are bound for the battery industry);
* ``recruit_abroad``: extra recruitment capacity, used only where the modelled channels leave a
  shortfall, and scaled by the draw's recruitment-cap factor like the channels.

The first two kinds arrive whether or not jobs wait (as education does); the third answers need.

>>> arrival_years(2027, 2028, 2.5, 2026, 2032).tolist()
[False, False, False, True, True, False, False]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from battkomp.engine.schema import COUNTED_MEASURE_STATUSES

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Default course duration (years) of retrain and evu_module measures (MEASURES contract).
DEFAULT_COURSE_YEARS = 0.5


def arrival_years(
    start: int, end: int | None, duration: float, base: int, last: int
) -> NDArray[np.bool_]:
    """Years ``base..last`` in which people from intakes ``start..end`` arrive, after
    ``floor(duration)`` years (``end`` None: intakes to the horizon)."""
    years = np.arange(base, last + 1)
    lag = math.floor(duration)
    first = start + lag
    out = years >= first
    if end is not None:
        out &= years <= end + lag
    return out


@dataclass(frozen=True)
class MeasureArrays:
    """Counted measures compiled per pair (measure × target cell)."""

    ids: tuple[str, ...]  # (P,) measure id of each pair
    levels: tuple[str, ...]  # (P,) target level code
    areas: tuple[str, ...]  # (P,) target area code
    cell: I64  # (P,) national cell index
    fixed: F64  # (P, T) arrivals (before capture) of educate/retrain/evu_module pairs
    capture: F64  # (P,) capture share of educate pairs (1 for retrain and evu_module)
    capture_level: I64  # (P,) index into capture_levels for educate pairs, -1 for none
    recruit_cap: F64  # (P, T) extra recruitment capacity of recruit_abroad pairs

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def has_recruit(self) -> bool:
        return bool(self.recruit_cap.any())

    @classmethod
    def empty(cls, n_years: int) -> MeasureArrays:
        return cls(
            (),
            (),
            (),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, n_years)),
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, n_years)),
        )


def counted(measures: pl.DataFrame) -> pl.DataFrame:
    """The measures the model counts: status agreed or running."""
    return measures.filter(pl.col("status").is_in(list(COUNTED_MEASURE_STATUSES)))


def compile_measures(
    measures: pl.DataFrame,
    targets: pl.DataFrame,
    levels_df: pl.DataFrame,
    capture_share: pl.DataFrame,
    capture_levels: tuple[str, ...],
    levels: tuple[str, ...],
    areas: tuple[str, ...],
    years: I64,
) -> MeasureArrays:
    """Compile the counted measures of a bundle into pairs (see the module docstring)."""
    T = len(years)
    rows = list(counted(measures).iter_rows(named=True))
    if not rows:
        return MeasureArrays.empty(T)
    base, last = int(years[0]), int(years[-1])
    duration = dict(zip(levels_df["code"], levels_df["duration_years"], strict=True))
    completion = dict(zip(levels_df["code"], levels_df["completion_rate"], strict=True))
    capture = dict(zip(capture_share["level"], capture_share["mode"], strict=True))
    targets_of: dict[str, list[tuple[str, str, float]]] = {}
    for t in targets.iter_rows(named=True):
        targets_of.setdefault(str(t["measure"]), []).append(
            (str(t["level"]), str(t["area"]), float(t["weight"]))
        )
    lvl_ix = {c: i for i, c in enumerate(levels)}
    area_ix = {c: i for i, c in enumerate(areas)}
    ids: list[str] = []
    p_levels: list[str] = []
    p_areas: list[str] = []
    cells: list[int] = []
    fixed: list[F64] = []
    caps: list[float] = []
    recruit: list[F64] = []
    cap_level: list[int] = []
    for m in rows:
        lever = str(m["lever"])
        places = float(m["places_per_year"])
        start = int(m["start_year"])
        end = int(m["end_year"]) if m["end_year"] is not None else None
        for level, area, weight in targets_of.get(str(m["id"]), []):
            if level not in lvl_ix or area not in area_ix:
                continue
            zero = np.zeros(T)
            if lever == "recruit_abroad":
                dur = float(m["duration_years"]) if m["duration_years"] is not None else 0.0
                active = arrival_years(start, end, dur, base, last)
                done = float(m["completion_rate"]) if m["completion_rate"] is not None else 1.0
                recruit.append(places * done * weight * active.astype(float))
                fixed.append(zero)
                caps.append(1.0)
                cap_level.append(-1)
            else:
                if lever == "educate":
                    default_dur = float(duration[level])
                    default_done = float(completion[level])
                elif lever == "evu_module":
                    default_dur = DEFAULT_COURSE_YEARS
                    default_done = float(completion.get("evu") or completion[level])
                else:
                    default_dur = DEFAULT_COURSE_YEARS
                    default_done = 1.0
                dur = float(m["duration_years"]) if m["duration_years"] is not None else default_dur
                done = (
                    float(m["completion_rate"])
                    if m["completion_rate"] is not None
                    else default_done
                )
                active = arrival_years(start, end, dur, base, last)
                fixed.append(places * done * weight * active.astype(float))
                recruit.append(zero)
                if lever == "educate":
                    caps.append(float(capture.get(level, 0.0)))
                    cap_level.append(capture_levels.index(level))
                else:
                    caps.append(1.0)
                    cap_level.append(-1)
            ids.append(str(m["id"]))
            p_levels.append(level)
            p_areas.append(area)
            cells.append(lvl_ix[level] * len(areas) + area_ix[area])
    if not ids:
        return MeasureArrays.empty(T)
    return MeasureArrays(
        ids=tuple(ids),
        levels=tuple(p_levels),
        areas=tuple(p_areas),
        cell=np.array(cells, dtype=np.int64),
        fixed=np.array(fixed, dtype=float).reshape(len(ids), T),
        capture=np.array(caps, dtype=float),
        capture_level=np.array(cap_level, dtype=np.int64),
        recruit_cap=np.array(recruit, dtype=float).reshape(len(ids), T),
    )


def fixed_supply(ma: MeasureArrays, capture_factor: F64) -> F64:
    """Arrivals of the educate, retrain and evu_module pairs per draw: (D, P, T).

    An educate pair's capture share is multiplied by the draw's factor of its level and capped
    at 1, as an offer's is."""
    factor = np.where(
        ma.capture_level[None, :] >= 0,
        capture_factor[:, np.clip(ma.capture_level, 0, None)],
        1.0,
    )  # (D, P)
    share = np.minimum(ma.capture[None, :] * factor, 1.0)
    out: F64 = share[:, :, None] * ma.fixed[None, :, :]
    return out


def to_cells(pairs: F64, cell: I64, n_cells: int) -> F64:
    """(D, P, T) pair values summed into their cells: (D, T, C)."""
    P = pairs.shape[1]
    onehot = np.zeros((P, n_cells))
    onehot[np.arange(P), cell] = 1.0
    out: F64 = np.matmul(pairs.transpose(0, 2, 1), onehot)
    return out
