"""Compile validated inputs into arrays, and the vectorised equations of DOMAIN §5.

Arrays are laid out with a leading *draw* axis ``d`` (one draw for the central run), then years
``t`` and the national cell ``c`` = education level × competence area (``c = level * A + area``).
Everything here is deterministic: random numbers come in as arguments (``montecarlo.py``).

Demand from capacity (equation 1). Each increase ``ΔC_j`` of a facility's planned capacity in year
``y_j`` starts its own staffing ramp, and staffing never exceeds full staffing of the capacity in
place::

    jobs_f(t) = I_f × min(C_f(t), Σ_j ΔC_j⁺ × ramp(t − y_j + 1))

so a single plan of 6 500 / I GWh reproduces the Tesla plan's 300, 2 000, 4 000 and 6 500 staff in
years 1, 3, 5 and 8, and a cut in capacity cuts staffing at once.

>>> import numpy as np
>>> ramp = np.array([0.5, 1.0])
>>> staffing_profile(np.array([2030]), np.array([10.0]), ramp, np.arange(2029, 2033))
array([ 0.,  5., 10., 10.])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from battkomp.engine import kernels
from battkomp.engine.bundle import Inputs
from battkomp.engine.measures import (
    MeasureArrays,
    compile_measures,
    fixed_supply,
    to_cells,
)
from battkomp.engine.pathways import effective_retraining_paths
from battkomp.engine.status import resolve
from battkomp.engine.survey import SurveyArrays, compile_survey, donor_slots, imputed_staff
from battkomp.engine.taxonomy import Taxonomy
from battkomp.engine.units import Units, build_units

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


def staffing_profile(
    plan_years: I64, plan_caps: F64, ramp: F64, years: I64, offset: int = 0
) -> F64:
    """Capacity-equivalent staffing (GWh) in each of ``years`` for one plan on its own timeline.

    ``offset`` moves every increment that many years further along the ramp (a small plant that
    staffs up faster than the default ramp)."""
    order = np.argsort(plan_years, kind="stable")
    py, pc = plan_years[order], plan_caps[order]
    increments = np.diff(pc, prepend=0.0)
    # capacity in place: the last plan value at or before the year (0 before the first)
    idx = np.searchsorted(py, years, side="right") - 1
    in_place = np.where(idx >= 0, pc[np.clip(idx, 0, None)], 0.0)
    ramped = np.zeros(len(years))
    for y, inc in zip(py, increments, strict=True):
        if inc <= 0:
            continue
        since = years - y + 1
        along = since + offset
        share = np.where(since >= 1, ramp[np.clip(along - 1, 0, len(ramp) - 1)], 0.0)
        ramped += inc * share
    result: F64 = np.minimum(in_place, ramped)
    return result


#: Built shares of a facility's plan on which staffing profiles are tabulated; a drawn share
#: between two grid points interpolates linearly between their profiles.
SHARE_GRID: F64 = np.linspace(0.0, 1.0, 21)


def staffing_grid(
    plan_years: I64,
    plan_caps: F64,
    ramp: F64,
    years: I64,
    offset: int,
    delays: int,
    shares: F64 = SHARE_GRID,
) -> tuple[F64, F64]:
    """Staffing (capacity-equivalent GWh) and capacity in place of one plan for every delay
    ``0..delays-1`` and built share, each (delays, shares, years).

    A built share ``σ`` stops the plan at ``σ`` times its largest capacity: the first phases are
    built in full and the later ones not (Northvolt Ett built about half of its plan, DOMAIN §10).

    >>> st, cap = staffing_grid(np.array([2030]), np.array([10.0]), np.array([0.5, 1.0]),
    ...                         np.arange(2029, 2033), 0, 2, np.array([0.5, 1.0]))
    >>> st[0, 1].tolist(), st[1, 0].tolist(), cap[0, 0].tolist()
    ([0.0, 5.0, 10.0, 10.0], [0.0, 0.0, 2.5, 5.0], [0.0, 5.0, 5.0, 5.0])
    """
    order = np.argsort(plan_years, kind="stable")
    py, pc = plan_years[order], plan_caps[order]
    top = float(pc.max()) if pc.size else 0.0
    caps = np.minimum(pc[None, :], shares[:, None] * top)  # (G, J)
    inc = np.maximum(np.diff(caps, axis=1, prepend=0.0), 0.0)  # (G, J)
    k = np.arange(delays)
    # production year of increment j at delay k in each year: (K, J, Y)
    since = years[None, None, :] - (py[None, :, None] + k[:, None, None]) + 1
    along = np.clip(since + offset - 1, 0, len(ramp) - 1)
    share = np.where(since >= 1, ramp[along], 0.0)
    ramped = np.einsum("gj,kjy->kgy", inc, share)
    idx = np.searchsorted(py, years[None, :] - k[:, None], side="right") - 1  # (K, Y)
    in_place = np.where(
        idx[:, None, :] >= 0, caps[:, np.clip(idx, 0, None)].transpose(1, 0, 2), 0.0
    )
    staffing: F64 = np.minimum(in_place, ramped)
    return staffing, in_place


def delay_pmf(dmin: int, dmode: int, dmax: int, k_max: int) -> F64:
    """Integer delays 0..k_max-1 from a triangular distribution on [dmin-½, dmax+½] with mode dmode.

    >>> delay_pmf(0, 0, 0, 3).tolist()
    [1.0, 0.0, 0.0]
    >>> p = delay_pmf(0, 1, 2, 3); round(float(p.sum()), 12), bool(p[1] > p[0])
    (1.0, True)
    """
    pmf = np.zeros(k_max)
    if dmin == dmax:
        pmf[dmin] = 1.0
        return pmf
    a, b, c = dmin - 0.5, dmax + 0.5, float(dmode)

    def cdf(x: float) -> float:
        if x <= a:
            return 0.0
        if x >= b:
            return 1.0
        if x <= c:
            return (x - a) ** 2 / ((b - a) * (c - a)) if c > a else 0.0
        return 1.0 - (b - x) ** 2 / ((b - a) * (b - c)) if b > c else 1.0

    for k in range(dmin, dmax + 1):
        pmf[k] = cdf(k + 0.5) - cdf(k - 0.5)
    pmf /= pmf.sum()
    return pmf


def triangular(u: F64, low: F64 | float, mode: F64 | float, high: F64 | float) -> F64:
    """Inverse CDF of the triangular distribution; a degenerate range gives the mode.

    >>> triangular(np.array([0.0, 0.5, 1.0]), 90.0, 140.0, 180.0).round(3).tolist()
    [90.0, 137.434, 180.0]
    """
    a = np.asarray(low, dtype=float)
    c = np.asarray(mode, dtype=float)
    b = np.asarray(high, dtype=float)
    width = b - a
    safe = np.where(width > 0, width, 1.0)
    split = np.where(width > 0, (c - a) / safe, 0.0)
    left = a + np.sqrt(np.clip(u * safe * (c - a), 0.0, None))
    right = b - np.sqrt(np.clip((1.0 - u) * safe * (b - c), 0.0, None))
    out: F64 = np.where(width > 0, np.where(u < split, left, right), c)
    return out


def capture_factor_triangle(low: float, stated: float, high: float) -> tuple[float, float, float]:
    """The capture factor's triangle (low, peak, high) as ratios to the ``stated`` share.

    The stated share is the **expected** share: the drawn share is triangular on ``[low, high]``
    with its peak at ``3 × stated − low − high``, whose mean is ``stated``, so the factor has
    mean 1. (The bundle check ``capture_mean`` keeps the peak inside ``[low, high]``.)

    >>> lo, peak, hi = capture_factor_triangle(0.03, 0.1, 0.2)
    >>> round((lo + peak + hi) / 3, 12), round(peak * 0.1, 12)
    (1.0, 0.07)
    """
    peak = min(max(3.0 * stated - low - high, low), high)
    return low / stated, peak / stated, high / stated


@dataclass(frozen=True)
class Compiled:
    """Everything one scenario's model needs, as arrays. Picklable, so draws can run elsewhere."""

    scenario: str | None
    input_hash: str
    tax: Taxonomy
    years: I64  # (T,)
    # facilities
    facility_ids: tuple[str, ...]
    fac_segment: I64  # (F,) index into tax.segments
    fac_region: I64  # (F,) index into tax.regions
    fac_org: tuple[str, ...]
    fac_name: tuple[str, ...]  # the facility's name, for labels (blank: label by its id)
    fac_prob: F64  # (F,) probability that any of the plan is built (status default or own)
    fac_intensity: F64  # (F,) jobs per GWh at the intensity mode
    fac_status: tuple[str, ...]
    fac_defaulted: tuple[tuple[str, ...], ...]  # risk columns taken from the status default
    fac_share_tri: F64  # (F, 3) built share of the plan if built: low, mode, high
    fac_announced: F64  # (F,) announced jobs (nan where not given)
    delay_cdf: F64  # (F, K) cumulative
    delay_pmf: F64  # (F, K)
    profile: F64  # (F, K, G, T+1) staffing (GWh) for delay k and built share SHARE_GRID[g]
    capacity: F64  # (F, K, G, T+1) capacity in place, likewise
    share_profile: F64  # (F, K, T+1) staffing averaged over the built share's distribution
    startup: F64  # (F, K, T+1) 1 while in the start-up years
    shock_correlation: float  # facilities' latent correlation through the common factor
    shock_supply_correlation: float  # recruitment and capture factors' correlation with it
    mask: F64  # (F, T) 1: answers replace the model per group and cell instead (survey.py)
    # uncertain parameters
    intensity_tri: F64  # (S, 3) low, mode, high
    role_mix: F64  # (S, 2, R) phase 0 start-up, 1 mature
    mix_concentration: tuple[float, float]  # start-up, mature
    profile_rc: F64  # (R, C)
    exit_base: F64  # (R,) retirement + turnover
    expat_share: F64  # (R,)
    exit_factor_tri: tuple[float, float, float]
    stay_tri: tuple[float, float, float]
    capture_levels: tuple[str, ...]  # every education level code, EVU included
    capture_factor_tri: F64  # (levels, 3) low, peak, high of each level's share / stated share
    offer_level: I64  # (O,) index into capture_levels of each offer's own level
    recruit_factor_tri: tuple[float, float, float]
    multiplier_tri: F64  # (2, 3) indirect, induced × low, mode, high
    # survey (reported): the answers as given, and the survey estimator's arrays (survey.py)
    survey_new: F64  # (T, C) reported new hires in answered years
    survey_staff: F64  # (T, C) reported staff in answered years
    survey: SurveyArrays
    # supply
    offer_ids: tuple[str, ...]
    offer_capture: F64  # (O,)
    offer_grads: F64  # (O, T, C) graduates × status probability × area weight, before capture
    retraining_capacity: F64  # (T, C) people the pools can retrain per year, used as needed
    recruit_cell_cap: F64  # (T, C)
    recruit_level_cap: F64  # (T, L)
    # time squeeze
    lever_codes: tuple[str, ...]
    lever_horizon: tuple[str, ...]
    lever_lead: F64  # (V, L) years from base year until the lever delivers at the level; inf = n/a
    # segment × region units of the breakdowns (units.py, breakdown.py)
    units: Units
    # agreed and running measures (measures.py)
    measures: MeasureArrays

    @property
    def n_cells(self) -> int:
        return len(self.tax.levels) * len(self.tax.areas)

    @property
    def base_year(self) -> int:
        return int(self.years[0])


