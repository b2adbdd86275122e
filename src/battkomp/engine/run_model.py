"""The engine's entry point: run the model on a bundle, a scenario (or all, weighted) and a seed.

>>> from battkomp.engine.bundle import demo_bundle_path
>>> result = run_model(demo_bundle_path(), scenario="mid", draws=50, seed=1)
>>> sorted(result.frames)[:3]
['abroad', 'by_area', 'by_level']
>>> result.meta["seed"], result.meta["draws"]
(1, 50)

``from battkomp.engine import run_model`` gives the same function.
"""

from __future__ import annotations

import hashlib
import os
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from battkomp import __version__
from battkomp.engine import kernels
from battkomp.engine.advice import abroad, measure_effects, recommendations
from battkomp.engine.bundle import (
    BundleError,
    Inputs,
    build_inputs,
    demo_bundle_path,
    read_raw,
    scenario_names,
)
from battkomp.engine.central import central_detail, group_sum
from battkomp.engine.heap import retained_heap
from battkomp.engine.horizons import time_squeeze
from battkomp.engine.model import Compiled, compile_inputs
from battkomp.engine.montecarlo import (
    BLOCK_SIZE,
    MAX_DRAWS,
    MEASURE_METRICS,
    METRICS,
    Ensemble,
    allocate_draws,
    driver_names,
    driver_relevant,
    first_order,
    lane_stats,
    prefaulted,
    rank,
    rows_stats,
    run_ensemble,
    spearman,
)
from battkomp.engine.problems import Location, Problem
from battkomp.engine.results import ModelResult
from battkomp.engine.views import (
    breakdown_frame,
    conditional_frame,
    exceedance_frame,
    facilities_frame,
    flag_band,
)

__all__ = ["default_threads", "estimate_memory", "run_model"]


def _stats(x: np.ndarray) -> dict[str, np.ndarray]:
    return lane_stats(x)


_T = TypeVar("_T")
_R = TypeVar("_R")


def _start(pool: Executor | None, fn: Callable[..., _R], *args: object) -> Callable[[], _R]:
    """Start ``fn(*args)`` on the pool and return what waits for its result; without a pool, run
    it here at once. The pool's queue is first in, first out, so tasks start in the order they
    are started here."""
    if pool is None:
        value = fn(*args)
        return lambda: value
    return pool.submit(fn, *args).result


def default_threads() -> int:
    """Threads for the statistics: the machine's cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


@contextmanager
def _stat_threads(threads: int) -> Iterator[Executor | None]:
    """A thread pool for the blocks and the statistics (numpy works outside the GIL), or none for
    one thread. BLAS is kept to one thread meanwhile: the engine's matrix products are small, and
    BLAS threads waiting for work would compete with the pool's for the cores."""
    with threadpool_limits(1, user_api="blas"):
        if threads <= 1:
            yield None
            return
        with ThreadPoolExecutor(threads) as pool:
            yield pool


def _start_cell_stats(
    ens: Ensemble, pool: Executor | None
) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    """Mean and P10/P50/P90 over the draws of every metric and cell; for the gap also the
    positive part's mean and share (the time squeeze's inputs). One task per metric, started on
    the pool (the gap's first: it takes longest, and the time squeeze waits for it); per metric
    what waits for its statistics."""
    names = list(ens.flows)  # METRICS, then the measure metrics when there are measures
    # one buffer to sort in per task running at a time, reused by the next task
    free: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()

    def one(m: str) -> dict[str, np.ndarray]:
        x = ens.flows[m]
        try:
            scratch = free.get_nowait()
        except queue.Empty:
            scratch = prefaulted((x.size,), x.dtype)
        try:
            return lane_stats(x, positive=m == "gap", scratch=scratch)
        finally:
            free.put(scratch)

    order = sorted(names, key=lambda m: m != "gap")
    started = {m: _start(pool, one, m) for m in order}
    return {m: started[m] for m in names}


