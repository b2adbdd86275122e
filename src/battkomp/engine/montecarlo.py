"""Monte Carlo over the uncertain inputs (DOMAIN §5 step 7), split into reproducible blocks.

Draws come in blocks of :data:`BLOCK_SIZE`. Block ``b`` of scenario ``s`` draws its random numbers
from ``SeedSequence(seed, spawn_key=(s, b))`` and is computed on its own, so the numbers are the
same bit for bit whichever executor runs the blocks and however they are grouped into tasks.

Uncertain inputs, each drawn independently per draw:

* realisation of each facility (Bernoulli with its probability) and its delay (discretised
  triangular, ``model.delay_pmf``);
* labour intensity per segment (triangular low–mode–high; a facility's own intensity is scaled by
  the same factor);
* the role mix per segment and phase (Dirichlet around the default shares);
* capture shares, by a factor per education level drawn from that level's low–mode–high in
  ``capture_share`` (each offer's share capped at 1);
* exit rates (a common factor), the stay of temporary specialists, recruitment caps (a common
  factor), and the indirect and induced multipliers (all triangular).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import DTypeLike
from scipy.special import ndtr

from battkomp.engine import kernels
from battkomp.engine.breakdown import UNIT_METRICS, unit_sums
from battkomp.engine.model import (
    F64,
    Compiled,
    Draws,
    Flows,
    national_flows,
    share_index,
    survey_openings,
    triangular,
)
from battkomp.engine.survey import bootstrap_weights, donor_slots

BLOCK_SIZE = 250
#: Tasks (of ``blocks_per_task`` blocks) submitted to an executor at a time: enough to keep a
#: machine's or a small cluster's workers busy, few enough that waiting blocks stay small.
IN_FLIGHT = max(4, 2 * (os.cpu_count() or 1))
#: Most draws one run takes, on the command line and on the platform alike.
MAX_DRAWS = 100_000

METRICS: tuple[str, ...] = (
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
#: Metrics added when a run has counted measures (``measures.py``).
MEASURE_METRICS: tuple[str, ...] = ("measure_supply", "gap_without_measures")
#: Sums over draws kept per block, per year × cell (float64): the abroad frame's inputs.
ABROAD_SUMS: tuple[str, ...] = ("abroad_need", "abroad_recruited", "abroad_unmet")
SCALAR_DRIVERS: tuple[str, ...] = (
    "exit_rates",
    "expat_stay_years",
    "recruitment_caps",
    "common_shock",
)


#: Arrays at least this large are allocated by :func:`prefaulted`.
PREFAULT_BYTES = 16 * 2**20


def prefaulted(shape: tuple[int, ...], dtype: DTypeLike = np.float32) -> np.ndarray:
    """An uninitialised array (like ``np.empty``) whose memory the kernel has mapped in one call
    (an anonymous ``mmap`` with ``MAP_POPULATE``), where the platform has it.

    The ensemble is written once into memory the process has not used before. Left to page
    faults, that first write cost 1.3–1.4 s of CPU for 612 MB on the 2-core virtual machine of
    docs/performance.md (numpy asks for transparent huge pages, which the kernel compacts memory
    for), against 0.3 s mapped in advance. The values are the same either way; small arrays and
    platforms without ``MAP_POPULATE`` get ``np.empty``.

    >>> a = prefaulted((3, 2)); a.shape, a.dtype
    ((3, 2), dtype('float32'))
    """
    dt = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    populate = getattr(mmap, "MAP_POPULATE", None)
    if size < PREFAULT_BYTES or populate is None:
        return np.empty(shape, dtype=dt)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate
    buf = mmap.mmap(-1, size, flags=flags)
    return np.frombuffer(buf, dtype=dt).reshape(shape)


#: ``madvise`` advice that faults a range in as if written (Linux 5.14+; not named in Python 3.11).
MADV_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)


def mapped(shape: tuple[int, ...], dtype: DTypeLike = np.float32) -> np.ndarray:
    """An uninitialised array (like ``np.empty``) in an anonymous ``mmap`` of its own, for
    :func:`populate` to fault in on another thread; small arrays and platforms without ``mmap``
    flags get ``np.empty``.

    >>> a = mapped((3, 2)); a.shape, a.dtype
    ((3, 2), dtype('float32'))
    """
    dt = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if size < PREFAULT_BYTES or not hasattr(mmap, "MAP_ANONYMOUS"):
        return np.empty(shape, dtype=dt)
    buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(buf, dtype=dt).reshape(shape)


def _mmap_of(a: np.ndarray) -> mmap.mmap | None:
    base: object = a
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer keeps a view of the buffer
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


def _libc_madvise() -> Callable[[int, int, int], int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_LIBC_MADVISE = _libc_madvise()


def _madvise(m: mmap.mmap, start: int, length: int) -> None:
    """``m.madvise(MADV_POPULATE_WRITE, start, length)``, with the GIL released while the kernel
    faults the pages in (through ctypes, which releases it for a foreign call; ``mmap.madvise``
    holds it, and the blocks' threads would wait for each call)."""
    if _LIBC_MADVISE is None:
        m.madvise(MADV_POPULATE_WRITE, start, length)
        return
    buf = (ctypes.c_char * len(m)).from_buffer(m)
    try:
        if _LIBC_MADVISE(ctypes.addressof(buf) + start, length, MADV_POPULATE_WRITE) != 0:
            raise OSError(ctypes.get_errno(), "madvise")
    finally:
        del buf


def populate(arrays: Sequence[np.ndarray], rows: int = 1000) -> None:
    """Fault in the memory of :func:`mapped` arrays, ``rows`` leading-axis rows of every array
    at a time in row order (the order :func:`run_ensemble` writes them in), with
    ``MADV_POPULATE_WRITE``. Run on a thread of its own while the blocks are computed, the first
    touch of the ensemble's fresh memory (slow on the virtual machine of docs/performance.md)
    overlaps the Monte Carlo instead of preceding it. Only page tables change: values already
    written stay. Where the advice is not supported, the pages fault in on their first write."""
    maps = [
        (m, a.strides[0] if a.ndim else 0, a.shape[0] if a.ndim else 0)
        for a in arrays
        if (m := _mmap_of(a)) is not None
    ]
    if not maps:
        return
    page = mmap.PAGESIZE
    longest = max(n for _m, _s, n in maps)
    try:
        for r0 in range(0, longest, rows):
            for m, stride, n in maps:
                if r0 >= n or m.closed:
                    continue
                start = (r0 * stride) // page * page
                stop = min(len(m), min(n, r0 + rows) * stride)
                if stop > start:
                    _madvise(m, start, stop - start)
    except (OSError, ValueError):
        return


def _tri(rng: np.random.Generator, n: int, lmh: tuple[float, float, float]) -> F64:
    return triangular(rng.random(n), lmh[0], lmh[1], lmh[2])


def latent_uniform(z: F64, eps: F64, rho: float) -> F64:
    """Uniform numbers that share the common factor ``z`` with correlation ``rho`` between their
    normal scores (a Gaussian copula): ``Φ(√ρ·z + √(1−ρ)·ε)``. Each stays uniform on its own.

    >>> latent_uniform(np.array([0.0]), np.array([0.0]), 0.5).tolist()
    [0.5]
    """
    r = min(max(float(rho), 0.0), 1.0)
    shape = (-1,) + (1,) * (eps.ndim - 1)
    out: F64 = ndtr(np.sqrt(r) * z.reshape(shape) + np.sqrt(1.0 - r) * eps)
    return out


def sample_draws(cm: Compiled, n: int, rng: np.random.Generator) -> tuple[Draws, F64]:
    """Draw ``n`` sets of uncertain inputs; also return the driver values per draw (n, drivers).

    One common factor ``z`` per draw (the market) moves every facility's realisation (up), delay
    (down) and built share (up) through a Gaussian copula with correlation
    ``cm.shock_correlation``, and the recruitment-cap and capture factors (up) with
    ``cm.shock_supply_correlation``; each input keeps its own distribution."""
    F = len(cm.facility_ids)
    S = len(cm.tax.segments)
    z = rng.standard_normal(n)
    rho = cm.shock_correlation
    # realised where Φ(−latent) < p: probability p, more likely with a high z
    real = latent_uniform(-z, rng.standard_normal((n, F)), rho) < cm.fac_prob[None, :]
    u_delay = latent_uniform(-z, rng.standard_normal((n, F)), rho)
    delay = (u_delay[:, :, None] >= cm.delay_cdf[None, :, :]).sum(axis=2)
    delay = np.minimum(delay, cm.profile.shape[1] - 1)
    u_share = latent_uniform(z, rng.standard_normal((n, F)), rho)
    st = cm.fac_share_tri
    built = triangular(u_share, st[None, :, 0], st[None, :, 1], st[None, :, 2])
    tri = cm.intensity_tri
    drawn = triangular(rng.random((n, S)), tri[None, :, 0], tri[None, :, 1], tri[None, :, 2])
    factor = np.where(
        tri[None, :, 1] > 0, drawn / np.where(tri[None, :, 1] > 0, tri[None, :, 1], 1.0), 1.0
    )
    alpha = np.stack(
        [
            cm.role_mix[:, 0, :] * cm.mix_concentration[0],
            cm.role_mix[:, 1, :] * cm.mix_concentration[1],
        ],
        axis=1,
    )
    gam = rng.standard_gamma(np.broadcast_to(alpha, (n, *alpha.shape)))
    total = gam.sum(axis=3, keepdims=True)
    mix = np.where(total > 0, gam / np.where(total > 0, total, 1.0), cm.role_mix[None])
    exit_factor = _tri(rng, n, cm.exit_factor_tri)
    stay = _tri(rng, n, cm.stay_tri)
    ct = cm.capture_factor_tri
    rs = cm.shock_supply_correlation
    u_capture = latent_uniform(z, rng.standard_normal((n, ct.shape[0])), rs)
    capture = triangular(u_capture, ct[None, :, 0], ct[None, :, 1], ct[None, :, 2])
    rt = cm.recruit_factor_tri
    recruit = triangular(latent_uniform(z, rng.standard_normal(n), rs), rt[0], rt[1], rt[2])
    mt = cm.multiplier_tri
    multipliers = np.stack(
        [
            _tri(rng, n, (mt[0, 0], mt[0, 1], mt[0, 2])),
            _tri(rng, n, (mt[1, 0], mt[1, 1], mt[1, 2])),
        ],
        axis=1,
    )

    lo, w = share_index(built)
    scale = cm.fac_intensity[None, :] * factor[:, cm.fac_segment]
    E = cm.profile.shape[3]
    prof, cap, jobs, startup = (np.empty((n, F, E)) for _ in range(4))
    kernels.facility_paths(
        cm.profile, cm.capacity, cm.startup, delay, lo, w, real, scale, prof, cap, jobs, startup
    )
    engineers = np.array([cm.tax.role_group[r] == "engineer_senior" for r in cm.tax.roles])
    drivers = np.concatenate(
        [
            prof.sum(axis=2),  # realised capacity-years per facility
            factor,  # intensity per segment
            mix[:, :, 1, engineers].sum(axis=2),  # engineer share of the mature mix per segment
            capture,  # capture share factor per level
            np.stack([exit_factor, stay, recruit, z], axis=1),
        ],
        axis=1,
    )
    # last, so that the other inputs are drawn the same with or without a survey
    donors = bootstrap_weights(cm.survey, n, rng)
    return (
        Draws(
            jobs,
            startup,
            mix,
            exit_factor,
            stay,
            capture,
            recruit,
            multipliers,
            facility_capacity=cap,
            realised=real,
            donor_weights=donors,
        ),
        drivers,
    )


def expected_draw(cm: Compiled) -> Draws:
    """One 'draw' at the expected values: the central run (realisation, delays and built share
    averaged)."""
    weights = cm.delay_pmf[:, :, None]
    expected_profile = (cm.share_profile * weights).sum(axis=1)
    expected_startup = (cm.share_profile * cm.startup * weights).sum(axis=1)
    scale = cm.fac_prob * cm.fac_intensity
    return Draws(
        facility_jobs=(expected_profile * scale[:, None])[None],
        facility_startup=(expected_startup * scale[:, None])[None],
        mix=cm.role_mix[None],
        exit_factor=np.array([cm.exit_factor_tri[1]]),
        stay_years=np.array([cm.stay_tri[1]]),
        capture_factor=np.ones((1, cm.capture_factor_tri.shape[0])),
        recruit_factor=np.array([cm.recruit_factor_tri[1]]),
        multipliers=cm.multiplier_tri[None, :, 1],
        realised=cm.fac_prob[None, :],
        donor_weights=np.ones((1, donor_slots(cm.survey))),
    )


def driver_names(cm: Compiled) -> list[str]:
    return (
        [f"facility:{f}" for f in cm.facility_ids]
        + [f"labour_intensity:{s}" for s in cm.tax.segments]
        + [f"role_mix:{s}" for s in cm.tax.segments]
        + [f"capture_share:{lv}" for lv in cm.capture_levels]
        + list(SCALAR_DRIVERS)
    )


@dataclass(frozen=True)
class BlockOut:
    """One block's flows (float32 to halve memory) and its driver values and target; the sums
    over its draws of the abroad quantities (year × cell) and of each measure pair's supply
    (per year, keyed by measure, level and area)."""

    scenario_index: int
    block_index: int
    flows: dict[str, np.ndarray]
    jobs: dict[str, np.ndarray]
    drivers: F64
    target: F64
    sums: dict[str, F64]
    measure_sums: dict[tuple[str, str, str], F64]
    units: np.ndarray | None = None  # (n, U + 1, T, M) float32 breakdown sums (breakdown.py)
    realised: np.ndarray | None = None  # (n, F) bool
    year_shortage: F64 | None = None  # (n, T) national shortage per year
    reported_openings: F64 | None = None  # (n, T) respondents' openings in answered years
    carried_openings: F64 | None = None  # (n, T) respondents' openings in the other years


@dataclass(frozen=True)
class Sink:
    """Where a block computed in the ensemble's own process writes its flows: the ensemble's
    arrays (float32), from row ``start`` on; ``with_measures``: whether they have the measure
    metrics (:func:`put_flows`)."""

    flows: dict[str, np.ndarray]
    start: int
    with_measures: bool


def put_flows(
    dest: dict[str, np.ndarray], rows: slice, flows: dict[str, np.ndarray], with_measures: bool
) -> None:
    """Write a block's flows (float64, or float32 already) into rows of the ensemble's float32
    arrays: the same cast as ``astype(np.float32)``. With ``with_measures`` and a block without
    measures, its measures add nothing and its gap without them is its gap."""
    for m in METRICS:
        np.copyto(dest[m][rows], flows[m], casting="same_kind")
    if with_measures:
        if "measure_supply" in flows:
            np.copyto(dest["measure_supply"][rows], flows["measure_supply"], casting="same_kind")
            np.copyto(
                dest["gap_without_measures"][rows],
                flows["gap_without_measures"],
                casting="same_kind",
            )
        else:
            dest["measure_supply"][rows] = 0.0
            dest["gap_without_measures"][rows] = dest["gap"][rows]


def run_block(
    cm: Compiled,
    scenario_index: int,
    block_index: int,
    n: int,
    seed: int,
    sink: Sink | None = None,
) -> BlockOut:
    """Compute one block of ``n`` draws. With a ``sink``, its flows are written there (and
    the block's ``flows`` are empty), else returned as float32."""
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(scenario_index, block_index)))
    )
    draws, drivers = sample_draws(cm, n, rng)
    fl: Flows = national_flows(cm, draws)
    wide = {m: getattr(fl, m) for m in METRICS}
    measure_sums: dict[tuple[str, str, str], F64] = {}
    recruited = fl.supply_recruitment
    if fl.measure_supply is not None:
        assert fl.gap_without_measures is not None
        assert fl.measure_pairs is not None
        wide["measure_supply"] = fl.measure_supply
        wide["gap_without_measures"] = fl.gap_without_measures
        if fl.recruitment_measures is not None:
            recruited = recruited + fl.recruitment_measures
        ma = cm.measures
        pair_sums = fl.measure_pairs.sum(axis=0)  # (P, T)
        for p, key in enumerate(zip(ma.ids, ma.levels, ma.areas, strict=True)):
            measure_sums[key] = pair_sums[p]
    if sink is not None:
        put_flows(sink.flows, slice(sink.start, sink.start + n), wide, sink.with_measures)
        flows: dict[str, np.ndarray] = {}
    else:
        flows = {m: x.astype(np.float32) for m, x in wide.items()}
    # the abroad frame: what domestic supply leaves open (before recruitment), what recruitment
    # fills, and what stays open
    T, C = fl.gap.shape[1:]
    sums = {k: np.zeros((T, C)) for k in ABROAD_SUMS}
    year_shortage = np.empty((n, T))
    kernels.abroad_sums(
        fl.gap,
        recruited,
        sums["abroad_need"],
        sums["abroad_recruited"],
        sums["abroad_unmet"],
        year_shortage,
    )
    jobs = {
        "direct": fl.direct_jobs.astype(np.float32),
        "indirect": fl.indirect_jobs.astype(np.float32),
        "induced": fl.induced_jobs.astype(np.float32),
    }
    assert fl.survey is not None
    reported, carried = survey_openings(cm, fl.survey, n)
    target = year_shortage.sum(axis=1)
    return BlockOut(
        scenario_index,
        block_index,
        flows,
        jobs,
        drivers,
        target,
        sums,
        measure_sums,
        units=unit_sums(cm, draws, fl),
        realised=draws.realised,
        year_shortage=year_shortage,
        reported_openings=reported,
        carried_openings=carried,
    )