def _tri(inputs: Inputs, name: str) -> tuple[float, float, float]:
    return inputs.parameter_range(name)


def compile_inputs(inputs: Inputs) -> Compiled:
    """Turn validated inputs of one scenario into a :class:`Compiled` model."""
    tax = Taxonomy.from_inputs(inputs)
    base, end = int(inputs.parameter("base_year")), int(inputs.parameter("end_year"))
    years = np.arange(base, end + 1, dtype=np.int64)
    ext_years = np.arange(base - 1, end + 1, dtype=np.int64)
    T, L, A, R, S = len(years), len(tax.levels), len(tax.areas), len(tax.roles), len(tax.segments)
    C = L * A
    seg_ix = {s: i for i, s in enumerate(tax.segments)}
    reg_ix = {s: i for i, s in enumerate(tax.regions)}
    role_ix = {s: i for i, s in enumerate(tax.roles)}
    lvl_ix = {s: i for i, s in enumerate(tax.levels)}
    area_ix = {s: i for i, s in enumerate(tax.areas)}

    def cell(level: str, area: str) -> int:
        return lvl_ix[level] * A + area_ix[area]

    ramp = inputs["ramp"].sort("year_since_start")["share"].to_numpy().astype(float)
    startup_years = int(inputs.parameter("startup_years"))
    intensity = {
        str(r["segment"]): (float(r["low"]), float(r["mode"]), float(r["high"]))
        for r in inputs["labour_intensity"].iter_rows(named=True)
    }
    intensity_tri = np.array(
        [intensity.get(s, (0.0, 0.0, 0.0)) for s in tax.segments], dtype=float
    ).reshape(S, 3)

    # ---- facilities: blank risk columns take their status default (status.py)
    fac = inputs["facilities"]
    plans = inputs["capacity_plans"]
    F = fac.height
    status_defaults = list(inputs["facility_status"].iter_rows(named=True))
    resolved = [resolve(r, status_defaults) for r in fac.iter_rows(named=True)]
    fac_rows = [r for r, _ in resolved]
    k_max = max((int(r["delay_max"]) for r in fac_rows), default=0) + 1
    G = len(SHARE_GRID)
    profile = np.zeros((F, k_max, G, T + 1))
    capacity = np.zeros((F, k_max, G, T + 1))
    share_profile = np.zeros((F, k_max, T + 1))
    startup = np.zeros((F, k_max, T + 1))
    pmf = np.zeros((F, k_max))
    share_tri = np.ones((F, 3))
    survey = inputs["survey_needs"]
    mask = np.ones((F, T))
    for f, row in enumerate(fac_rows):
        p = plans.filter(pl.col("facility") == row["id"])
        py = p["year"].to_numpy().astype(np.int64)
        pc = p["capacity"].to_numpy().astype(float)
        profile[f], capacity[f] = staffing_grid(
            py, pc, ramp, ext_years, int(row["ramp_offset"]), k_max
        )
        share_tri[f] = (float(row["share_low"]), float(row["share_mode"]), float(row["share_high"]))
        share_profile[f] = expected_over_share(profile[f], share_tri[f])
        for k in range(k_max):
            since = ext_years - (int(row["start_year"]) + k) + 1
            startup[f, k] = ((since >= 1) & (since <= startup_years)).astype(float)
        pmf[f] = delay_pmf(
            int(row["delay_min"]), int(row["delay_mode"]), int(row["delay_max"]), k_max
        )
    fac_intensity = np.array(
        [
            float(r["intensity"])
            if r["intensity"] is not None
            else intensity.get(str(r["segment"]), (0.0, 0.0, 0.0))[1]
            for r in fac_rows
        ],
        dtype=float,
    )

    # ---- mix, profiles and exits
    role_mix = np.zeros((S, 2, R))
    for r in inputs["role_mix"].iter_rows(named=True):
        role_mix[seg_ix[r["segment"]], 0 if r["phase"] == "startup" else 1, role_ix[r["role"]]] = (
            float(r["share"])
        )
    profile_rc = np.zeros((R, C))
    for r in inputs["role_profile"].iter_rows(named=True):
        profile_rc[role_ix[r["role"]], cell(r["level"], r["area"])] += float(r["share"])
    exit_base = np.zeros(R)
    expat = np.zeros(R)
    for r in inputs["exit_rates"].iter_rows(named=True):
        exit_base[role_ix[r["role"]]] = float(r["retirement"]) + float(r["turnover"])
        expat[role_ix[r["role"]]] = float(r["expat_share_startup"])
    mult = {
        str(r["kind"]): (float(r["low"]), float(r["mode"]), float(r["high"]))
        for r in inputs["multipliers"].iter_rows(named=True)
    }
    multiplier_tri = np.array(
        [mult.get("indirect", (0.0, 0.0, 0.0)), mult.get("induced", (0.0, 0.0, 0.0))]
    )

    # ---- survey answers (reported demand)
    survey_new = np.zeros((T, C))
    survey_staff = np.zeros((T, C))
    unit_survey: list[tuple[int, int, int, int, float, float]] = []
    unit_carried: list[tuple[int, int, int, int, float, float]] = []
    for r in survey.iter_rows(named=True):
        t = int(r["year"]) - base
        if 0 <= t < T:
            survey_new[t, cell(r["level"], r["area"])] += float(r["new_hires"])
            survey_staff[t, cell(r["level"], r["area"])] += float(r["total_staff"])
            unit_survey.append(
                (
                    seg_ix[r["segment"]],
                    reg_ix[r["region"]],
                    t,
                    cell(r["level"], r["area"]),
                    float(r["new_hires"]),
                    float(r["total_staff"]),
                )
            )

    # the survey estimator: frame, response status, groups, interpolation, ratio imputation
    survey_arrays = compile_survey(
        inputs["organisations"],
        survey,
        [str(r["organisation"]) for r in fac_rows],
        [str(r["id"]) for r in fac_rows],
        [str(r["status"]) for r in fac_rows],
        [str(r["segment"]) for r in fac_rows],
        base,
        T,
        C,
        cell,
        lambda role: float(exit_base[role_ix[role]]),
        lambda role: role_ix[role],
        R,
    )

    # ---- education supply
    levels_df = inputs["education_levels"]
    lvl_duration = dict(zip(levels_df["code"], levels_df["duration_years"], strict=True))
    lvl_completion = dict(zip(levels_df["code"], levels_df["completion_rate"], strict=True))
    status_p = dict(
        zip(inputs["offer_status"]["status"], inputs["offer_status"]["probability"], strict=True)
    )
    capture_default = dict(
        zip(inputs["capture_share"]["level"], inputs["capture_share"]["mode"], strict=True)
    )
    # each level's capture share is uncertain by the ratio of its low and high to its mode
    capture_levels = tuple(str(c) for c in levels_df["code"])
    capture_rows = {str(r["level"]): r for r in inputs["capture_share"].iter_rows(named=True)}
    capture_factor_tri = np.ones((len(capture_levels), 3))
    for i, code in enumerate(capture_levels):
        crow = capture_rows.get(code)
        if crow is not None and float(crow["mode"]) > 0:
            capture_factor_tri[i] = capture_factor_triangle(
                float(crow["low"]), float(crow["mode"]), float(crow["high"])
            )
    areas_of: dict[str, list[tuple[str, float]]] = {}
    for r in inputs["offer_areas"].iter_rows(named=True):
        areas_of.setdefault(str(r["offer"]), []).append((str(r["area"]), float(r["weight"])))
    offers = list(inputs["education_offers"].iter_rows(named=True))
    n_offers = len(offers)
    offer_grads = np.zeros((n_offers, T, C))
    offer_capture = np.zeros(n_offers)
    for o, r in enumerate(offers):
        level = str(r["level"])
        counted = str(r["target_level"] or level)
        duration = float(
            r["duration_years"] if r["duration_years"] is not None else lvl_duration[level]
        )
        completion = float(
            r["completion_rate"] if r["completion_rate"] is not None else lvl_completion[level]
        )
        grads = (
            float(r["candidates"])
            if r["candidates"] is not None
            else float(r["study_places"]) * completion
        )
        first = int(r["first_intake"]) + math.floor(duration)
        offer_capture[o] = float(
            r["capture_share"]
            if r["capture_share"] is not None
            else capture_default.get(level, 0.0)
        )
        prob = float(status_p.get(r["status"], 0.0))
        for area, weight in areas_of.get(str(r["id"]), []):
            for t, y in enumerate(years):
                if y >= first:
                    offer_grads[o, t, cell(counted, area)] += grads * prob * weight

    # ---- retraining capacity: each pool's available people per year deplete the pool geometrically
    retraining = np.zeros((T, C))
    pools = {str(r["id"]): r for r in inputs["retraining_pools"].iter_rows(named=True)}
    # explicit paths, plus paths derived from retraining pathways for pools without any
    for r in effective_retraining_paths(inputs):
        pool = pools[str(r["pool"])]
        dist = _role_areas(profile_rc[role_ix[r["target_role"]]], lvl_ix[r["level"]], L, A)
        s = float(pool["share_available"])
        for t, y in enumerate(years):
            started = int(y) - math.floor(float(r["duration_years"]))
            i = started - int(pool["first_year"])
            if i < 0:
                continue
            flow = float(pool["size"]) * s * (1.0 - s) ** i * float(r["share"])
            retraining[t, lvl_ix[r["level"]] * A : (lvl_ix[r["level"]] + 1) * A] += flow * dist

    # ---- recruitment from abroad
    recruit_cell_cap = np.zeros((T, C))
    recruit_level_cap = np.zeros((T, L))
    for r in inputs["recruitment_channels"].iter_rows(named=True):
        opens = max(int(r["first_year"]), base) + float(r["lead_time_months"]) / 12.0
        frac = np.clip(years + 1 - opens, 0.0, 1.0) * (years >= int(r["first_year"]))
        cap = float(r["cap_per_year"]) * frac
        if r["area"]:
            recruit_cell_cap[:, cell(r["level"], r["area"])] += cap
        else:
            recruit_level_cap[:, lvl_ix[r["level"]]] += cap

    # ---- levers of the time squeeze
    lever_rows = list(inputs["levers"].iter_rows(named=True))
    lever_lead = np.full((len(lever_rows), L), np.inf)
    channel_lead = recruit_channel_leads(inputs["recruitment_channels"], base)
    programme = shortest_programmes(offers, lvl_duration)
    for v, r in enumerate(lever_rows):
        for lv in r["levels"]:
            if lv not in lvl_ix:
                continue
            if str(r["code"]) == RECRUIT_LEVER and lv in channel_lead:
                # the fastest registered channel at the level: its lead is the lever's
                lever_lead[v, lvl_ix[lv]] = channel_lead[lv]
                continue
            extra = (
                programme.get(lv, float(lvl_duration[lv])) if r["adds_programme_duration"] else 0
            )
            lever_lead[v, lvl_ix[lv]] = float(r["lead_time_years"]) + extra

    return Compiled(
        scenario=inputs.scenario,
        input_hash=inputs.input_hash,
        tax=tax,
        years=years,
        facility_ids=tuple(str(r["id"]) for r in fac_rows),
        fac_segment=np.array([seg_ix[r["segment"]] for r in fac_rows], dtype=np.int64),
        fac_region=np.array([reg_ix[r["region"]] for r in fac_rows], dtype=np.int64),
        fac_org=tuple(str(r["organisation"]) for r in fac_rows),
        fac_name=tuple(str(r.get("name") or "").strip() for r in fac_rows),
        fac_prob=np.array([float(r["realisation_probability"]) for r in fac_rows]),
        fac_intensity=fac_intensity,
        fac_status=tuple(str(r["status"]) for r in fac_rows),
        fac_defaulted=tuple(d for _, d in resolved),
        fac_share_tri=share_tri,
        fac_announced=np.array(
            [
                np.nan if r["announced_jobs"] is None else float(r["announced_jobs"])
                for r in fac_rows
            ]
        ),
        delay_cdf=np.cumsum(pmf, axis=1),
        delay_pmf=pmf,
        profile=profile,
        capacity=capacity,
        share_profile=share_profile,
        startup=startup,
        shock_correlation=inputs.parameter("common_shock_correlation"),
        shock_supply_correlation=inputs.parameter("common_shock_supply_correlation"),
        mask=mask,
        intensity_tri=intensity_tri,
        role_mix=role_mix,
        mix_concentration=(
            inputs.parameter("mix_concentration_startup"),
            inputs.parameter("mix_concentration"),
        ),
        profile_rc=profile_rc,
        exit_base=exit_base,
        expat_share=expat,
        exit_factor_tri=_tri(inputs, "exit_rate_factor"),
        stay_tri=_tri(inputs, "expat_stay_years"),
        capture_levels=capture_levels,
        capture_factor_tri=capture_factor_tri,
        offer_level=np.array(
            [capture_levels.index(str(r["level"])) for r in offers], dtype=np.int64
        ),
        recruit_factor_tri=_tri(inputs, "recruitment_cap_factor"),
        multiplier_tri=multiplier_tri,
        survey_new=survey_new,
        survey_staff=survey_staff,
        survey=survey_arrays,
        offer_ids=tuple(str(r["id"]) for r in offers),
        offer_capture=offer_capture,
        offer_grads=offer_grads,
        retraining_capacity=retraining,
        recruit_cell_cap=recruit_cell_cap,
        recruit_level_cap=recruit_level_cap,
        lever_codes=tuple(str(r["code"]) for r in lever_rows),
        lever_horizon=tuple(str(r["horizon"]) for r in lever_rows),
        lever_lead=lever_lead,
        units=build_units(
            np.array([seg_ix[r["segment"]] for r in fac_rows], dtype=np.int64),
            np.array([reg_ix[r["region"]] for r in fac_rows], dtype=np.int64),
            unit_survey,
            unit_carried,
            T,
            C,
        ),
        measures=compile_measures(
            inputs["measures"],
            inputs["measure_targets"],
            levels_df,
            inputs["capture_share"],
            capture_levels,
            tax.levels,
            tax.areas,
            years,
        ),
    )


