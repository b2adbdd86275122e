"""A seeded fuzz test: mutate the demo bundle's cells and structure and run ``battkomp model check``
(and ``model run`` when the check passes). Whatever the mutation, the command ends with exit code 0
or 2 and never a traceback; a run that passes the check gives finite numbers.

Hypothesis is derandomized (the same examples on every run) and bounded in examples, so the test
takes well under a minute on one core.
"""

from __future__ import annotations

import csv
import math
import shutil
import tempfile
from pathlib import Path

import polars as pl
import xlsxwriter
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battkomp.cli import main
from battkomp.engine.bundle import demo_bundle_path

DEMO = demo_bundle_path()
FILES = sorted(p.name for p in DEMO.glob("*.csv"))

#: Values that broke or nearly broke something once, or sit on an edge of a rule.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "1.2",
    "3",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "1,5",
    "12 000",
    "1_000",
    "9999",
    "abc;DROP",
    "2100",
    "1989",
    "99999999999999999999",
    "true",
    "ja",
    "=1+1",
    "x" * 300,
    "nkr9",
    "evu",
    "mid",
    "a|b",
    "\u00e6\u00f8\u00e5",
]

cell_value = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, records: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(records)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, ...]:
    kind = draw(
        st.sampled_from(
            [
                "cell",
                "cell",
                "cell",
                "cell",
                "header",
                "drop_column",
                "drop_row",
                "duplicate_row",
                "title_row",
                "truncate",
                "rename_file",
                "empty_file",
                "extra_cell",
            ]
        )
    )
    name = draw(st.sampled_from(FILES))
    a = draw(st.integers(min_value=0, max_value=300))
    b = draw(st.integers(min_value=0, max_value=30))
    value = draw(cell_value)
    return (kind, name, str(a), str(b), value)


def _apply(folder: Path, change: tuple[str, ...]) -> None:
    kind, name, a_text, b_text, value = change
    path = folder / name
    if not path.exists():
        return
    a, b = int(a_text), int(b_text)
    records = _read(path)
    if kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: a * len(data) // 301])
        return
    if kind == "rename_file":
        path.rename(path.with_suffix(".xls" if a % 2 else ".txt"))
        return
    if kind == "empty_file":
        path.write_bytes(b"")
        return
    if not records:
        return
    header, rows = records[0], records[1:]
    col = b % len(header)
    if kind == "cell" and rows:
        rows[a % len(rows)][col] = value
    elif kind == "header":
        header[col] = value
    elif kind == "drop_column":
        header.pop(col)
        for r in rows:
            if col < len(r):
                r.pop(col)
    elif kind == "drop_row" and rows:
        rows.pop(a % len(rows))
    elif kind == "duplicate_row" and rows:
        rows.append(list(rows[a % len(rows)]))
    elif kind == "title_row":
        records = [[value or "Title"], *records]
        _write(path, records)
        return
    elif kind == "extra_cell" and rows:
        rows[a % len(rows)].append(value or "x")
    _write(path, [header, *rows])


def _as_workbook(folder: Path, target: Path) -> Path:
    """The bundle as one workbook, every cell as text (as a careless export would write it)."""
    wb = xlsxwriter.Workbook(str(target), {"strings_to_numbers": True})
    for path in sorted(folder.glob("*.csv")):
        ws = wb.add_worksheet(path.stem[:31])
        for i, record in enumerate(_read(path)):
            for j, cell in enumerate(record):
                ws.write_string(i, j, cell) if cell.startswith("=") else ws.write(i, j, cell)
    wb.close()
    return target


@settings(
    max_examples=45,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    changes=st.lists(mutation(), min_size=1, max_size=3),
    workbook=st.booleans(),
)
def test_a_mutated_demo_bundle_is_checked_or_refused_never_a_traceback(
    changes: list[tuple[str, ...]], workbook: bool
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bundle"
        shutil.copytree(DEMO, folder)
        for change in changes:
            _apply(folder, change)
        bundle = _as_workbook(folder, Path(tmp) / "bundle.xlsx") if workbook else folder

        checked = runner.invoke(main, ["model", "check", str(bundle), "--lang", "en"])
        assert checked.exit_code in (0, 2), (changes, checked.output, checked.exception)
        assert "Traceback" not in checked.output
        if checked.exit_code == 2:
            assert "problem(s) found" in checked.output
            return

        out = Path(tmp) / "out"
        ran = runner.invoke(
            main,
            [
                *("model", "run", "--bundle", str(bundle), "--weighted", "--draws", "10", "-q"),
                *("-o", str(out), "--format", "csv", "--lang", "en"),
            ],
        )
        assert ran.exit_code in (0, 2), (changes, ran.output, ran.exception)
        if ran.exit_code == 0:
            totals = pl.read_csv(out / "totals.csv")
            assert all(math.isfinite(v) for v in totals["mean"].to_list()), changes
