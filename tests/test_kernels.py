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