#: The lever whose lead time at a level comes from the recruitment channels serving it.
RECRUIT_LEVER = "recruit_abroad"


def recruit_channel_leads(channels: pl.DataFrame, base: int) -> dict[str, float]:
    """Per level: years from the start of ``base`` until the fastest recruitment channel serving
    the level (with or without an area) delivers its first recruits.

    >>> ch = pl.DataFrame({"level": ["nkr7", "nkr7", "nkr6"], "lead_time_months": [6.0, 4.0, 3.0],
    ...                    "first_year": [2026, 2026, 2028]})
    >>> recruit_channel_leads(ch, 2026)
    {'nkr7': 0.3333333333333333, 'nkr6': 2.25}
    """
    out: dict[str, float] = {}
    for r in channels.iter_rows(named=True):
        lead = max(int(r["first_year"]) - base, 0) + float(r["lead_time_months"]) / 12.0
        lv = str(r["level"])
        out[lv] = min(out.get(lv, math.inf), lead)
    return out


def shortest_programmes(
    offers: list[dict[str, object]], duration: dict[str, object]
) -> dict[str, float]:
    """Per true level: the shortest duration of the bundle's programmes at that level (their own
    ``duration_years``, else the level's), e.g. a 2-year master beside the 5-year integrated one.

    >>> shortest_programmes([{"kind": "programme", "level": "nkr7", "duration_years": 2.0},
    ...                      {"kind": "programme", "level": "nkr7", "duration_years": None}],
    ...                     {"nkr7": 5})
    {'nkr7': 2.0}
    """
    out: dict[str, float] = {}
    for r in offers:
        if r["kind"] != "programme":
            continue
        lv = str(r["level"])
        own = r["duration_years"]
        years = float(own if own is not None else duration[lv])  # type: ignore[arg-type]
        out[lv] = min(out.get(lv, math.inf), years)
    return out


