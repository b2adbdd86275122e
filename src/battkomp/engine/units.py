"""The units of the segment and region breakdowns: one per (segment, region) pair of a facility or
a survey respondent, with the survey's fixed arrays (``breakdown.py`` uses them per draw)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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

    @cached_property
    def survey_totals(self) -> tuple[F64, F64]:
        """``survey_new`` and ``carried_exits`` summed over the units, (T, C) each; once per run."""
        return self.survey_new.sum(axis=0), self.carried_exits.sum(axis=0)

    @cached_property
    def survey_layout(self) -> tuple[tuple[I64, I64, F64], tuple[I64, I64, F64]]:
        """For ``survey_new`` and ``carried_exits``: the units and cells they touch and their
        weights there laid out (T, Us, Cs); once per run."""

        def one(arr: F64) -> tuple[I64, I64, F64]:
            used_u = np.flatnonzero(arr.any(axis=(1, 2)))
            used_c = np.flatnonzero(arr.any(axis=(0, 1)))
            w = arr[np.ix_(used_u, np.arange(arr.shape[1]), used_c)].transpose(1, 0, 2)
            return used_u, used_c, np.ascontiguousarray(w)

        return one(self.survey_new), one(self.carried_exits)


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
