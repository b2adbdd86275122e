"""The engine benchmark (``benchmarks/engine.py``) runs end to end in its quick mode.

Only that it runs and prints its report is checked: timings depend on the machine and its load, so
no figure is asserted here (``docs/performance.md`` has the measured ones).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "engine.py"

HEADINGS = (
    "battkomp engine benchmark (quick)",
    "machine:",
    "== (a) demo national model, scenario mid",
    "== (b) synthetic 10x taxonomy",
    "== (c) synthetic Nordic/EU scale (30 countries)",
    "throughput",
    "peak RSS",
    "phases",
    "plain loop",
    "floor",
    "sort floor",
    "bound",
    "engine/plain",
    "engine/floor",
    "targets",
    "== summary",
)


@pytest.mark.slow
def test_quick_benchmark_runs_and_reports() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    missing = [h for h in HEADINGS if h not in proc.stdout]
    assert missing == [], proc.stdout
    assert "FAILED" not in proc.stdout, proc.stdout


INPUTS_SCRIPT = ROOT / "benchmarks" / "inputs.py"


@pytest.mark.slow
def test_quick_input_benchmark_runs_and_reports() -> None:
    proc = subprocess.run(
        [sys.executable, str(INPUTS_SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for heading in ("battkomp input benchmark (quick)", "MAX_FILE_BYTES", "check", "run"):
        assert heading in proc.stdout
    # every command of the benchmark ended well (exit code 0 in the last column)
    rows = [line.split() for line in proc.stdout.splitlines() if line.startswith(("demo", "dense"))]
    assert len(rows) == 4
    assert all(r[-1] == "0" for r in rows), proc.stdout