def expected_over_share(profile: F64, tri: F64, points: int = 64) -> F64:
    """(K, G, Y) profiles on SHARE_GRID averaged over a triangular built share (low, mode,
    high): the mean of the interpolated profile at ``points`` equally likely quantiles.

    >>> grid = np.stack([SHARE_GRID * 10.0] * 2)[:, :, None]  # profile proportional to share
    >>> round(float(expected_over_share(grid, np.array([0.0, 0.5, 1.0]))[0, 0]), 6)
    5.0
    """
    u = (np.arange(points) + 0.5) / points
    shares = triangular(u, tri[0], tri[1], tri[2])
    lo, w = share_index(shares)
    at: F64 = (
        profile[:, lo] * (1.0 - w)[None, :, None] + profile[:, lo + 1] * w[None, :, None]
    ).mean(axis=1)
    return at


def share_index(shares: F64) -> tuple[I64, F64]:
    """Lower SHARE_GRID index and interpolation weight of each share (shares in [0, 1])."""
    steps = len(SHARE_GRID) - 1
    x = np.clip(shares, 0.0, 1.0) * steps
    lo = np.minimum(np.floor(x).astype(np.int64), steps - 1)
    return lo, x - lo


def _role_areas(role_profile: F64, level: int, n_levels: int, n_areas: int) -> F64:
    """A role's area distribution at one level (or over all levels if it has none there)."""
    grid = role_profile.reshape(n_levels, n_areas)
    row = grid[level]
    if row.sum() <= 0:
        row = grid.sum(axis=0)
    total = row.sum()
    out: F64 = row / total if total > 0 else np.full(n_areas, 1.0 / n_areas)
    return out


