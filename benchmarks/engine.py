"""Benchmark the model engine: throughput, wall time and peak memory, case by case.

Run from the repository root::

    .venv/bin/python benchmarks/engine.py            # the full run (a few minutes)
    .venv/bin/python benchmarks/engine.py --quick    # a smoke run with few draws (~15 s)

Cases:

(a) the demo bundle's national model, scenario ``mid``, at 1 000 and 10 000 draws;
(b) a synthetic 10× taxonomy: a generated bundle that replaces ``competence_areas`` (10× the leaf
    areas), ``roles`` (10× the roles), ``role_profile``, ``role_mix``, ``exit_rates`` and
    ``occupation_profile``, with generated facilities, offers, channels, pools and survey answers;
(c) a synthetic Nordic/EU-scale bundle: 30 countries as regions (``regions.csv`` replaced) and ten
    facilities per country, at 10 000 draws.

Every engine run happens in a fresh child process (this script started with ``--child engine``);
its peak resident set size is read with ``os.wait4``, which returns the resource usage of exactly
that child (``ru_maxrss``). Beside each case the script prints the same national computation done
"the plain way" (a loop over draws and years with numpy vectors over cells, in this file; timed on
a subset of draws and extrapolated per draw), and a memory-bandwidth floor: the time numpy takes to
copy one array the size of the ensemble's output (draws × years × cells × metrics, float32).

Nothing here is imported by the package or the tests; ``tests/test_benchmarks_smoke.py`` runs the
script with ``--quick``. Method and measured figures: ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT / "src"))

SEED = 20260101
SOURCE = "synthetic benchmark data (benchmarks/engine.py)"
TRUE_LEVELS = ("nkr4", "nkr5", "nkr6", "nkr7", "nkr8")
EU30 = (
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("HR", "Croatia"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("GR", "Greece"),
    ("HU", "Hungary"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LV", "Latvia"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("MT", "Malta"),
    ("NL", "Netherlands"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("SK", "Slovakia"),
    ("SI", "Slovenia"),
    ("ES", "Spain"),
    ("SE", "Sweden"),
    ("NO", "Norway"),
    ("IS", "Iceland"),
    ("CH", "Switzerland"),
)

# Targets, printed beside the figures as PASS/MISS; they apply to runs of TARGET_DRAWS draws.
TARGET_DRAWS = 10_000
TARGET_NATIONAL_WALL_S = 2.0
TARGET_NATIONAL_RSS_MB = 2048.0
TARGET_NATIONAL_FLOOR_RATIO = 5.0
TARGET_EU_RSS_MB = 8192.0


# ------------------------------------------------------------------------------ synthetic bundles


def _default_rows(table: str) -> list[dict[str, str]]:
    from battkomp.engine.bundle import DATA_DIR

    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(folder: Path, table: str, rows: Sequence[Mapping[str, object]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            values = []
            for c in columns:
                v = row.get(c)
                values.append(
                    ""
                    if v is None
                    else ("true" if v is True else "false" if v is False else str(v))
                )
            writer.writerow(values)


def _scaled_taxonomy(factor: int) -> dict[str, list[dict[str, object]]]:
    """Default taxonomy tables with every leaf area and every role copied ``factor`` times.

    Copy ``k`` of a role keeps the role's profile over levels, but on copy ``k`` of each area, so
    each area copy is used by as many roles as the original area; the role mix of a segment and
    phase splits each role's share evenly over the role's copies (the shares still sum to 1).
    """
    areas = _default_rows("competence_areas")
    roles = _default_rows("roles")
    new_areas: list[dict[str, object]] = []
    for a in areas:
        if not a["parent"]:
            new_areas.append({**a, "source": SOURCE})
    for a in areas:
        if a["parent"]:
            for k in range(factor):
                new_areas.append(
                    {
                        **a,
                        "code": f"{a['code']}_{k}",
                        "name_nb": f"{a['name_nb']} {k}",
                        "name_en": f"{a['name_en']} {k}",
                        "source": SOURCE,
                    }
                )
    new_roles = [
        {
            **r,
            "code": f"{r['code']}_{k}",
            "name_nb": f"{r['name_nb']} {k}",
            "name_en": f"{r['name_en']} {k}",
            "source": SOURCE,
        }
        for r in roles
        for k in range(factor)
    ]
    profile = [
        {**p, "role": f"{p['role']}_{k}", "area": f"{p['area']}_{k}", "source": SOURCE}
        for p in _default_rows("role_profile")
        for k in range(factor)
    ]
    mix = [
        {
            **m,
            "role": f"{m['role']}_{k}",
            "share": repr(float(m["share"]) / factor),
            "source": SOURCE,
        }
        for m in _default_rows("role_mix")
        for k in range(factor)
    ]
    exits = [
        {**e, "role": f"{e['role']}_{k}", "source": SOURCE}
        for e in _default_rows("exit_rates")
        for k in range(factor)
    ]
    # a source occupation's weight on an area is split evenly over the area's copies
    occupations = [
        {
            **o,
            "area": f"{o['area']}_{k}",
            "weight": repr(float(o["weight"]) / factor),
            "source": SOURCE,
        }
        for o in _default_rows("occupation_profile")
        for k in range(factor)
    ]
    return {
        "competence_areas": new_areas,
        "roles": new_roles,
        "role_profile": profile,
        "role_mix": mix,
        "exit_rates": exits,
        "occupation_profile": occupations,
    }


@dataclass(frozen=True)
class BundleSpec:
    """What a generated bundle contains."""

    taxonomy_factor: int
    eu_regions: bool
    regions_used: int
    facilities_per_region: int
    offers_per_region: int
    channels: int
    pools: int
    survey_orgs: int


def make_bundle(folder: Path, spec: BundleSpec, seed: int = SEED) -> Path:
    """Write a consistent synthetic bundle folder (every reference resolves; every sum holds)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    segments = [s["code"] for s in _default_rows("segments")]
    tables: dict[str, list[dict[str, object]]] = {}
    if spec.taxonomy_factor > 1:
        tables.update(_scaled_taxonomy(spec.taxonomy_factor))
    if spec.eu_regions:
        tables["regions"] = [
            {
                "code": code,
                "kind": "country",
                "country": code,
                "name_nb": name,
                "name_en": name,
                "source": SOURCE,
            }
            for code, name in EU30
        ]
        region_codes = [code for code, _ in EU30]
    else:
        region_codes = [r["code"] for r in _default_rows("regions") if r["kind"] == "county"]
    regions = region_codes[: spec.regions_used]
    leaves = [
        str(a["code"])
        for a in tables.get("competence_areas", _default_rows("competence_areas"))
        if a["parent"]
    ]
    profile_rows = tables.get("role_profile", _default_rows("role_profile"))

    orgs: list[dict[str, object]] = []
    facilities: list[dict[str, object]] = []
    plans: list[dict[str, object]] = []
    for ri, region in enumerate(regions):
        for j in range(spec.facilities_per_region):
            fid = f"f_{region}_{j}"
            org = f"org_{region}_{j // 2}"
            if j % 2 == 0:
                orgs.append(
                    {
                        "id": org,
                        "name": f"Synthetic company {region}-{j // 2}",
                        "kind": "company",
                        "synthetic": True,
                        "source": SOURCE,
                    }
                )
            start = rng.randint(2024, 2034)
            dmin = rng.randint(0, 1)
            dmode = dmin + rng.randint(0, 2)
            dmax = dmode + rng.randint(0, 3)
            facilities.append(
                {
                    "id": fid,
                    "organisation": org,
                    "name": f"Synthetic plant {fid}",
                    "segment": segments[(ri + j) % len(segments)],
                    "region": region,
                    "status": rng.choice(("announced", "fid", "construction", "operating")),
                    "start_year": start,
                    "realisation_probability": round(rng.uniform(0.1, 0.95), 3),
                    "delay_min": dmin,
                    "delay_mode": dmode,
                    "delay_max": dmax,
                    "intensity": None,
                    "source": SOURCE,
                }
            )
            cap = round(rng.uniform(1.0, 12.0), 1)
            for step in range(rng.randint(1, 3)):
                plans.append(
                    {
                        "facility": fid,
                        "year": start + 2 * step,
                        "capacity": round(cap * (1 + step), 1),
                        "source": SOURCE,
                    }
                )
    tables["facilities"] = facilities
    tables["capacity_plans"] = plans

    offers: list[dict[str, object]] = []
    offer_areas: list[dict[str, object]] = []
    for region in regions:
        for j in range(spec.offers_per_region):
            oid = f"o_{region}_{j}"
            evu = j % 5 == 4
            offers.append(
                {
                    "id": oid,
                    "institution": f"Synthetic institution {region}",
                    "name": f"Synthetic programme {oid}",
                    "kind": "module" if evu else "programme",
                    "level": "evu" if evu else TRUE_LEVELS[j % len(TRUE_LEVELS)],
                    "region": region,
                    "study_places": rng.randint(10, 120),
                    "first_intake": rng.randint(2010, 2032),
                    "target_level": "nkr5" if evu else None,
                    "status": rng.choice(("exists", "under_development", "planned")),
                    "source": SOURCE,
                }
            )
            chosen = rng.sample(leaves, 3)
            for area, weight in zip(chosen, ("0.5", "0.3", "0.2"), strict=True):
                offer_areas.append({"offer": oid, "area": area, "weight": weight})
    tables["education_offers"] = offers
    tables["offer_areas"] = offer_areas

    tables["recruitment_channels"] = [
        {
            "id": f"rc_{i}",
            "level": TRUE_LEVELS[2 + i % 3],
            "area": leaves[(7 * i) % len(leaves)] if i % 3 else None,
            "cap_per_year": rng.randint(5, 60),
            "lead_time_months": 6,
            "first_year": 2026,
            "source": SOURCE,
        }
        for i in range(spec.channels)
    ]
    role_codes = sorted({str(p["role"]) for p in profile_rows})
    pools, paths = [], []
    for i in range(spec.pools):
        pools.append(
            {
                "id": f"pool_{i}",
                "name": f"Synthetic pool {i}",
                "size": rng.randint(1000, 10000),
                "share_available": 0.01,
                "first_year": 2026,
                "source": SOURCE,
            }
        )
        for role, share in zip(rng.sample(role_codes, 2), (0.5, 0.3), strict=True):
            paths.append(
                {
                    "pool": f"pool_{i}",
                    "target_role": role,
                    "level": "nkr4",
                    "share": share,
                    "duration_years": 0.5,
                }
            )
    tables["retraining_pools"] = pools
    tables["retraining_paths"] = paths

    survey: list[dict[str, object]] = []
    for i in range(spec.survey_orgs):
        # every other respondent owns facilities (its answers mask the model), the rest do not
        owner = i % 2 == 0 and i // 2 < len(orgs)
        org = str(orgs[i // 2]["id"]) if owner else f"org_survey_{i}"
        if not owner:
            orgs.append(
                {
                    "id": org,
                    "name": f"Synthetic respondent {i}",
                    "kind": "company",
                    "synthetic": True,
                    "source": SOURCE,
                }
            )
        region = regions[i % len(regions)]
        for p in rng.sample(profile_rows, 4):
            for year in (2026, 2027, 2028):
                survey.append(
                    {
                        "organisation": org,
                        "segment": segments[i % len(segments)],
                        "region": region,
                        "role": p["role"],
                        "level": p["level"],
                        "area": p["area"],
                        "year": year,
                        "new_hires": rng.randint(0, 10),
                        "total_staff": rng.randint(10, 60),
                        "source": SOURCE,
                    }
                )
    tables["survey_needs"] = survey
    tables["organisations"] = orgs
    for name, rows in tables.items():
        _write(folder, name, rows)
    return folder


#: The generated bundles: (b) 10× taxonomy in Norway, (c) 30 countries × 10 facilities.
BUNDLES: dict[str, BundleSpec] = {
    "taxonomy10x": BundleSpec(
        taxonomy_factor=10,
        eu_regions=False,
        regions_used=8,
        facilities_per_region=3,
        offers_per_region=5,
        channels=12,
        pools=4,
        survey_orgs=6,
    ),
    # the same taxonomy with fewer plants, so that --quick stays quick (the central detail table
    # grows with segment·region pairs × roles × cells)
    "taxonomy10x_small": BundleSpec(
        taxonomy_factor=10,
        eu_regions=False,
        regions_used=2,
        facilities_per_region=2,
        offers_per_region=5,
        channels=12,
        pools=4,
        survey_orgs=2,
    ),
    "eu30": BundleSpec(
        taxonomy_factor=1,
        eu_regions=True,
        regions_used=30,
        facilities_per_region=10,
        offers_per_region=5,
        channels=30,
        pools=30,
        survey_orgs=20,
    ),
}


# ------------------------------------------------------------------------------ the plain way


def plain_flows(cm: Any, dr: Any, d: int) -> dict[str, np.ndarray]:
    """National flows of draw ``d``, written as a plain loop over years and facilities.

    The same equations as ``battkomp.engine.model.national_flows`` (demand from the staffing of
    each facility, expansion and replacement openings, education, retraining and recruitment
    supply, gap and cumulative gap), one draw at a time, with numpy vectors over the cells.
    """
    tax = cm.tax
    S, R, L, A = len(tax.segments), len(tax.roles), len(tax.levels), len(tax.areas)
    T, C = len(cm.years), L * A
    F = len(cm.facility_ids)
    exit_factor = float(dr.exit_factor[d])
    stay = float(dr.stay_years[d])
    recruit_factor = float(dr.recruit_factor[d])
    retraining_cap = getattr(cm, "retraining_capacity", None)
    if retraining_cap is None:
        retraining_cap = cm.retraining
    # cells per head and exits per head of each segment and phase (0 start-up, 1 mature)
    per_head = np.zeros((S, 2, C))
    exits = np.zeros((S, 2, C))
    for s in range(S):
        for p in range(2):
            for r in range(R):
                w = float(dr.mix[d, s, p, r])
                if w == 0.0:
                    continue
                per_head[s, p] += w * cm.profile_rc[r]
                rate = exit_factor * cm.exit_base[r]
                if p == 0:
                    rate += cm.expat_share[r] / stay
                exits[s, p] += w * rate * cm.profile_rc[r]
    factor = np.asarray(dr.capture_factor[d])
    if factor.ndim:  # a factor per education level of the offer
        capture = [
            min(float(c) * float(factor[lv]), 1.0)
            for c, lv in zip(cm.offer_capture, cm.offer_level, strict=True)
        ]
    else:
        capture = [min(float(c) * float(factor), 1.0) for c in cm.offer_capture]
    jobs, startup = dr.facility_jobs[d], dr.facility_startup[d]
    # agreed and running measures (engine/measures.py): places per pair, capture for educate
    ma = getattr(cm, "measures", None)
    pairs = range(ma.count) if ma is not None else range(0)
    pair_share = [
        min(float(ma.capture[p]) * float(factor[ma.capture_level[p]]), 1.0)
        if ma.capture_level[p] >= 0
        else 1.0
        for p in pairs
    ]
    names = (
        "headcount",
        "expansion",
        "replacement",
        "openings",
        "supply_education",
        "supply_released",
        "supply_retraining",
        "supply_recruitment",
        "gap",
        "cumulative_gap",
    )
    out = {m: np.zeros((T, C)) for m in names}
    # the capacity model's staff (years base-1..end) and full replacement, facility by facility
    staff = np.zeros((T + 1, C))
    full = np.zeros((T, C))
    for t in range(T):
        cur = np.zeros(C)
        prev = np.zeros(C)
        replacement = np.zeros(C)
        for f in range(F):
            m = float(cm.mask[f, t])
            s = int(cm.fac_segment[f])
            st_now, st_before = startup[f, t + 1] * m, startup[f, t] * m
            mat_now = (jobs[f, t + 1] - startup[f, t + 1]) * m
            mat_before = (jobs[f, t] - startup[f, t]) * m
            cur = cur + st_now * per_head[s, 0] + mat_now * per_head[s, 1]
            prev = prev + st_before * per_head[s, 0] + mat_before * per_head[s, 1]
            replacement = replacement + st_before * exits[s, 0] + mat_before * exits[s, 1]
        staff[t + 1] = cur
        if t == 0:
            staff[0] = prev
        full[t] = replacement
    implied = np.zeros((T, C))
    survey = getattr(cm, "survey", None)
    if survey is not None:
        # the survey estimator (engine/survey.py) is the engine's own function, on this draw
        from dataclasses import fields, replace

        from battkomp.engine.model import _rates, survey_staff

        one = replace(
            dr,
            **{
                fl.name: getattr(dr, fl.name)[d : d + 1]
                for fl in fields(dr)
                if getattr(dr, fl.name) is not None
            },
        )
        mix_cells = np.matmul(one.mix, cm.profile_rc)
        staff_d, full_d = staff[None].copy(), full[None].copy()
        implied = survey_staff(cm, one, mix_cells, _rates(cm, one), staff_d, full_d).implied[0]
        staff, full = staff_d[0], full_d[0]
    running = np.zeros(C)
    for t in range(T):
        cur, prev = staff[t + 1], staff[t]
        # replacement is charged on the staff in place (needed less last year's unfilled)
        needed = prev
        in_place = np.ones(C)
        np.divide(needed - running, needed, out=in_place, where=needed > running)
        in_place[(needed > 0) & (needed <= running)] = 0.0
        replacement = full[t] * in_place + implied[t]
        expansion = cur - prev  # signed net change
        demand = expansion + replacement
        openings = np.maximum(demand, 0.0)
        released = np.maximum(-demand, 0.0)
        headcount = cur
        education = np.zeros(C)
        for o, share in enumerate(capture):
            education += share * cm.offer_grads[o, t]
        fixed = np.zeros(C)
        extra_cap = np.zeros(C)
        for p in pairs:
            fixed[ma.cell[p]] += pair_share[p] * ma.fixed[p, t]
            extra_cap[ma.cell[p]] += ma.recruit_cap[p, t] * recruit_factor
        education_all = education + fixed + released
        retraining = np.minimum(np.maximum(openings - education_all, 0.0), retraining_cap[t])
        shortfall = np.maximum(openings - education_all - retraining, 0.0)
        specific = np.minimum(shortfall, cm.recruit_cell_cap[t] * recruit_factor)
        recruitment = specific.copy()
        for lv in range(L):
            rest = shortfall[lv * A : (lv + 1) * A] - specific[lv * A : (lv + 1) * A]
            total = rest.sum()
            cap = cm.recruit_level_cap[t, lv] * recruit_factor
            if total > 0:
                ratio = cap / total if total > cap else 1.0
                recruitment[lv * A : (lv + 1) * A] += rest * ratio
        gap = openings - education_all - retraining - recruitment
        gap = gap - np.minimum(np.maximum(gap, 0.0), extra_cap)  # measures' recruitment capacity
        running = np.maximum(running + gap, 0.0)
        for name, value in zip(
            names,
            (
                headcount,
                expansion,
                replacement,
                openings,
                education,
                released,
                retraining,
                recruitment,
                gap,
                running,
            ),
            strict=True,
        ):
            out[name][t] = value
    return out


# ------------------------------------------------------------------------------ child processes


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _timed(fn: Callable[..., Any], name: str, acc: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0

    return wrapper


def _timed_phases(module: Any, names: Sequence[str], acc: dict[str, float]) -> None:
    """Wrap functions of ``module`` (looked up by name at call time) to add up their wall time."""
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn):
            setattr(module, name, _timed(fn, name, acc))


# Wall time of run_model's stages on its own thread. Since the second round of issue 14's
# engine work the statistics, the frames, the time squeeze and the central detail are one stage
# (run_model._statistics): their tasks run side by side on the run's threads.
PHASES = {
    "inputs": ("read_raw", "build_inputs", "compile_inputs"),
    "monte_carlo": ("run_ensemble",),
    "stats_frames": ("_statistics",),
}


def _bundle_path(args: argparse.Namespace) -> Path:
    from battkomp.engine.bundle import demo_bundle_path

    return Path(args.bundle) if args.bundle else demo_bundle_path()


def child_engine(args: argparse.Namespace) -> dict[str, Any]:
    """Run the engine once (after a tiny warm-up) and report wall time and sizes."""
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    # the module, not the function battkomp.engine.run_model: its phases are wrapped below
    run_module = importlib.import_module("battkomp.engine.run_model")
    from battkomp.engine.bundle import demo_bundle_path, load_inputs
    from battkomp.engine.model import compile_inputs
    from battkomp.engine.montecarlo import MEASURE_METRICS, METRICS

    bundle = _bundle_path(args)
    scenario = args.scenario or None
    cm = compile_inputs(load_inputs(bundle, scenario))
    # warm-up on the small demo bundle: first-call costs of polars and numpy are not part of a
    # run's throughput, and a small warm-up leaves the case's own peak RSS to the timed run
    run_module.run_model(demo_bundle_path(), scenario="mid", draws=8, seed=1)
    rss_before = _maxrss_mb()
    acc: dict[str, float] = {}
    _timed_phases(run_module, [n for names in PHASES.values() for n in names], acc)
    executor = ThreadPoolExecutor(os.cpu_count() or 1) if args.executor == "thread" else None
    threads = 1 if args.executor == "serial" else None
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_module.run_model(
        bundle,
        scenario=scenario,
        draws=args.draws,
        seed=args.seed,
        executor=executor,
        threads=threads,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if executor is not None:
        executor.shutdown()
    T, L, A = len(cm.years), len(cm.tax.levels), len(cm.tax.areas)
    phases = {k: sum(acc.get(n, 0.0) for n in names) for k, names in PHASES.items()}
    phases["other"] = max(wall - sum(phases.values()), 0.0)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "phases_s": phases,
        "years": T,
        "levels": L,
        "areas": A,
        "cells": T * L * A,
        "roles": len(cm.tax.roles),
        "regions": len(cm.tax.regions),
        "facilities": len(cm.facility_ids),
        "offers": len(cm.offer_ids),
        "metrics": len(METRICS) + (len(MEASURE_METRICS) if cm.measures.count else 0),
        "threads": threads or run_module.default_threads(),
        "rss_before_run_mb": rss_before,
        "rows_national": result["national"].height,
        "rows_detail": result["detail"].height,
    }


def child_reference(args: argparse.Namespace) -> dict[str, Any]:
    """Time the plain loop on a few draws and the copy of an output-sized array."""
    from concurrent.futures import ThreadPoolExecutor

    from battkomp.engine.bundle import load_inputs
    from battkomp.engine.model import compile_inputs, national_flows
    from battkomp.engine.montecarlo import MEASURE_METRICS, METRICS, sample_draws
    from battkomp.engine.run_model import default_threads

    bundle = _bundle_path(args)
    cm = compile_inputs(load_inputs(bundle, args.scenario or None))
    n = args.plain_draws
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(args.seed, spawn_key=(0, 0))))
    dr, _ = sample_draws(cm, n, rng)
    plain_flows(cm, dr, 0)  # warm-up
    t0 = time.perf_counter()
    plain = [plain_flows(cm, dr, d) for d in range(n)]
    per_draw = (time.perf_counter() - t0) / n
    # the plain loop must compute what the engine computes
    fl = national_flows(cm, dr)
    worst = 0.0
    for m in METRICS:
        engine = np.asarray(getattr(fl, m))
        ref = np.stack([p[m] for p in plain])
        scale = max(float(np.abs(engine).max()), 1.0)
        worst = max(worst, float(np.abs(engine - ref).max()) / scale)
    # memory-bandwidth floor: copy an array the size of the ensemble's output (float32): every
    # metric the engine keeps per draw, year and cell (with the measure metrics when the bundle
    # has counted measures)
    metrics = len(METRICS) + (len(MEASURE_METRICS) if cm.measures.count else 0)
    shape = (args.draws, len(cm.years), cm.n_cells * metrics)
    src = np.ones(shape, dtype=np.float32)
    copies = []
    for _ in range(5):
        t0 = time.perf_counter()
        dst = src.copy()
        copies.append(time.perf_counter() - t0)
        del dst
    warm = np.empty_like(src)
    np.copyto(warm, src)
    t0 = time.perf_counter()
    np.copyto(warm, src)
    prefaulted = time.perf_counter() - t0
    del warm
    # the sort floor: the least work exact percentiles take with numpy, sorting every cell's
    # draws once (each metric's draws laid out cell-major, one row per year·cell), on as many
    # threads as the engine uses for its statistics
    lanes = [
        np.ascontiguousarray(
            np.random.default_rng(m).standard_normal((len(cm.years) * cm.n_cells, args.draws)),
            dtype=np.float32,
        )
        for m in range(metrics)
    ]
    threads = default_threads() if args.executor != "serial" else 1
    sorts = []
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(3):
            work = [a.copy() for a in lanes]
            t0 = time.perf_counter()
            list(pool.map(lambda a: a.sort(axis=1), work))
            sorts.append(time.perf_counter() - t0)
            del work
    # the work of a run that does not grow with the draws: one draw, after a warm-up
    from battkomp.engine import run_model

    run_model(bundle, scenario=args.scenario or None, draws=1, seed=args.seed)
    fixed = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_model(bundle, scenario=args.scenario or None, draws=1, seed=args.seed)
        fixed.append(time.perf_counter() - t0)
    return {
        "fixed_s": min(fixed),
        "sort_floor_s": min(sorts),
        "sort_threads": threads,
        "plain_draws": n,
        "plain_per_draw_s": per_draw,
        "plain_max_rel_diff": worst,
        "out_bytes": int(src.nbytes),
        "floor_s": min(copies),
        "floor_first_s": copies[0],
        "floor_prefaulted_s": prefaulted,
    }


