"""Segment and region breakdowns from every Monte Carlo draw, adding up to the national figure.

Inside each draw, the national flows per year × cell (``model.national_flows``) are shared out to
the **units** of the breakdown: one per (segment, region) pair of a facility or of a survey
respondent, plus ``unallocated`` for supply in cells without openings. A unit's weight in a cell is
its own gross openings there: the gross growth of its jobs in each phase ``max(0, J − J′)``
spread over the cells by its segment's mix, its replacement
(exits and the outflow of temporary specialists, as in ``national_flows``), its survey new hires
and the exits of its carried-forward staff. For every year the unit then gets

* ``headcount``: its own staff (exact, not allocated);
* ``openings``, ``gap`` and ``shortage`` (the positive part of the cell gap): the cell's national
  value × the unit's weight, summed over cells;
* ``supply`` = ``openings − gap`` (so every supply source, whatever it is, is counted);
* ``capacity``: the capacity in place of its facilities (GWh or GWh-eq; survey units have none).

Summed over the units, every metric gives the national figure of the same draw. Only unit × year
sums leave a block, so memory grows with draws × units × years, never with the full
segment × region × cell cross.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from battkomp.engine import kernels
from battkomp.engine.model import Compiled, Draws, Flows, survey_unit_staff

#: The metrics of a breakdown, in the order of the last axis of :func:`unit_sums`.
UNIT_METRICS: tuple[str, ...] = ("headcount", "openings", "supply", "gap", "shortage", "capacity")
UNALLOCATED = "unallocated"


def unit_sums(cm: Compiled, dr: Draws, fl: Flows) -> np.ndarray:
    """Per draw, unit (the last one ``unallocated``), year and metric of :data:`UNIT_METRICS`:
    (D, U + 1, T, M) float32. Summed over units it gives the national figures of each draw.

    A unit's weight in a cell is its gross growth in jobs per phase (``max(0, J − J′)``) and its
    jobs a year earlier, each through its segment's cells per job, exits and expat outflow per
    job (``fl.cell_kernel``, the weights national_flows computed for the same draws), plus its
    survey new hires and carried exits (× the draw's exit factor). The weights are linear in the
    cells, so the allocation is contracted over the cells at the segment level first and never
    forms a draw × unit × year × cell array (kernels.unit_sums, one draw at a time)."""
    un = cm.units
    U = len(un.segment)
    D = dr.mix.shape[0]
    T = len(cm.years)
    assert fl.cell_kernel is not None
    kernel = fl.cell_kernel
    kernel = kernel.reshape(D, kernel.shape[1] * 4, cm.n_cells)
    new_sum, exits_sum = un.survey_totals
    (new_u, new_c, new_w), (exit_u, exit_c, exit_w) = un.survey_layout
    cap = dr.facility_capacity if dr.facility_capacity is not None else np.zeros((0, 0, 0))
    out = np.zeros((D, U + 1, T, len(UNIT_METRICS)), dtype=np.float32)
    kernels.unit_sums(
        dr.facility_jobs,
        dr.facility_startup,
        cap,
        cm.mask,
        un.of_facility,
        un.segment,
        kernel,
        new_sum,
        exits_sum,
        new_u,
        new_c,
        new_w,
        exit_u,
        exit_c,
        exit_w,
        dr.exit_factor,
        fl.openings,
        fl.gap,
        out,
    )
    # the survey estimator's staff: respondent groups' paths at the place of their answers, less
    # their facilities' modelled staff in the cells they answered; ratio-imputed non-respondents
    # have no county and stay in the unallocated unit (model.survey_unit_staff)
    if fl.survey is not None:
        out[:, :, :, 0] += survey_unit_staff(cm, fl.survey, un.of_facility, _place_units(cm), U)
    return out


def _place_units(cm: Compiled) -> list[int]:
    """The unit of each respondent group's answers (its segment and region)."""
    un = cm.units
    seg = {s: i for i, s in enumerate(cm.tax.segments)}
    reg = {r: i for i, r in enumerate(cm.tax.regions)}
    out = []
    for segment, region in cm.survey.place:
        match = np.flatnonzero((un.segment == seg[segment]) & (un.region == reg[region]))
        out.append(int(match[0]) if match.size else len(un.segment))
    return out


def unit_labels(cm: Compiled) -> tuple[list[str | None], list[str | None]]:
    """Segment and region code of every unit, None for the last one (``unallocated``)."""
    tax = cm.tax
    segs: list[str | None] = [tax.segments[int(s)] for s in cm.units.segment]
    regs: list[str | None] = [tax.regions[int(r)] for r in cm.units.region]
    return [*segs, None], [*regs, None]


def margin_draws(
    compiled: list[Compiled], unit_arrays: list[np.ndarray], by: str, metric: int | None = None
) -> tuple[list[str | None], np.ndarray]:
    """The per-draw sums of every scenario's units to the codes of ``by`` (``segment`` or
    ``region``; None = unallocated, last), draws stacked in scenario order: codes and
    (D, K, T, M) float64, or with ``metric`` (an index of :data:`UNIT_METRICS`) that metric's
    (D, K, T) alone (the same sums)."""
    labels = []
    for cm in compiled:
        segs, regs = unit_labels(cm)
        labels.append(segs if by == "segment" else regs)
    named = sorted({c for lab in labels for c in lab if c is not None})
    codes: list[str | None] = [*named, None]
    idx = {c: i for i, c in enumerate(codes)}
    total = sum(arr.shape[0] for arr in unit_arrays)
    _, _, T, M = unit_arrays[0].shape
    out = np.zeros((total, len(codes), T, M) if metric is None else (total, len(codes), T))
    sums = out if metric is None else out[..., None]  # a view: the kernel writes into ``out``
    start = 0
    for lab, arr in zip(labels, unit_arrays, strict=True):
        # Each code's units added in unit order, widened to float64 as they are added: the same
        # sums, bit for bit, as the product with a 0/1 unit × code matrix this replaced (BLAS
        # adds the terms in order from zero), in one compiled pass over the draws.
        code_of_unit = np.array([idx[c] for c in lab], dtype=np.int64)
        rows = sums[start : start + arr.shape[0]]
        kernels.margin_sums(arr, code_of_unit, 0 if metric is None else metric, rows)
        start += arr.shape[0]
    return codes, out


def margin_frame(
    years: np.ndarray,
    codes: list[str | None],
    by: str,
    stats: list[dict[str, np.ndarray]],
) -> pl.DataFrame:
    """The ``by_segment`` or ``by_region`` frame: per year and code (None: supply in cells
    without openings) the mean of every metric, which adds up over the codes to the national
    mean, with its P10, P50 and P90 over the draws; ``means_outside_band`` names the metrics
    whose mean lies outside P10–P90. ``stats[m]``: mean/p10/p50/p90 of metric m, (K, T)."""
    K, T = len(codes), len(years)
    data: dict[str, object] = {
        "year": np.tile(years.astype(np.int64), K),
        by: [c for c in codes for _ in range(T)],
    }
    outside: list[list[str]] = [[] for _ in range(K * T)]
    for metric, st in zip(UNIT_METRICS, stats, strict=True):
        mean = st["mean"].reshape(-1)
        data[metric] = mean
        for q in ("p10", "p50", "p90"):
            data[f"{metric}_{q}"] = st[q].reshape(-1)
        off = (mean < st["p10"].reshape(-1) - 1e-9) | (mean > st["p90"].reshape(-1) + 1e-9)
        for i in np.flatnonzero(off):
            outside[i].append(metric)
    data["means_outside_band"] = ["; ".join(o) for o in outside]
    return pl.DataFrame(data, schema_overrides={by: pl.Utf8}).sort("year", by, nulls_last=True)