# ------------------------------------------------------------------------------ block equations


@dataclass(frozen=True)
class Draws:
    """The uncertain inputs of ``D`` draws (the central run is one draw at the expected values)."""

    facility_jobs: F64  # (D, F, T+1) direct jobs of each facility, years base-1..end
    facility_startup: F64  # (D, F, T+1) jobs of each facility that are in start-up years
    mix: F64  # (D, S, 2, R)
    exit_factor: F64  # (D,)
    stay_years: F64  # (D,)
    capture_factor: F64  # (D, levels) factor on the capture shares of offers at each level
    recruit_factor: F64  # (D,)
    multipliers: F64  # (D, 2)
    facility_capacity: F64 | None = None  # (D, F, T+1) capacity in place (Monte Carlo draws)
    realised: F64 | B | None = None  # (D, F) realised or not (the central run: the probability)
    donor_weights: F64 | None = None  # (D, slots) bootstrap counts of each stratum's donors


@dataclass(frozen=True)
class Flows:
    """Yearly national flows per draw, year and cell."""

    headcount: F64
    expansion: F64  # signed net change of the staff needed (Cedefop's expansion demand)
    replacement: F64  # charged on the staff in place
    openings: F64
    supply_education: F64
    supply_released: F64  # workers released where a cell shrinks by more than its replacement
    supply_retraining: F64
    supply_recruitment: F64
    gap: F64
    cumulative_gap: F64
    direct_jobs: F64  # (D, T)
    indirect_jobs: F64  # (D, T)
    induced_jobs: F64  # (D, T)
    # with counted measures only (else None): the supply they add per cell and per pair, and the
    # gap the same draw would have without them
    measure_supply: F64 | None = None  # (D, T, C)
    measure_pairs: F64 | None = None  # (D, P, T)
    gap_without_measures: F64 | None = None  # (D, T, C)
    recruitment_measures: F64 | None = None  # (D, T, C) the recruit_abroad part of measure_supply
    survey: SurveyPaths | None = None  # the survey estimator's parts of these draws
    #: (D, S, 4, C): cells per job of each segment's start-up and mature phase, then their exits
    #: and expat outflow per job (``_rates``); the breakdown's weights (breakdown.unit_sums)
    cell_kernel: F64 | None = None