# ------------------------------------------------------------------------------ the driver


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    bundle: str | None  # None: the demo bundle; else a name of BUNDLES
    scenario: str | None
    draws: int
    plain_draws: int
    targets: str  # "national", "eu" or ""
    executor: str = ""  # "": the --executor option ("default", "serial" or "thread")


@dataclass
class Measured:
    case: Case
    engine: dict[str, Any] = field(default_factory=dict)  # the fastest of the repeats
    walls: list[float] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0  # the largest of the repeats
    error: str | None = None


DEMO = "demo national model, scenario mid"
TAX10 = "synthetic 10x taxonomy"
EU = "synthetic Nordic/EU scale (30 countries)"


def cases(quick: bool, heavy: bool = False) -> list[Case]:
    if quick:
        return [
            Case("a", DEMO, None, "mid", 200, 3, "national"),
            Case("b", TAX10 + " (2 regions × 2 plants)", "taxonomy10x_small", None, 50, 2, ""),
            Case("c", EU, "eu30", None, 200, 2, "eu"),
        ]
    return [
        Case("a", DEMO, None, "mid", 1000, 20, ""),
        Case("a", DEMO, None, "mid", TARGET_DRAWS, 20, "national"),
        # the same run on one thread (threads=1; the results are identical)
        Case("a", DEMO + ", one thread", None, "mid", TARGET_DRAWS, 20, "", "serial"),
        Case("b", TAX10, "taxonomy10x", None, 1000, 5, ""),
        *([Case("b", TAX10, "taxonomy10x", None, TARGET_DRAWS, 5, "")] if heavy else []),
        Case("c", EU, "eu30", None, TARGET_DRAWS, 5, "eu"),
    ]


