"""The engine's compiled loops (engine/kernels.py, docs/decisions.md 52)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from battkomp.engine.kernels import _sum


@pytest.mark.parametrize("n", [0, 1, 7, 8, 17, 127, 128, 129, 170, 256, 300, 1000, 4097])
def test_sum_gives_numpys_bits(n: int) -> None:
    """The recruitment channels' level totals are numpy's pairwise sums, bit for bit, also
    above 128 values where numpy sums halves."""
    rng = np.random.default_rng(n)
    for _ in range(20):
        x = rng.standard_normal(n + 5) * 10.0 ** rng.integers(-6, 6, n + 5)
        assert _sum(x, 2, n) == x[2 : 2 + n].sum()


def test_a_process_runs_the_model_with_the_kernels_loaded_from_the_cache() -> None:
    """The first process may compile the kernels and write numba's cache; the second loads
    them from it. (A kernel calling a recursive one crashed when loaded from the cache.)"""
    code = (
        "from battkomp.engine import run_model\n"
        "from battkomp.engine.bundle import demo_bundle_path\n"
        "r = run_model(demo_bundle_path(), scenario='mid', draws=3, seed=1)\n"
        "print(r['national'].height)\n"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
        )
        for _ in range(2)
    ]
    for out in outs:
        assert out.returncode == 0, out.stderr[-2000:]
    assert outs[0].stdout == outs[1].stdout


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("draws", [1, 2, 11, 300, 1001])
def test_lane_stats_skip_no_statistic_of_cells_without_anyone(dtype: type, draws: int) -> None:
    """Cells whose draws are all zero are not sorted (montecarlo.lane_stats); every statistic
    still equals numpy's, in every cell, the all-zero ones included."""
    from battkomp.engine.montecarlo import lane_stats

    rng = np.random.default_rng(draws)
    x = (rng.standard_normal((draws, 4, 9)) * 50).astype(dtype)
    x[:, :, [0, 3, 4, 8]] = 0.0  # four cells no one fills, in every year
    x[:, 1, 5] = -0.0
    x[rng.random(x.shape) < 0.3] = 0.0  # and zeros among the draws of the others
    st = lane_stats(x, positive=True)
    x64 = x.astype(np.float64)
    assert np.allclose(st["mean"], x64.mean(axis=0), rtol=1e-12, atol=1e-9)
    for q in (10, 50, 90):
        # numpy interpolates between the same order statistics, in another order of operations
        assert np.allclose(st[f"p{q}"], np.percentile(x64, q, axis=0), rtol=1e-12, atol=1e-9)
    assert np.array_equal(st["positive_share"], (x64 > 0).mean(axis=0))
    assert np.allclose(st["positive_mean"], np.maximum(x64, 0).mean(axis=0), rtol=1e-12, atol=1e-9)
    assert not st["mean"][:, [0, 3, 4, 8]].any()


def test_live_lanes_marks_the_columns_with_anything_but_zero() -> None:
    from battkomp.engine.kernels import live_lanes

    flat = np.zeros((5, 6), dtype=np.float32)
    flat[4, 1] = 1e-30
    flat[0, 2] = -3.0
    flat[2, 3] = np.nan
    flat[:, 5] = -0.0
    assert live_lanes(flat).tolist() == [False, True, True, True, False, False]
