"""The units of the segment and region breakdowns: one per (segment, region) pair of a facility or
a survey respondent, with the survey's fixed arrays (``breakdown.py`` uses them per draw)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Units:
    """The (segment, region) units of a compiled model and their fixed survey arrays."""

    segment: I64  # (U,) index into tax.segments
    region: I64  # (U,) index into tax.regions
    of_facility: I64  # (F,) unit of each facility
    survey_new: F64  # (U, T, C) reported new hires
    survey_staff: F64  # (U, T, C) reported staff
    carried_staff: F64  # (U, T, C) staff carried forward after the last answer
    carried_exits: F64  # (U, T, C) their exits at the base exit rates


def build_units(
    fac_segment: I64,
    fac_region: I64,
    survey_rows: list[tuple[int, int, int, int, float, float]],
    carried_rows: list[tuple[int, int, int, int, float, float]],
    n_years: int,
    n_cells: int,
) -> Units:
    """Units from the facilities' (segment, region) and the survey's.

    ``survey_rows``: (segment, region, year index, cell, new_hires, total_staff) of answers in
    the horizon; ``carried_rows``: (segment, region, year index, cell, staff, exits) of staff
    carried forward."""
    pairs = sorted(
        {(int(s), int(r)) for s, r in zip(fac_segment, fac_region, strict=True)}
        | {(s, r) for s, r, *_ in survey_rows}
        | {(s, r) for s, r, *_ in carried_rows}
    )
    index = {p: i for i, p in enumerate(pairs)}
    U = len(pairs)
    new = np.zeros((U, n_years, n_cells))
    staff = np.zeros((U, n_years, n_cells))
    c_staff = np.zeros((U, n_years, n_cells))
    c_exits = np.zeros((U, n_years, n_cells))
    for s, r, t, c, a, b in survey_rows:
        new[index[(s, r)], t, c] += a
        staff[index[(s, r)], t, c] += b
    for s, r, t, c, a, b in carried_rows:
        c_staff[index[(s, r)], t, c] += a
        c_exits[index[(s, r)], t, c] += b
    return Units(
        segment=np.array([p[0] for p in pairs], dtype=np.int64),
        region=np.array([p[1] for p in pairs], dtype=np.int64),
        of_facility=np.array(
            [index[(int(s), int(r))] for s, r in zip(fac_segment, fac_region, strict=True)],
            dtype=np.int64,
        ),
        survey_new=new,
        survey_staff=staff,
        carried_staff=c_staff,
        carried_exits=c_exits,
    )