def _run_child(argv: list[str]) -> tuple[dict[str, Any], float, str | None]:
    """Run this script as a child; return its JSON answer, its peak RSS (MB) and any error."""
    with tempfile.TemporaryFile("w+") as errfile:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *argv],
            stdout=subprocess.PIPE,
            stderr=errfile,
            text=True,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.stdout.close()
        # wait4 (not Popen.wait) returns the resource usage of exactly this child
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errfile.seek(0)
        err = errfile.read()
    peak_mb = usage.ru_maxrss / 1024.0  # this child only; Linux reports kilobytes
    if proc.returncode != 0:
        tail = " | ".join(err.strip().splitlines()[-3:])
        return {}, peak_mb, f"exit {proc.returncode}: {tail}"
    return json.loads(out.strip().splitlines()[-1]), peak_mb, None


def measure(case: Case, bundle_dir: Path | None, executor: str, repeat: int) -> Measured:
    """Run the engine ``repeat`` times, each in a fresh child, then the reference child."""
    common = ["--draws", str(case.draws), "--seed", "1", "--scenario", case.scenario or ""]
    if bundle_dir is not None:
        common += ["--bundle", str(bundle_dir)]
    m = Measured(case)
    for _ in range(max(1, repeat)):
        engine, peak, m.error = _run_child(["--child", "engine", "--executor", executor, *common])
        if m.error is not None:
            return m
        m.walls.append(engine["wall_s"])
        m.peak_rss_mb = max(m.peak_rss_mb, peak)
        if not m.engine or engine["wall_s"] < m.engine["wall_s"]:
            m.engine = engine
    if m.error is None:
        m.reference, _, m.error = _run_child(
            [
                "--child",
                "reference",
                "--executor",
                executor,
                "--plain-draws",
                str(case.plain_draws),
                *common,
            ]
        )
    return m