Task = tuple[Compiled, int, int, list[tuple[int, int]], int, Sink | None]


def _run_task(args: Task) -> list[BlockOut]:
    cm, s_idx, key, blocks, seed, sink = args
    return [
        replace(
            run_block(
                cm,
                key,
                b,
                n,
                seed,
                None if sink is None else replace(sink, start=sink.start + b * BLOCK_SIZE),
            ),
            scenario_index=s_idx,
        )
        for b, n in blocks
    ]


def allocate_draws(weights: Sequence[float], draws: int) -> list[int]:
    """Split ``draws`` over scenarios in proportion to their weights (largest remainder).

    >>> allocate_draws([0.25, 0.5, 0.25], 10)
    [3, 5, 2]
    """
    total = float(sum(weights))
    exact = [draws * w / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: draws - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class Ensemble:
    """All draws of a run, in draw order: flows (D, T, C), jobs (D, T), drivers (D, K); and the
    sums over all draws of the abroad quantities (T, C) and of each measure pair's supply (T,),
    added block by block in block order."""

    flows: dict[str, np.ndarray]
    jobs: dict[str, np.ndarray]
    drivers: F64
    driver_names: list[str]
    target: F64
    scenario_of_draw: np.ndarray
    sums: dict[str, F64]
    measure_sums: dict[tuple[str, str, str], F64]
    #: per scenario: its breakdown sums (n_s, U_s + 1, T, M), realised facilities (n_s, F_s)
    units: list[np.ndarray] = field(default_factory=list)
    realised: list[np.ndarray] = field(default_factory=list)
    year_shortage: F64 | None = None  # (D, T)
    reported_openings: F64 | None = None  # (D, T)
    carried_openings: F64 | None = None  # (D, T)


def _in_order(executor: Executor, tasks: Sequence[Task]) -> Iterator[list[BlockOut]]:
    """The tasks' results in task order, with at most :data:`IN_FLIGHT` tasks submitted and not
    yet taken, so that finished blocks waiting to be copied cannot pile up in memory (an
    ``executor.map`` submits every task at once)."""
    pending: deque[Future[list[BlockOut]]] = deque()
    queue = iter(tasks)
    for task in queue:
        pending.append(executor.submit(_run_task, task))
        if len(pending) >= IN_FLIGHT:
            break
    while pending:
        done = pending.popleft().result()
        for task in queue:
            pending.append(executor.submit(_run_task, task))
            break
        yield done


def run_ensemble(
    compiled: Sequence[Compiled],
    counts: Sequence[int],
    seed: int,
    executor: Executor | None = None,
    blocks_per_task: int = 4,
    progress: Callable[[int, int], None] | None = None,
    keys: Sequence[int] | None = None,
) -> Ensemble:
    """Run ``counts[i]`` draws of scenario ``compiled[i]``; results in scenario then draw order.

    ``keys[i]`` seeds scenario ``i``'s random streams (default: its position). Giving each
    scenario a key that does not depend on which other scenarios run makes a scenario's draws the
    same in a run of its own and in a weighted run.
    """
    total = sum(counts)
    # driver columns differ by scenario only in facility sets; align them by name
    names: list[str] = []
    for cm in compiled:
        for nm in driver_names(cm):
            if nm not in names:
                names.append(nm)
    col = {nm: i for i, nm in enumerate(names)}
    own_cols = [[col[nm] for nm in driver_names(cm)] for cm in compiled]
    # Each block is copied into its rows (scenario, then draw order) as soon as it arrives, and at
    # most IN_FLIGHT tasks run ahead of the copying, so the blocks never all sit in memory beside
    # the ensemble.
    first_row = [sum(counts[:i]) for i in range(len(counts))]
    T = len(compiled[0].years) if compiled else 0
    C = compiled[0].n_cells if compiled else 0
    with_measures = any(cm.measures.count for cm in compiled)
    metrics = (*METRICS, *MEASURE_METRICS) if with_measures else METRICS
    flows = {m: mapped((total, T, C)) for m in metrics}
    # Blocks computed in this process (no executor, or a thread pool) write their flows into
    # the ensemble themselves, on their own thread; others send them back to be copied here.
    here = executor is None or isinstance(executor, ThreadPoolExecutor)
    tasks: list[Task] = []
    stream_keys = list(keys) if keys is not None else list(range(len(compiled)))
    for s_idx, (cm, n) in enumerate(zip(compiled, counts, strict=True)):
        blocks = [
            (b, min(BLOCK_SIZE, n - b * BLOCK_SIZE))
            for b in range((n + BLOCK_SIZE - 1) // BLOCK_SIZE)
        ]
        sink = Sink(flows, first_row[s_idx], with_measures) if here else None
        for i in range(0, len(blocks), max(1, blocks_per_task)):
            step = blocks[i : i + max(1, blocks_per_task)]
            tasks.append((cm, s_idx, stream_keys[s_idx], step, seed, sink))
    sums = {k: np.zeros((T, C)) for k in ABROAD_SUMS}
    measure_sums: dict[tuple[str, str, str], F64] = {}
    jobs = {k: np.empty((total, T), dtype=np.float32) for k in ("direct", "indirect", "induced")}
    drivers = np.full((total, len(names)), np.nan)
    target = np.empty(total)
    scenario_of_draw = np.empty(total, dtype=np.int64)
    year_shortage = np.empty((total, T))
    reported_openings = np.empty((total, T))
    carried_openings = np.empty((total, T))
    # breakdown units and facilities differ by scenario: one array per scenario
    unit_arrays = [
        mapped((n, len(cm.units.segment) + 1, T, len(UNIT_METRICS)))
        for cm, n in zip(compiled, counts, strict=True)
    ]
    # the fresh memory of the ensemble is faulted in on a thread of its own, ahead of the copying
    filler = threading.Thread(
        target=populate,
        args=([*flows.values(), *unit_arrays],),
        name="battkomp-populate",
        daemon=True,
    )
    filler.start()
    realised = [
        np.empty((n, len(cm.facility_ids)), dtype=bool)
        for cm, n in zip(compiled, counts, strict=True)
    ]
    done = 0
    results = _in_order(executor, tasks) if executor is not None else map(_run_task, tasks)
    for block_list in results:
        for b in block_list:
            n = b.target.shape[0]
            start = first_row[b.scenario_index] + b.block_index * BLOCK_SIZE
            rows = slice(start, start + n)
            if b.flows:  # else the block wrote them itself
                put_flows(flows, rows, b.flows, with_measures)
            for k in ABROAD_SUMS:
                sums[k] += b.sums[k]
            for key, value in b.measure_sums.items():
                if key in measure_sums:
                    measure_sums[key] = measure_sums[key] + value
                else:
                    measure_sums[key] = value.copy()
            for k in jobs:
                jobs[k][rows] = b.jobs[k]
            drivers[rows, own_cols[b.scenario_index]] = b.drivers
            target[rows] = b.target
            scenario_of_draw[rows] = b.scenario_index
            own = slice(b.block_index * BLOCK_SIZE, b.block_index * BLOCK_SIZE + n)
            assert b.units is not None
            assert b.realised is not None
            unit_arrays[b.scenario_index][own] = b.units
            realised[b.scenario_index][own] = b.realised
            year_shortage[rows] = b.year_shortage
            reported_openings[rows] = b.reported_openings
            carried_openings[rows] = b.carried_openings
            done += n
        del block_list
        if progress is not None:
            progress(done, total)
    filler.join()
    return Ensemble(
        flows=flows,
        jobs=jobs,
        drivers=drivers,
        driver_names=names,
        target=target,
        scenario_of_draw=scenario_of_draw,
        sums=sums,
        measure_sums=measure_sums,
        units=unit_arrays,
        realised=realised,
        year_shortage=year_shortage,
        reported_openings=reported_openings,
        carried_openings=carried_openings,
    )


_BAND = 256  # draws transposed at a time in lane_stats
QUANTILES = (10, 50, 90)


def lane_stats(
    x: np.ndarray, positive: bool = False, scratch: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Mean and P10/P50/P90 over the draws (axis 0) of every cell of ``x``.

    Each cell's draws are copied into one contiguous row (a band of draws at a time, which keeps
    the transposition in cache) and sorted once; the percentiles are then read off the sorted rows
    by linear interpolation between order statistics (numpy's default ``linear`` method). Cells
    whose draws are all zero are neither copied nor sorted: every statistic of theirs is 0. With
    ``positive``, also the mean of the positive part and the share of draws above zero.
    ``scratch``: a flat array of ``x``'s dtype and at least its size to sort in, reused from call
    to call (else a new one), so that a run's statistics do not write into fresh memory, which is
    slow on a virtual machine (docs/performance.md), for every metric.

    >>> st = lane_stats(np.arange(11.0)[:, None], positive=True)
    >>> [float(st[k][0]) for k in ("mean", "p10", "p50", "p90", "positive_mean")]
    [5.0, 1.0, 5.0, 9.0, 5.0]
    """
    n = x.shape[0]
    flat = x.reshape(n, -1)
    shape = x.shape[1:]
    width = flat.shape[1]
    # Many cells never hold anyone (a level and area no role of the run needs): their draws are
    # all zero, and so are their statistics. Only the other lanes are transposed and sorted.
    live = np.flatnonzero(kernels.live_lanes(flat)) if n else np.arange(width)
    k = live.size
    if scratch is not None and scratch.dtype == x.dtype and scratch.size >= k * n:
        lanes = scratch[: k * n].reshape(k, n)
    else:
        lanes = np.empty((k, n), dtype=x.dtype)
    if k == width:
        for i in range(0, n, _BAND):
            lanes[:, i : i + _BAND] = flat[i : i + _BAND].T
    elif k:
        for i in range(0, n, _BAND):
            lanes[:, i : i + _BAND] = flat[i : i + _BAND].T[live]
    return _sorted_summary(lanes, shape, None if k == width else live, positive)


def rows_stats(lanes: np.ndarray, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """:func:`lane_stats` of draws already laid out one cell per row, ``(cells, draws)``, the
    cells in the order of ``shape``. The rows are sorted in place.

    >>> st = rows_stats(np.array([[3.0, 1.0, 2.0]]), (1,))
    >>> [float(st[k][0]) for k in ("mean", "p50")]
    [2.0, 2.0]
    """
    return _sorted_summary(lanes, shape, None, False)


def _sorted_summary(
    lanes: np.ndarray, shape: tuple[int, ...], live: np.ndarray | None, positive: bool
) -> dict[str, np.ndarray]:
    """Sort ``lanes`` (cells, draws) row by row and read off :func:`lane_stats`' statistics;
    ``live``: the cells of ``shape`` the rows are, the others all zero (None: every cell)."""
    n = lanes.shape[1]
    lanes.sort(axis=1)

    def cells(per_lane: np.ndarray) -> np.ndarray:
        if live is None:
            return per_lane.reshape(shape)
        full = np.zeros(int(np.prod(shape, dtype=np.int64)))
        full[live] = per_lane
        return full.reshape(shape)

    out: dict[str, np.ndarray] = {"mean": cells(lanes.sum(axis=1, dtype=np.float64) / n)}
    for q in QUANTILES:
        h = (n - 1) * q / 100.0
        lo = int(np.floor(h))
        hi = min(lo + 1, n - 1)
        a = lanes[:, lo].astype(np.float64)
        b = lanes[:, hi].astype(np.float64)
        out[f"p{q}"] = cells(a + (h - lo) * (b - a))
    if positive:
        # rows are sorted: the positive values are a suffix of each row
        first_positive = (lanes <= 0).sum(axis=1)
        out["positive_share"] = cells((n - first_positive) / n)
        out["positive_mean"] = cells(
            np.where(lanes > 0, lanes, 0).sum(axis=1, dtype=np.float64) / n
        )
    return out


def driver_relevant(cm: Compiled) -> list[bool]:
    """Per driver of :func:`driver_names`: whether it can move the shortage at all. A segment
    without facilities has no jobs for its intensity or mix to scale, and a level without offers
    or counted educate measures has no graduates for its capture factor to scale: their draws are
    pure noise and are never ranked."""
    used_segments = {int(s) for s in cm.fac_segment}
    offer_levels = {int(i) for i in cm.offer_level}
    measure_levels = {int(i) for i in cm.measures.capture_level if i >= 0}
    return (
        [True] * len(cm.facility_ids)
        + [s in used_segments for s in range(len(cm.tax.segments))] * 2
        + [i in offer_levels or i in measure_levels for i in range(len(cm.capture_levels))]
        + [True] * len(SCALAR_DRIVERS)
    )


def first_order(x: F64, y: F64, bins: int = 32, realised: bool = False) -> tuple[float, float]:
    """A variance-based (Sobol-type) first-order index of ``x`` for ``y`` and its conditional
    effect.

    The draws are sorted by ``x`` and cut into at most ``bins`` groups of about equal size (tied
    values stay in one group, so a facility realised in few draws forms a group of its own). The
    index is the share of the variance of ``y`` explained by the group means,
    ``Var(E[y | x]) / Var(y)``, less its expected value under independence
    (``(K − 1)`` times the within-group mean square), clipped at 0. The effect is
    ``E[y | x above its median] − E[y | x at or below it]``; with ``realised`` (a facility, whose
    value is 0 in the draws where it is not realised) ``E[y | x > 0] − E[y | x = 0]``: the shortage
    when it is realised less the shortage when it is not.

    >>> rng = np.random.default_rng(0)
    >>> x = (rng.random(4000) < 0.05).astype(float); noise = rng.random(4000)
    >>> y = 1000 * x + rng.normal(0, 10, 4000)
    >>> s, e = first_order(x, y, realised=True); round(s, 2), round(e, -1)
    (1.0, 1000.0)
    >>> first_order(noise, y)[0] < 0.01
    True
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = x.size
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0, 0.0
    order = np.argsort(x, kind="stable")
    xs = x[order]
    lowest_rank = np.searchsorted(xs, xs, side="left")  # ties share their lowest rank
    _, group = np.unique((lowest_rank * bins) // n, return_inverse=True)
    k = int(group.max()) + 1
    ys = y[order].astype(np.float64)
    counts = np.bincount(group, minlength=k).astype(np.float64)
    means = np.bincount(group, weights=ys, minlength=k) / counts
    grand = ys.mean()
    total_ss = float(((ys - grand) ** 2).sum())
    between = float((counts * (means - grand) ** 2).sum())
    within = total_ss - between
    noise = (k - 1) * within / (n - k) if n > k else 0.0
    index = max(0.0, (between - noise) / total_ss) if total_ss > 0 else 0.0
    upper = x > 0 if realised else x > np.median(x)
    effect = float(y[upper].mean() - y[~upper].mean()) if upper.any() and (~upper).any() else 0.0
    return index, effect


def spearman(x: F64, y: F64, y_ranks: F64 | None = None) -> float:
    """Spearman rank correlation (average ranks for ties); 0 when either side is constant.
    ``y_ranks``: ``rank(y)`` computed once for many ``x`` (used when neither has a NaN).

    >>> spearman(np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 9.0]))
    1.0
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    whole = bool(ok.all())
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    rx = rank(x)
    ry = y_ranks.copy() if y_ranks is not None and whole else rank(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = float(np.sqrt((rx**2).sum() * (ry**2).sum()))
    return float((rx * ry).sum() / denom) if denom > 0 else 0.0


def rank(a: F64) -> F64:
    """Ranks from 0 (average ranks for ties).

    >>> rank(np.array([3.0, 1.0, 3.0])).tolist()
    [1.5, 0.0, 1.5]
    """
    order = np.argsort(a, kind="stable")
    ranks = np.empty(a.size)
    ranks[order] = np.arange(a.size, dtype=float)
    # average ranks of ties
    sorted_a = a[order]
    boundaries = np.flatnonzero(np.diff(sorted_a)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [a.size]])
    for s, e in zip(starts, ends, strict=True):
        if e - s > 1:
            ranks[order[s:e]] = (s + e - 1) / 2.0
    return ranks