def segment_phase_jobs(cm: Compiled, dr: Draws) -> tuple[F64, F64]:
    """Imputed jobs per draw × segment·phase × year, now and a year earlier (same facilities)."""
    S = len(cm.tax.segments)
    F = len(cm.facility_ids)
    seg_onehot = np.zeros((F, S))
    seg_onehot[np.arange(F), cm.fac_segment] = 1.0
    jobs, st = dr.facility_jobs, dr.facility_startup
    m = cm.mask[None, :, :]
    parts = [
        st[:, :, 1:] * m,  # start-up jobs now
        (jobs[:, :, 1:] - st[:, :, 1:]) * m,  # mature jobs now
        st[:, :, :-1] * m,  # start-up jobs a year earlier
        (jobs[:, :, :-1] - st[:, :, :-1]) * m,  # mature jobs a year earlier
    ]
    # (D, F, T) -> (D, T, F) @ (F, S) -> (D, T, S) -> (D, S, T)
    summed = [np.matmul(p.transpose(0, 2, 1), seg_onehot).transpose(0, 2, 1) for p in parts]
    cur = np.stack([summed[0], summed[1]], axis=2)
    prev = np.stack([summed[2], summed[3]], axis=2)
    return cur, prev  # (D, S, 2, T)


def _per_mix(mix: F64, weights: F64) -> F64:
    """(D, S, 2, R) role mixes × (R, C) per-role weights -> (D, S, 2, C): the same numbers as
    ``np.matmul(mix, weights)``, which makes one small product per draw and segment, in one
    product per draw (half the time). Each stays small enough that BLAS never splits it over
    threads, which could change the last bit with the number of threads a process has."""
    D, S, P, R = mix.shape
    out: F64 = np.matmul(mix.reshape(D, S * P, R), weights).reshape(D, S, P, weights.shape[1])
    return out


def _per_draw(jobs: F64, weights: F64) -> F64:
    """(D, S, 2, T) jobs × (D, S, 2, C) cell weights summed over segment·phase -> (D, T, C)."""
    D, S, P, T = jobs.shape
    a = jobs.reshape(D, S * P, T).transpose(0, 2, 1)  # (D, T, SP)
    b = weights.reshape(D, S * P, weights.shape[-1])  # (D, SP, C)
    out: F64 = np.matmul(a, b)
    return out