def _fmt_n(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(m: Measured) -> dict[str, Any]:
    c = m.case
    print(f"\n== ({c.key}) {c.title} — {_fmt_n(c.draws)} draws")
    if m.error is not None:
        print(f"   FAILED: {m.error}")
        return {"case": c.key, "draws": c.draws, "error": m.error}
    e, r = m.engine, m.reference
    wall = e["wall_s"]
    cells = e["cells"]
    throughput = cells * c.draws / wall
    plain_total = r["plain_per_draw_s"] * c.draws
    floor = r["floor_s"]
    print(
        f"   size        cells {_fmt_n(cells)} = {e['years']} years × {e['levels']} levels × "
        f"{e['areas']} areas; {e['roles']} roles, {e['regions']} regions, "
        f"{e['facilities']} facilities, {e['offers']} offers"
    )
    runs = (
        f" (best of {len(m.walls)}; median {float(np.median(m.walls)):.2f} s)"
        if len(m.walls) > 1
        else ""
    )
    print(
        f"   engine      wall {wall:.2f} s{runs}, CPU {e['cpu_s']:.2f} s · "
        f"throughput {throughput / 1e6:.2f} M cell·draws/s · "
        f"peak RSS {_fmt_n(m.peak_rss_mb)} MB (after imports and warm-up "
        f"{_fmt_n(e['rss_before_run_mb'])} MB)"
    )
    ph = e["phases_s"]
    print("   phases      " + " · ".join(f"{k.replace('_', ' ')} {v:.2f} s" for k, v in ph.items()))
    print(
        f"   plain loop  {r['plain_per_draw_s'] * 1e3:.1f} ms/draw (timed on {r['plain_draws']} "
        f"draws) → {plain_total:.1f} s for {_fmt_n(c.draws)} draws · "
        f"{cells * c.draws / plain_total / 1e6:.3f} M cell·draws/s · "
        f"same result as the engine: max rel. diff {r['plain_max_rel_diff']:.1e}"
    )
    if r["plain_max_rel_diff"] > 1e-9:
        print(
            "   WARNING     the plain loop no longer computes what national_flows computes; "
            "update plain_flows in benchmarks/engine.py"
        )
    print(
        f"   floor       copy of the output ({r['out_bytes'] / 2**20:,.0f} MiB float32): "
        f"{floor:.3f} s, best of 5 ({r['out_bytes'] / floor / 1e9:.1f} GB/s; first copy into "
        f"fresh memory {r['floor_first_s']:.3f} s, into touched memory "
        f"{r['floor_prefaulted_s']:.3f} s)"
    )
    sort_floor = r["sort_floor_s"]
    print(
        f"   sort floor  sorting every cell's draws once ({e['metrics']} metrics, "
        f"{r['sort_threads']} thread{'s' if r['sort_threads'] > 1 else ''}): "
        f"{sort_floor:.3f} s, best of 3 = {sort_floor / floor:.1f}× the copy floor"
    )
    bound = r["fixed_s"] + sort_floor + floor
    print(
        f"   bound       a run at 1 draw {r['fixed_s']:.3f} s + the sort floor + one write of "
        f"the output (the copy floor) = {bound:.3f} s = {bound / floor:.1f}× the copy floor: "
        "the least this engine could take while it reports exact percentiles of every metric "
        "and cell"
    )
    print(f"   ratios      engine/plain {wall / plain_total:.3f} · engine/floor {wall / floor:.1f}")
    verdicts: dict[str, bool] = {}
    if c.targets == "national":
        verdicts = {
            f"wall < {TARGET_NATIONAL_WALL_S:g} s": wall < TARGET_NATIONAL_WALL_S,
            "peak RSS < 2 GB": m.peak_rss_mb < TARGET_NATIONAL_RSS_MB,
            f"within {TARGET_NATIONAL_FLOOR_RATIO:g}× of floor": wall
            <= TARGET_NATIONAL_FLOOR_RATIO * floor,
        }
    elif c.targets == "eu":
        verdicts = {"peak RSS < 8 GB": m.peak_rss_mb < TARGET_EU_RSS_MB}
    if verdicts and c.draws != TARGET_DRAWS:
        print(f"   targets     apply at {_fmt_n(TARGET_DRAWS)} draws (run without --quick)")
        verdicts = {}
    elif verdicts:
        print("   targets     " + " · ".join(f"{k}: {_verdict(v)}" for k, v in verdicts.items()))
    return {
        "case": c.key + (f" ({c.executor})" if c.executor else ""),
        "title": c.title,
        "draws": c.draws,
        "cells": cells,
        "wall_s": wall,
        "cpu_s": e["cpu_s"],
        "walls_s": m.walls,
        "throughput": throughput,
        "peak_rss_mb": m.peak_rss_mb,
        "plain_s": plain_total,
        "floor_s": floor,
        "sort_floor_s": sort_floor,
        "bound_s": bound,
        "engine_over_plain": wall / plain_total,
        "engine_over_floor": wall / floor,
        "targets": {k: _verdict(v) for k, v in verdicts.items()},
        "engine": e,
        "reference": r,
        "spec": asdict(c),
    }


def _threads_note(executor: str) -> str:
    from battkomp.engine.run_model import default_threads

    if executor == "serial":
        return "1"
    return f"{default_threads()} for the statistics" + (
        ", a thread per core for the blocks" if executor == "thread" else ", blocks too"
    )


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 2**20:.1f} GiB RAM"
                break
    except OSError:
        pass
    import polars as pl

    return (
        f"{os.cpu_count()} cores ({cpu}){mem}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, polars {pl.__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few draws: a smoke run (~15 s)")
    p.add_argument("--only", default="", help="run only these cases, e.g. 'a' or 'a,c'")
    p.add_argument(
        "--repeat",
        type=int,
        help="engine runs per case, each in a fresh process; the fastest is reported "
        "(default: 3, or 1 with --quick)",
    )
    p.add_argument("--heavy", action="store_true", help="add case (b) at 10 000 draws")
    p.add_argument(
        "--executor",
        choices=("default", "serial", "thread"),
        default="default",
        help="how run_model runs: 'default' (no executor: the blocks and the statistics on "
        "run_model's own threads, the cores up to 4), 'serial' (threads=1: one block after "
        "another on one thread) or 'thread' (a ThreadPoolExecutor with a thread per core)",
    )
    p.add_argument("--bundles", type=Path, help="write the generated bundles here (kept)")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    # used by the child processes
    p.add_argument("--child", choices=("engine", "reference"), help=argparse.SUPPRESS)
    p.add_argument("--bundle", default="", help=argparse.SUPPRESS)
    p.add_argument("--scenario", default="", help=argparse.SUPPRESS)
    p.add_argument("--draws", type=int, default=1000, help=argparse.SUPPRESS)
    p.add_argument("--plain-draws", type=int, default=5, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child == "engine":
        print(json.dumps(child_engine(args)))
        return 0
    if args.child == "reference":
        print(json.dumps(child_reference(args)))
        return 0

    selected = [
        c for c in cases(args.quick, args.heavy) if not args.only or c.key in args.only.split(",")
    ]
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    print("battkomp engine benchmark" + (" (quick)" if args.quick else ""))
    print(f"machine: {machine()}")
    print(
        f"executor: {args.executor} (threads: {_threads_note(args.executor)}); "
        "peak RSS per case from os.wait4 on a fresh child process"
    )
    print(f"load average at start: {_load()}")
    start_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="battkomp-bench-") as tmp:
        root = args.bundles or Path(tmp)
        paths: dict[str, Path] = {}
        for name in sorted({c.bundle for c in selected if c.bundle}):
            paths[name] = make_bundle(root / name, BUNDLES[name])
        rows = [
            report(
                measure(
                    c,
                    paths.get(c.bundle) if c.bundle else None,
                    c.executor or args.executor,
                    repeat,
                )
            )
            for c in selected
        ]
    print("\n== summary")
    print(
        f"   {'case':<12} {'draws':>7} {'cells':>7} {'wall s':>8} {'M cell·draws/s':>15} "
        f"{'CPU s':>7} {'peak MB':>8} {'plain s':>9} {'floor s':>8} {'/plain':>7} {'/floor':>7}"
        "  targets"
    )
    failed = False
    for row in rows:
        if "error" in row:
            failed = True
            print(f"   {row['case']:<12} {row['draws']:>7} FAILED")
            continue
        targets = ", ".join(f"{k}: {v}" for k, v in row["targets"].items()) or "-"
        print(
            f"   {row['case']:<12} {row['draws']:>7} {row['cells']:>7} {row['wall_s']:>8.2f} "
            f"{row['throughput'] / 1e6:>15.2f} {row['cpu_s']:>7.2f} {row['peak_rss_mb']:>8.0f} "
            f"{row['plain_s']:>9.1f} "
            f"{row['floor_s']:>8.3f} {row['engine_over_plain']:>7.3f} "
            f"{row['engine_over_floor']:>7.1f}  {targets}"
        )
    print(f"\nload average at end: {_load()} (this benchmark itself adds about 1)")
    if start_load > 1.0 or os.getloadavg()[0] > (os.cpu_count() or 1) + 1:
        print(
            "   other work shared the cores: wall times are inflated; CPU times are less affected"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
