"""Benchmark reading and validating input bundles: wall time and peak memory against file size.

Run from the repository root::

    .venv/bin/python benchmarks/inputs.py            # 9 000 and 40 000 rows, and the size cap
    .venv/bin/python benchmarks/inputs.py --quick    # a smoke run on small files (~20 s)

Each case is the demo bundle with a generated ``survey_needs.csv`` of N distinct answers (300
organisations × roles × areas × years, the demo's own rows as the pattern). Two kinds of row:

- **demo-like** rows carry the demo's long ``source`` text (~115 bytes a row), as an export does;
- **dense** rows have a short source (~70 bytes a row): the most rows, and so the most cells to
  check, that fit in a file of a given size. The **cap** case is a dense file just under
  ``MAX_FILE_BYTES``: the largest file a user can give, and the slowest to read.

For every case, ``battkomp model check`` (the base and the demo's three scenarios) and
``battkomp model run --scenario mid`` (1 000 draws, results to a CSV folder) run in a fresh child
process each; the parent reads the child's wall time and its peak resident set size from
``os.wait4`` (``ru_maxrss``, exactly that child). The time includes starting Python and importing
the package (about 1 s). ``MAX_FILE_BYTES`` is set so that the cap case stays well under a minute
for each command. Nothing here is imported by the package or the tests; ``tests/
test_benchmarks_smoke.py`` runs it with ``--quick``. Figures: ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT / "src"))

from battkomp.engine.bundle import DATA_DIR, MAX_FILE_BYTES, demo_bundle_path  # noqa: E402

SEED = 20260101
COLUMNS = (
    "organisation",
    "segment",
    "region",
    "role",
    "level",
    "area",
    "year",
    "new_hires",
    "total_staff",
    "source",
)


def _codes(table: str, leaf: bool = False) -> list[str]:
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return [r["code"] for r in csv.DictReader(fh) if not leaf or r["parent"]]


def write_survey(folder: Path, rows: int | None, dense: bool, max_bytes: int | None = None) -> int:
    """A demo bundle in ``folder`` whose survey_needs.csv has ``rows`` distinct answers (or as many
    as fit in ``max_bytes``); returns the number of rows written."""
    shutil.copytree(demo_bundle_path(), folder)
    with (folder / "survey_needs.csv").open(encoding="utf-8", newline="") as fh:
        pattern = list(csv.DictReader(fh))
    roles, areas = _codes("roles"), _codes("competence_areas", leaf=True)
    rnd = random.Random(SEED)
    seen: set[tuple[str, ...]] = set()
    written = 0
    size = 0
    with (folder / "survey_needs.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        size += sum(len(c) + 1 for c in COLUMNS)
        while rows is None or written < rows:
            base = rnd.choice(pattern)
            row = dict(base)
            row["organisation"] = f"org{rnd.randrange(300)}"
            row["role"], row["area"] = rnd.choice(roles), rnd.choice(areas)
            row["year"] = str(rnd.randrange(2026, 2041))
            if dense:
                row["source"] = "synthetic"
            key = tuple(row[c] for c in COLUMNS[:7])
            if key in seen:
                continue
            record = [row[c] for c in COLUMNS]
            length = sum(len(c.encode()) + 1 for c in record)
            if max_bytes is not None and size + length > max_bytes:
                break
            seen.add(key)
            writer.writerow(record)
            size += length
            written += 1
    return written


def _child(args: list[str]) -> tuple[float, float, int]:
    """Run ``battkomp`` in a fresh process: (wall s, peak RSS MB, exit code)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "battkomp.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)  # the resource usage of exactly this child
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small files only (a smoke run)")
    args = parser.parse_args()
    cases: list[tuple[str, int | None, bool, int | None]] = (
        [("demo-like, 2 000 rows", 2000, False, None), ("dense, 1 MiB", None, True, 2**20)]
        if args.quick
        else [
            ("demo-like, 9 000 rows", 9000, False, None),
            ("demo-like, 40 000 rows", 40000, False, None),
            (f"dense, cap ({MAX_FILE_BYTES / 2**20:.0f} MiB)", None, True, MAX_FILE_BYTES - 1),
        ]
    )
    print(f"battkomp input benchmark{' (quick)' if args.quick else ''}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; MAX_FILE_BYTES = {MAX_FILE_BYTES} "
        f"({MAX_FILE_BYTES / 2**20:.0f} MiB)"
    )
    header = f"{'case':<24} {'rows':>8} {'MiB':>6} {'command':<6} {'wall s':>7} {'peak MB':>8} rc"
    print(header)
    print("-" * len(header))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, rows, dense, max_bytes in cases:
            folder = Path(tmp) / label.split(",")[0].replace(" ", "") / str(rows or max_bytes)
            folder.parent.mkdir(parents=True, exist_ok=True)
            n = write_survey(folder, rows, dense, max_bytes)
            mib = (folder / "survey_needs.csv").stat().st_size / 2**20
            runs = {
                "check": ["model", "check", str(folder)],
                "run": [
                    *("model", "run", "--bundle", str(folder), "--scenario", "mid"),
                    *("-q", "--format", "csv", "-o", str(Path(tmp) / "out")),
                ],
            }
            for command, argv in runs.items():
                wall, peak, rc = _child(argv)
                worst = max(worst, wall)
                print(f"{label:<24} {n:>8} {mib:>6.1f} {command:<6} {wall:>7.1f} {peak:>8.0f} {rc}")
            shutil.rmtree(folder)
    print(f"slowest command: {worst:.1f} s (the cap is set so that this stays under 60 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