def national_flows(cm: Compiled, dr: Draws) -> Flows:
    """Demand, openings, supply and gap per draw × year × cell (DOMAIN §5 steps 1, 2, 4, 5).

    Openings follow Cedefop's identity, signed: the net change of the staff needed plus
    replacement, where replacement is charged on the staff actually in place (the staff needed a
    year earlier less the openings still unfilled then). Where a cell shrinks by more than its
    replacement, the workers released are supply in that cell (``supply_released``). So per draw,
    year and cell, exactly::

        openings − supply_released = expansion + replacement (+ reported new hires)

    Because the staff in place depends on last year's unfilled openings, the years are computed in
    order."""
    D = dr.mix.shape[0]
    cur, prev = segment_phase_jobs(cm, dr)
    mix_cells = _per_mix(dr.mix, cm.profile_rc)  # (D, S, 2, R) @ (R, C)
    exit_cells = _per_mix(dr.mix, cm.profile_rc * cm.exit_base[:, None])
    expat_cells = _per_mix(dr.mix, cm.profile_rc * cm.expat_share[:, None])
    expat_cells[:, :, 1, :] = 0.0  # only start-up staff include temporary specialists
    rates = (
        dr.exit_factor[:, None, None, None] * exit_cells
        + expat_cells / dr.stay_years[:, None, None, None]
    )
    e_cur = _per_draw(cur, mix_cells)
    e_prev = _per_draw(prev, mix_cells)
    # replacement if every post needed last year had been filled
    replacement_full = _per_draw(prev, rates)
    # the survey's respondents and imputed non-respondents (survey.py)
    staff = np.concatenate([e_prev[:, :1], e_cur], axis=1)  # (D, T+1, C) years base-1..end
    parts = survey_staff(cm, dr, mix_cells, rates, staff, replacement_full)
    implied = parts.implied
    headcount = staff[:, 1:]

    capture = np.minimum(cm.offer_capture[None, :] * dr.capture_factor[:, cm.offer_level], 1.0)
    n_offers, T, C = cm.offer_grads.shape
    education = (capture @ cm.offer_grads.reshape(n_offers, T * C)).reshape(D, T, C)
    ma = cm.measures
    with_measures = bool(ma.count)
    if with_measures:
        fixed_pairs = fixed_supply(ma, dr.capture_factor)
        fixed = to_cells(fixed_pairs, ma.cell, C)
    else:
        fixed = np.zeros((0, 0, 0))
    flows = np.empty((8, D, T, C))
    measure_flows = np.empty((2, D, T, C) if with_measures else (2, 0, 0, 0))
    recruit_pairs = np.zeros((D, ma.count, T))
    # Year by year, because the staff in place depends on last year's unfilled openings; with
    # counted measures each draw twice, without and with them (kernels.year_loop).
    kernels.year_loop(
        staff,
        replacement_full,
        implied,
        education,
        fixed,
        cm.retraining_capacity,
        cm.recruit_cell_cap,
        cm.recruit_level_cap,
        dr.recruit_factor,
        ma.recruit_cap,
        ma.cell,
        flows,
        measure_flows,
        recruit_pairs,
    )
    expansion, replacement, openings, released = flows[:4]
    retraining, recruitment, gap, cumulative = flows[4:]
    extra_frames: dict[str, F64] = {}
    if with_measures:
        extra_frames = {
            "measure_supply": fixed + measure_flows[1],
            "measure_pairs": fixed_pairs + recruit_pairs,
            "gap_without_measures": measure_flows[0],
            "recruitment_measures": measure_flows[1],
        }
    direct = headcount.sum(axis=2)
    kernel = np.empty((D, mix_cells.shape[1], 4, C))
    kernel[:, :, :2] = mix_cells
    kernel[:, :, 2:] = rates
    return Flows(
        headcount=headcount,
        expansion=expansion,
        replacement=replacement,
        openings=openings,
        supply_education=education,
        supply_released=released,
        supply_retraining=retraining,
        supply_recruitment=recruitment,
        gap=gap,
        cumulative_gap=cumulative,
        direct_jobs=direct,
        indirect_jobs=direct * dr.multipliers[:, 0:1],
        induced_jobs=direct * dr.multipliers[:, 1:2],
        survey=parts,
        cell_kernel=kernel,
        **extra_frames,
    )


def _facility_cells(
    cm: Compiled, dr: Draws, facs: Sequence[int], mix_cells: F64, rates: F64
) -> tuple[F64, F64]:
    """The staff (D, T+1, C) of some facilities, years base-1..end, and their replacement as if
    every post were filled (D, T, C)."""
    S = len(cm.tax.segments)
    idx = list(facs)
    onehot = np.zeros((len(idx), S))
    onehot[np.arange(len(idx)), cm.fac_segment[idx]] = 1.0
    jobs, st = dr.facility_jobs[:, idx], dr.facility_startup[:, idx]
    phases = [np.matmul(p.transpose(0, 2, 1), onehot).transpose(0, 2, 1) for p in (st, jobs - st)]
    x = np.stack(phases, axis=2)  # (D, S, 2, T+1)
    return _per_draw(x, mix_cells), _per_draw(x[..., :-1], rates)


@dataclass(frozen=True)
class SurveyPaths:
    """The survey estimator's parts of one or more draws. A respondent group's arrays cover only
    the cells it answered (``group_cells``)."""

    implied: F64  # (D, T, C) replacement implied by answers in answered years
    group_cells: list[I64]  # per respondent group: the cells it answered
    group_path: list[F64]  # per respondent group: its staff (D, T+1, k) in those cells
    group_implied: list[F64]  # per respondent group: its implied replacement (D, T, k)
    group_exits: list[F64]  # per respondent group: exits on last year's staff (D, T, k)
    replaced: dict[int, F64]  # per facility of a respondent group: its staff left out (D, T+1)
    stratum_staff: F64  # (D, N, T+1, C) ratio-imputed staff per stratum
    stratum_exits: F64  # (D, N, T+1, C) their exits per year at base rates (× exit factor)