def _cells(cm: Compiled, stats: Mapping[str, Mapping[str, np.ndarray]]) -> pl.DataFrame:
    tax = cm.tax
    A = len(tax.areas)
    T, C = len(cm.years), cm.n_cells
    t_grid, c_grid = np.meshgrid(np.arange(T), np.arange(C), indexing="ij")
    t_idx, c_idx = t_grid.ravel(), c_grid.ravel()
    level = [tax.levels[c // A] for c in c_idx]
    area = [tax.areas[c % A] for c in c_idx]
    group = [tax.area_parent[a] for a in area]
    frames = []
    for metric, st in stats.items():
        frames.append(
            pl.DataFrame(
                {
                    "year": cm.years[t_idx].astype(np.int64),
                    "level": level,
                    "area": area,
                    "area_group": group,
                    "metric": [metric] * len(t_idx),
                    **{
                        k: st[k].reshape(-1).astype(np.float64)
                        for k in ("mean", "p10", "p50", "p90")
                    },
                }
            )
        )
    return pl.concat(frames)


def _cell_sums(
    arrays: Sequence[np.ndarray], L: int, A: int, positive: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 sums of (D, T, L·A) float32 cells per draw and year: over all cells, per level
    and per area, each as (T, k, D), the draws of a year and level or area in one row, ready to
    be sorted (:func:`battkomp.engine.montecarlo.rows_stats`); optionally of the positive part
    only. With several arrays, of their sum taken draw by draw and cell by cell (the total
    supply).

    One pass over the cells gives all three sums (kernels.cell_sums); the totals are the sums
    of the level sums."""
    D, T, _C = arrays[0].shape
    total, by_level, by_area = np.empty((T, 1, D)), np.empty((T, L, D)), np.empty((T, A, D))
    kernels.cell_sums(tuple(arrays), L, positive, total, by_level, by_area)
    return total, by_level, by_area


_AXES: tuple[str | None, ...] = (None, "level", "area")
Stats = dict[str, np.ndarray]


def _aggregates(
    ens: Ensemble, L: int, A: int, pool: Executor | None = None
) -> dict[str | None, dict[str, Stats]]:
    """:func:`_start_aggregates`, waited for."""
    return _start_aggregates(ens, L, A, pool)()


def _start_aggregates(
    ens: Ensemble, L: int, A: int, pool: Executor | None = None
) -> Callable[[], dict[str | None, dict[str, Stats]]]:
    """Mean and P10/P50/P90 over the draws of every metric summed over all cells (per year),
    per level and per area; also of the shortage (positive part of the gap) and of the total
    supply, both added up draw by draw so that their bands are real.

    One task per metric: its per-draw sums, then their statistics, so only the tasks running at
    a time hold per-draw sums. The tasks are started on the pool; the function returned waits
    for them."""
    supply = ["supply_education", "supply_released", "supply_retraining", "supply_recruitment"]
    with_measures = "measure_supply" in ens.flows
    if with_measures:
        supply.append("measure_supply")
    # the frame's metric order: the flows, the shortage, the supply, then the shortage without
    # measures; each with the arrays it adds up and whether only their positive part counts
    items: list[tuple[str, list[np.ndarray], bool]] = [
        (m, [ens.flows[m]], False) for m in ens.flows
    ]
    items.append(("shortage", [ens.flows["gap"]], True))
    items.append(("supply", [ens.flows[m] for m in supply], False))
    if with_measures:
        items.append(("shortage_without_measures", [ens.flows["gap_without_measures"]], True))

    def task(item: tuple[str, list[np.ndarray], bool]) -> list[Stats]:
        _name, arrays, positive = item
        return [
            rows_stats(summed.reshape(-1, summed.shape[2]), summed.shape[:2])
            for summed in _cell_sums(arrays, L, A, positive)
        ]

    started = [_start(pool, task, item) for item in items]

    def collect() -> dict[str | None, dict[str, Stats]]:
        out: dict[str | None, dict[str, Stats]] = {axis: {} for axis in _AXES}
        for (metric, _arrays, _positive), get in zip(items, started, strict=True):
            for axis, st in zip(_AXES, get(), strict=True):
                out[axis][metric] = st
        return out

    return collect


def _totals(
    cm: Compiled,
    ens: Ensemble,
    axis_name: str | None,
    stats: Mapping[str, Stats] | None = None,
) -> pl.DataFrame:
    """Sums over cells (per year), or per level or area, with bands. ``stats``: the statistics of
    this axis from :func:`_aggregates` (computed here when not given)."""
    tax = cm.tax
    if stats is None:
        stats = _aggregates(ens, len(tax.levels), len(tax.areas))[axis_name]
    labels: list[str | None] = (
        [None] if axis_name is None else [*tax.levels] if axis_name == "level" else [*tax.areas]
    )
    frames = []
    for metric, st in stats.items():
        T, K = st["mean"].shape
        t_idx, k_idx = np.meshgrid(np.arange(T), np.arange(K), indexing="ij")
        data: dict[str, object] = {"year": cm.years[t_idx.ravel()].astype(np.int64)}
        if axis_name is not None:
            data[axis_name] = [labels[k] for k in k_idx.ravel()]
        data["metric"] = [metric] * t_idx.size
        data.update({k: v.reshape(-1) for k, v in st.items()})
        frames.append(pl.DataFrame(data))
    if axis_name is None:
        for kind, arr in ens.jobs.items():
            st = _stats(arr.astype(np.float64))
            frames.append(
                pl.DataFrame(
                    {
                        "year": cm.years.astype(np.int64),
                        "metric": [f"{kind}_jobs"] * len(cm.years),
                        **{k: v.reshape(-1) for k, v in st.items()},
                    }
                )
            )
    return pl.concat(frames)


def _start_drivers(
    ens: Ensemble, compiled: Sequence[Compiled], pool: Executor | None = None
) -> Callable[[], pl.DataFrame]:
    """Drivers ranked by their first-order variance share of the total shortage (issue 14):
    only drivers that can move the shortage in some scenario, and only those whose index is above
    what sampling noise gives. One task per driver, started on the pool; the function returned
    waits for them and builds the frame."""
    relevant: set[str] = set()
    for cm in compiled:
        relevant.update(
            n for n, ok in zip(driver_names(cm), driver_relevant(cm), strict=True) if ok
        )
    cols = [i for i, n in enumerate(ens.driver_names) if n in relevant]
    target_ranks = rank(ens.target)  # once for every driver

    def one(i: int) -> tuple[float, float, float]:
        x = ens.drivers[:, i]
        s1, effect = first_order(
            x, ens.target, realised=ens.driver_names[i].startswith("facility:")
        )
        return s1, effect, spearman(x, ens.target, target_ranks)

    started = [_start(pool, one, i) for i in cols]
    return lambda: _driver_frame([ens.driver_names[i] for i in cols], [get() for get in started])


def _driver_frame(names: list[str], done: list[tuple[float, float, float]]) -> pl.DataFrame:
    """The ``drivers`` frame: per driver its first-order index, effect and Spearman's rho,
    ranked by the index; drivers with no index left out."""
    df = pl.DataFrame(
        {
            "driver": names,
            "kind": [n.split(":")[0] for n in names],
            "first_order": [d[0] for d in done],
            "effect": [d[1] for d in done],
            "spearman": [d[2] for d in done],
        },
        schema={
            "driver": pl.Utf8,
            "kind": pl.Utf8,
            "first_order": pl.Float64,
            "effect": pl.Float64,
            "spearman": pl.Float64,
        },
    )
    df = df.with_columns(pl.col("first_order").alias("influence")).filter(pl.col("influence") > 0)
    return df.sort("influence", "driver", descending=[True, False]).with_row_index("rank", offset=1)


_CHUNK = 512  # draws at a time in _scenario_frame


def _scenario_frame(
    compiled: list[Compiled], counts: list[int], weights: list[float], ens: Ensemble
) -> pl.DataFrame:
    # per draw the shortage summed over cells, then years, in float32 (a chunk of draws at a
    # time: the same sums without a temporary the size of the gap)
    gap = ens.flows["gap"]
    totals = np.empty(gap.shape[0], dtype=gap.dtype)
    buf = np.empty((min(_CHUNK, gap.shape[0]), *gap.shape[1:]), dtype=gap.dtype)
    for i in range(0, gap.shape[0], _CHUNK):
        part = np.maximum(gap[i : i + _CHUNK], 0.0, out=buf[: min(_CHUNK, gap.shape[0] - i)])
        totals[i : i + part.shape[0]] = part.sum(axis=2).sum(axis=1)
    rows = []
    for i, cm in enumerate(compiled):
        sel = totals[ens.scenario_of_draw == i]
        rows.append(
            {
                "scenario": cm.scenario or "base",
                "weight": weights[i],
                "draws": counts[i],
                "input_hash": cm.input_hash,
                "shortage_total_mean": float(sel.mean()) if sel.size else None,
            }
        )
    return pl.DataFrame(rows)


def run_model(
    bundle: Path | str | None = None,
    scenario: str | None = None,
    *,
    weighted: bool = False,
    draws: int = 1000,
    seed: int = 0,
    executor: Executor | None = None,
    blocks_per_task: int = 4,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
) -> ModelResult:
    """Run the model on a bundle (``None``: the shipped demo bundle).

    ``scenario`` picks one scenario of the bundle (``None``: none of them, the bundle as it is);
    ``weighted=True`` runs all scenarios, their draws in proportion to their weights. The same
    bundle, scenario, draws and seed give bit-identical results whatever the ``executor`` and
    ``threads``. The draws run on ``executor``, in tasks of ``blocks_per_task`` blocks, or, without
    one, on ``threads`` threads a block at a time (``None``: :func:`default_threads`; 1: one block
    after another); the statistics over them run on those threads in any case.
    """
    if draws < 1:
        msg = "draws must be at least 1"
        raise ValueError(msg)
    if draws > MAX_DRAWS:
        raise BundleError(
            [
                Problem(
                    "too_many_draws",
                    Location("--draws"),
                    {
                        "value": f"{draws:,}".replace(",", " "),
                        "maximum": f"{MAX_DRAWS:,}".replace(",", " "),
                    },
                )
            ]
        )
    path = Path(bundle) if bundle is not None else demo_bundle_path()
    raw = read_raw(path)
    label = path.name or str(path)
    if weighted:
        names = scenario_names(raw)
        inputs_list: list[Inputs] = [build_inputs(raw, n, label) for n in names]
        weights = [
            float(i["scenarios"].filter(pl.col("name") == i.scenario)["weight"][0])
            for i in inputs_list
        ]
        if not names or sum(weights) <= 0:
            loc = Location(f"{label}/scenarios")
            raise BundleError([Problem("no_scenario_weight", loc)])
        counts = allocate_draws(weights, draws)
    else:
        inputs_list = [build_inputs(raw, scenario, label)]
        weights, counts = [1.0], [draws]
    compiled = [compile_inputs(i) for i in inputs_list]
    _check_compatible(compiled, label)
    keep = [i for i, n in enumerate(counts) if n > 0]
    compiled_run = [compiled[i] for i in keep]
    all_names = scenario_names(raw)
    keys = [all_names.index(c.scenario) + 1 if c.scenario in all_names else 0 for c in compiled_run]
    lead = compiled_run[0]
    n_threads = default_threads() if threads is None else threads
    _check_memory(compiled_run, draws, n_threads)
    with retained_heap(), _stat_threads(n_threads) as pool:
        ens = run_ensemble(
            compiled_run,
            [counts[i] for i in keep],
            seed,
            executor if executor is not None else pool,
            # run_model's own threads take a block at a time: nothing is gained by grouping
            # blocks there, and fewer finished blocks wait to be copied
            blocks_per_task if executor is not None else 1,
            progress,
            keys,
        )
        frames = _statistics(pool, ens, compiled, compiled_run, inputs_list, weights, counts, keep)
    combined = hashlib.sha256("".join(c.input_hash for c in compiled).encode()).hexdigest()
    organisations = inputs_list[0]["organisations"]
    synthetic = bool(organisations.height and organisations["synthetic"].any())
    meta: dict[str, object] = {
        "battkomp_version": __version__,
        "input_hash": combined if weighted else compiled[0].input_hash,
        "seed": seed,
        "draws": draws,
        "scenario": "weighted" if weighted else (scenario or "base"),
        "bundle": label,
        "base_year": lead.base_year,
        "end_year": int(lead.years[-1]),
        "block_size": BLOCK_SIZE,
        "contains_synthetic_data": synthetic,
    }
    return ModelResult(frames, meta)


def _statistics(
    pool: Executor | None,
    ens: Ensemble,
    compiled: list[Compiled],
    compiled_run: list[Compiled],
    inputs_list: list[Inputs],
    weights: list[float],
    counts: list[int],
    keep: list[int],
) -> dict[str, pl.DataFrame]:
    """The result's frames from the draws (and the central run's detail)."""
    lead = compiled_run[0]
    L, A = len(lead.tax.levels), len(lead.tax.areas)
    # Every statistic over the draws is a task, started on the pool longest first, so that
    # no stage waits for the slowest task of the one before; the frames that need no task
    # are built here meanwhile. Each task computes what it did on its own, so the results
    # are the same whatever the threads.
    breakdowns_started = [
        _start(pool, breakdown_frame, compiled_run, ens, by) for by in ("region", "segment")
    ]
    cell_started = _start_cell_stats(ens, pool)
    aggregates_started = _start_aggregates(ens, L, A, pool)
    drivers_started = _start_drivers(ens, compiled_run, pool)
    # the detailed central run: one scenario's, or the weighted mean of the scenarios' runs
    total_weight = sum(weights[i] for i in keep)
    detail = _weighted_detail(
        [
            (
                central_detail(compiled[i], inputs_list[i]["survey_needs"]),
                weights[i] / total_weight,
            )
            for i in keep
        ]
    )
    conditional = conditional_frame(compiled_run, ens)
    exceedance = exceedance_frame(lead, ens)
    scenarios = _scenario_frame(
        compiled_run, [counts[i] for i in keep], [weights[i] for i in keep], ens
    )
    effects = measure_effects(lead, ens)
    abroad_frame = abroad(lead, ens, inputs_list[keep[0]])
    cell_stats = {m: get() for m, get in cell_started.items()}
    squeeze_cells, squeeze_summary = time_squeeze(lead, ens.flows["gap"], cell_stats["gap"])
    advice = recommendations(lead, ens, inputs_list[keep[0]], squeeze_cells)
    national = _cells(lead, cell_stats)
    aggregates = aggregates_started()
    totals = {axis: _totals(lead, ens, axis, aggregates[axis]) for axis in _AXES}
    drivers = drivers_started()
    # segment, region and coverage figures from the draws (views.py)
    by_region, by_segment = (get() for get in breakdowns_started)
    return {
        "national": national,
        "totals": flag_band(totals[None]),
        "by_level": flag_band(totals["level"]),
        "by_area": flag_band(totals["area"]),
        "time_squeeze": squeeze_cells,
        "squeeze_summary": squeeze_summary,
        "drivers": drivers,
        "detail": detail,
        **by_segment,
        **by_region,
        "conditional": conditional,
        "exceedance": exceedance,
        "facilities": facilities_frame(lead),
        "survey_frame": compiled_run[0].survey.frame,
        "scenarios": scenarios,
        "measure_effects": effects,
        "abroad": abroad_frame,
        "recommendations": advice,
    }


#: Memory of the interpreter, numpy and polars after imports (docs/performance.md).
BASE_MEMORY = 150 * 2**20


def estimate_memory(compiled: Sequence[Compiled], draws: int, threads: int) -> int:
    """Bytes a run of ``draws`` draws needs at its peak, after docs/performance.md: the ensemble
    (draws × years × cells × metrics, float32), each thread's sorted copy of one metric and its
    per-draw aggregate sums, the drivers, and the detailed central run."""
    cm = compiled[0]
    T, C = len(cm.years), cm.n_cells
    L, A = len(cm.tax.levels), len(cm.tax.areas)
    metrics = len(METRICS) + (
        len(MEASURE_METRICS) if any(c.measures.count for c in compiled) else 0
    )
    drivers = max(len(driver_names(c)) for c in compiled)
    groups = max(1, len(cm.tax.segments)) * max(1, len(cm.tax.regions))
    per_draw = T * C * 4 * (metrics + threads) + threads * T * (1 + L + A) * 8 + drivers * 8
    central = min(groups, 64) * T * int(cm.profile_rc.shape[0]) * C * 8
    return int(BASE_MEMORY + draws * per_draw + central)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(compiled: Sequence[Compiled], draws: int, threads: int) -> None:
    """Refuse before allocating a run that cannot fit in the memory available."""
    available = available_memory()
    if available is None:
        return
    needed = estimate_memory(compiled, draws, threads)
    if needed <= available:
        return
    fixed = estimate_memory(compiled, 0, threads)
    per_draw = max(1, (needed - fixed) // draws)
    fits = max(0, (available - fixed) // per_draw)
    raise BundleError(
        [
            Problem(
                "too_much_memory",
                Location("--draws"),
                {
                    "value": f"{draws:,}".replace(",", " "),
                    "needed": f"{needed / 2**30:.1f}",
                    "available": f"{available / 2**30:.1f}",
                    "fits": f"{fits:,}".replace(",", " "),
                },
            )
        ]
    )


_DETAIL_KEYS = ["kind", "segment", "region", "role", "level", "area", "area_group", "year"]
_DETAIL_VALUES = ["headcount", "expansion", "replacement", "openings", "supply", "gap"]


def _weighted_detail(parts: list[tuple[pl.DataFrame, float]]) -> pl.DataFrame:
    """The probability-weighted sum of the scenarios' central detail tables."""
    if len(parts) == 1:
        return parts[0][0]
    stacked = pl.concat(
        [df.with_columns([(pl.col(v) * w).alias(v) for v in _DETAIL_VALUES]) for df, w in parts]
    )
    out = group_sum(stacked, _DETAIL_KEYS, _DETAIL_VALUES)
    # reported survey rows have no expansion/replacement split
    out = out.with_columns(
        [
            pl.when(pl.col("kind") == "reported").then(None).otherwise(pl.col(v)).alias(v)
            for v in ("expansion", "replacement")
        ]
    )
    return out.select(parts[0][0].columns).sort(
        "year", "kind", "segment", "region", "role", "level", "area", nulls_last=True
    )


def _check_compatible(compiled: list[Compiled], label: str) -> None:
    """Scenarios of one weighted run must share the years, taxonomy and levers."""
    first = compiled[0]
    for cm in compiled[1:]:
        same = (
            np.array_equal(cm.years, first.years)
            and cm.tax.levels == first.tax.levels
            and cm.tax.areas == first.tax.areas
            and np.array_equal(cm.lever_lead, first.lever_lead)
        )
        if not same:
            raise BundleError(
                [
                    Problem(
                        "scenarios_incompatible",
                        Location(f"{label}/scenario_overrides"),
                        {"value": cm.scenario or "base", "first": first.scenario or "base"},
                    )
                ]
            )