def survey_staff(
    cm: Compiled, dr: Draws, mix_cells: F64, rates: F64, staff: F64, replacement: F64
) -> SurveyPaths:
    """Put the survey estimator into the model's staff (D, T+1, C) and full replacement
    (D, T, C), in place, and return its parts (the replacement the respondents' answers imply in
    their answered years is ``implied``).

    In each cell a respondent group answered, its staff path replaces its facilities' modelled
    staff in every year: ``max(0, model + Λ(answers − model))``, the answers interpolated between
    answered years and handed over to the model's change outside them. In answered years its
    openings are its reported new hires (their replacement part is new hires less the change in
    its staff, at least 0: hires cannot be fewer than its own growth); in other years its
    replacement is its answered exit rate on last year's staff.
    Answers for a facility that is not operating are weighted by the facility's realisation.
    Non-respondents without facilities get the ratio-imputed staff of their stratum."""
    sv = cm.survey
    D, E, C = staff.shape
    implied = np.zeros((D, E - 1, C))
    cells_of: list[I64] = []
    paths: list[F64] = []
    implied_g: list[F64] = []
    exits_g: list[F64] = []
    replaced: dict[int, F64] = {}
    if len(sv.groups):
        realised = (
            dr.realised
            if dr.realised is not None
            else np.broadcast_to(cm.fac_prob, (D, len(cm.fac_prob)))
        )
        f = sv.part_facility
        weights = np.ones((D, len(f)))  # (D, P): parts for a planned plant count if it is realised
        tied = np.flatnonzero(f >= 0)
        weights[:, tied] = realised[:, f[tied]]
        for g, (cix, parts, part_staff, part_hires) in enumerate(sv.group_layout):
            w = weights[:, parts]
            answers = (w @ part_staff).reshape(D, E, len(cix))
            hires = (w @ part_hires).reshape(D, E - 1, len(cix))
            if sv.group_facilities[g]:
                model = np.zeros((D, E, len(cix)))
                model_repl = np.zeros((D, E - 1, len(cix)))
                for fac in sv.group_facilities[g]:
                    fs, fr = _facility_cells(cm, dr, (fac,), mix_cells, rates)
                    model += fs[:, :, cix]
                    model_repl += fr[:, :, cix]
                    replaced[fac] = fs[:, :, cix].sum(axis=2)
                handed = np.matmul(sv.interp[g], model)  # Λ applied to the model, per draw
            else:
                model = model_repl = handed = np.zeros((0, 0, 0))
            path = np.empty((D, E, len(cix)))
            own = np.empty((D, E - 1, len(cix)))
            carried = np.empty((D, E - 1, len(cix)))
            kernels.survey_group(
                staff,
                replacement,
                implied,
                cix,
                answers,
                hires,
                model,
                model_repl,
                handed,
                sv.answered[g][1:],
                sv.rate[g][cix],
                dr.exit_factor,
                path,
                own,
                carried,
            )
            cells_of.append(cix)
            paths.append(path)
            implied_g.append(own)
            exits_g.append(carried)
    N = len(sv.strata)
    if N:
        weights_k = (
            dr.donor_weights if dr.donor_weights is not None else np.ones((D, donor_slots(sv)))
        )
        per_staff, per_exits = imputed_staff(sv, weights_k)
        kernels.add_strata(
            staff, replacement, per_staff, per_exits, dr.exit_factor, sv.donor_layout[0]
        )
    else:
        per_staff = np.zeros((D, N, E, C))
        per_exits = np.zeros((D, N, E, C))
    return SurveyPaths(
        implied=implied,
        group_cells=cells_of,
        group_path=paths,
        group_implied=implied_g,
        group_exits=exits_g,
        replaced=replaced,
        stratum_staff=per_staff,
        stratum_exits=per_exits,
    )


def survey_paths(cm: Compiled, dr: Draws) -> SurveyPaths:
    """The survey estimator's parts of the draws ``dr`` (e.g. the central run), from the
    capacity model of the same draws."""
    cur, prev = segment_phase_jobs(cm, dr)
    mix_cells = _per_mix(dr.mix, cm.profile_rc)
    rates = _rates(cm, dr)
    e_cur, e_prev = _per_draw(cur, mix_cells), _per_draw(prev, mix_cells)
    staff = np.concatenate([e_prev[:, :1], e_cur], axis=1)
    return survey_staff(cm, dr, mix_cells, rates, staff, _per_draw(prev, rates))


def survey_unit_staff(
    cm: Compiled,
    parts: SurveyPaths,
    unit_of_facility: I64,
    unit_of_group: Sequence[int],
    n_units: int,
) -> F64:
    """The survey's change to the staff of each breakdown unit (the last one unallocated) per
    draw and year, (D, U + 1, T): a respondent group's path goes to the unit of its answers and
    its facilities lose their modelled staff in the cells it answered; ratio-imputed
    non-respondents go to the unallocated unit."""
    D, N, E, _C = parts.stratum_staff.shape
    out = np.zeros((D, n_units + 1, E - 1))
    for g, path in enumerate(parts.group_path):
        out[:, unit_of_group[g]] += path[:, 1:].sum(axis=2)
    for fac, left_out in parts.replaced.items():
        out[:, int(unit_of_facility[fac])] -= left_out[:, 1:]
    if N:
        out[:, n_units] += parts.stratum_staff.sum(axis=(1, 3))[:, 1:]
    return out


def survey_openings(cm: Compiled, parts: SurveyPaths, n_draws: int) -> tuple[F64, F64]:
    """Per draw and year: the openings of respondent groups in their answered years (their
    reported new hires, at least their growth) and in the other years (their growth and exits,
    before the in-place share), each summed over the cells they answered: ((D, T), (D, T))."""
    T = len(cm.years)
    reported, carried = np.zeros((n_draws, T)), np.zeros((n_draws, T))
    for g, (path, implied, exits) in enumerate(
        zip(parts.group_path, parts.group_implied, parts.group_exits, strict=True)
    ):
        kernels.survey_openings(path, implied, exits, cm.survey.answered[g][1:], reported, carried)
    return reported, carried


def _rates(cm: Compiled, dr: Draws) -> F64:
    """Exits and expat outflow per head of each segment and phase, per cell: (D, S, 2, C)."""
    exit_cells = _per_mix(dr.mix, cm.profile_rc * cm.exit_base[:, None])
    expat_cells = _per_mix(dr.mix, cm.profile_rc * cm.expat_share[:, None])
    expat_cells[:, :, 1, :] = 0.0  # only start-up staff include temporary specialists
    out: F64 = (
        dr.exit_factor[:, None, None, None] * exit_cells
        + expat_cells / dr.stay_years[:, None, None, None]
    )
    return out
