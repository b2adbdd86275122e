"""Input the model must refuse (issue 15): missing key columns, title rows and broken sheets,
implausible quantities, unknown STYRK-08 codes, stray files, too many draws, formula cells without a
value; and output that must survive a killed run. Every case: a clear message naming the file,
sheet, row and column, in English and bokmål, exit code 2 on the command line, nothing written."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from battkomp.cli import main
from battkomp.engine import run_model
from battkomp.engine.bundle import (
    MAX_FILE_BYTES,
    BundleError,
    Problem,
    check_bundle,
    demo_bundle_path,
    load_inputs,
    uncached_formulas,
)
from battkomp.engine.classifications import codes, valid_codes
from battkomp.engine.results import recover_output
from bundlekit import BASE_YEAR, facility, plan, plant_bundle, write_bundle, write_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _codes(problems: list[Problem]) -> list[str]:
    return sorted(p.code for p in problems)


def _only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.message("en") for p in problems]
    return found[0]


def _demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(demo_bundle_path(), folder)
    return folder


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _drop_column(path: Path, column: str) -> None:
    header, rows = _rows(path)
    header.remove(column)
    write_csv(path, [{k: r[k] for k in header} for r in rows], header)


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set a cell of a CSV file; ``row`` counts data rows from 0 (file row ``row + 2``)."""
    header, rows = _rows(path)
    rows[row][column] = value
    write_csv(path, rows, header)


def _check(runner: CliRunner, bundle: Path, lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(main, ["model", "check", str(bundle), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


# ----------------------------------------------------------------------------- key columns


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("facilities", "id"),
        ("organisations", "id"),
        ("scenarios", "name"),
        ("scenario_overrides", "scenario"),
    ],
)
def test_a_missing_key_column_is_a_clear_problem_not_a_traceback(
    runner: CliRunner, tmp_path: Path, table: str, column: str
) -> None:
    bundle = _demo_copy(tmp_path)
    _drop_column(bundle / f"{table}.csv", column)

    code, output = _check(runner, bundle)
    assert code == 2
    assert f"demo/{table}.csv, row 1: the column '{column}' is missing" in output
    assert "Traceback" not in output
    # the one problem, not a knock-on one for every override of the table's rows
    assert "no row with key" not in output

    code, output = _check(runner, bundle, "nb")
    assert code == 2
    assert f"demo/{table}.csv, rad 1: kolonnen «{column}» mangler" in output


def test_run_of_a_scenario_whose_table_lost_its_name_column_names_the_column(
    runner: CliRunner, tmp_path: Path
) -> None:
    bundle = _demo_copy(tmp_path)
    _drop_column(bundle / "scenarios.csv", "name")
    out = tmp_path / "out.xlsx"
    result = runner.invoke(
        main, ["model", "run", "--bundle", str(bundle), "--scenario", "mid", "-o", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "the column 'name' is missing" in result.output
    assert "no scenario named 'mid'" in result.output
    assert not out.exists()


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.write(i, j, value)
    wb.close()
    return path


def _table(rows: list[dict[str, object]]) -> list[list[object]]:
    header = list(rows[0])
    return [header, *([r.get(h) for h in header] for r in rows)]


def test_a_sheet_with_a_title_row_above_its_header_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = _table([facility("f1")])
    book = _workbook(tmp_path / "b.xlsx", {"facilities": [["Our factories, 2026"], [], *rows]})

    problems = check_bundle(book)
    title = _only(problems, "title_row")
    assert title.message("en").startswith("b.xlsx, sheet 'facilities', row 1: ")
    assert "'Our factories, 2026'" in title.message("en")
    assert "fjern tittelraden" in title.message("nb")
    assert "missing_column" in _codes(problems)

    code, output = _check(runner, book)
    assert code == 2
    assert "title row" in output


def test_a_sheet_with_broken_xml_is_reported_not_raised(runner: CliRunner, tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", {"facilities": _table([facility("f1")])})
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the sheet's XML
            dst.writestr(info, data)

    problem = _only(check_bundle(bad), "unreadable_file")
    assert problem.location.file == "bad.xlsx"
    code, output = _check(runner, bad)
    assert code == 2
    assert "bad.xlsx" in output
    assert "cannot be read" in output


def test_region_3_in_a_workbook_is_county_03_as_in_the_web_import(tmp_path: Path) -> None:
    f = facility("f1", region="03")
    f["region"] = 3  # a number, as Excel stores the county code 03
    book = _workbook(
        tmp_path / "b.xlsx",
        {"facilities": _table([f]), "capacity_plans": _table([plan("f1", BASE_YEAR, 5)])},
    )
    assert check_bundle(book) == []
    assert load_inputs(book)["facilities"]["region"].to_list() == ["03"]


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "capacity_plans"
    ws.append(["facility", "year", "capacity", "source"])
    ws.append(["f1", BASE_YEAR, "=2+3", "synthetic test data"])  # openpyxl saves no value
    book = tmp_path / "b.xlsx"
    wb.save(book)
    facilities = _workbook(tmp_path / "f.xlsx", {"facilities": _table([facility("f1")])})
    folder = tmp_path / "bundle"
    folder.mkdir()
    shutil.copy(book, folder / "plans.xlsx")
    shutil.copy(facilities, folder / "facilities.xlsx")

    assert uncached_formulas(book) == {"capacity_plans": {(2, 2)}}
    problem = _only(check_bundle(folder), "formula_without_value")
    en = problem.message("en")
    assert en.startswith("bundle/plans.xlsx, sheet 'capacity_plans', row 2, column 'capacity (C)'")
    assert "formula without a saved value" in en
    assert "formel uten lagret verdi" in problem.message("nb")


# ------------------------------------------------------------------------------ bounds


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("capacity_plans", "capacity", "1e308"),
        ("capacity_plans", "capacity", "5000"),
        ("facilities", "intensity", "1e308"),
        ("education_offers", "study_places", "1e308"),
        ("survey_needs", "new_hires", "1e308"),
        ("survey_needs", "total_staff", "60000"),
        ("retraining_pools", "size", "1e12"),
        ("recruitment_channels", "cap_per_year", "1e308"),
        ("measures", "places_per_year", "1e7"),
        ("scenarios", "weight", "1e308"),
    ],
)
def test_a_huge_quantity_is_refused_on_check(
    runner: CliRunner, tmp_path: Path, table: str, column: str, value: str
) -> None:
    bundle = _demo_copy(tmp_path)
    _header, rows = _rows(bundle / f"{table}.csv")
    row = next(i for i, r in enumerate(rows) if r.get(column, "").strip())
    _set_cell(bundle / f"{table}.csv", row, column, value)

    problems = check_bundle(bundle)
    assert problems, f"{table}.{column}={value} passed"
    assert {p.code for p in problems} <= {"implausible", "above_maximum"}
    where = f"demo/{table}.csv, row {row + 2}, column '{column}'"
    assert all(p.message("en").startswith(where) for p in problems), problems

    code, output = _check(runner, bundle)
    assert code == 2
    assert where in output


def test_the_plausible_bound_message_gives_the_reason_and_how_to_raise_it(tmp_path: Path) -> None:
    folder = plant_bundle(tmp_path / "b", [facility("f1")], [plan("f1", BASE_YEAR, 450)])
    problem = _only(check_bundle(folder), "implausible")
    en, nb = problem.message("en"), problem.message("nb")
    assert en.startswith("b/capacity_plans.csv, row 2, column 'capacity': 450 GWh/yr is above")
    assert "plausible maximum 300" in en
    assert "100–200 GWh/yr" in en
    assert "overrides (table bounds, key capacity_plans|capacity, column maximum)" in en
    assert "sannsynlige øvre grensen 300" in nb
    assert "100–200 GWh/år" in nb


def _raise_bound(folder: Path, value: str) -> Path:
    write_csv(
        folder / "overrides.csv",
        [
            {
                "table": "bounds",
                "key": "capacity_plans|capacity",
                "column": "maximum",
                "value": value,
                "source": "assumption: a larger plant",
            }
        ],
    )
    return folder


def test_a_bound_can_be_raised_by_an_override_up_to_the_hard_limit(tmp_path: Path) -> None:
    folder = plant_bundle(tmp_path / "b", [facility("f1")], [plan("f1", BASE_YEAR, 450)])
    assert check_bundle(_raise_bound(folder, "500")) == []

    problem = _only(check_bundle(_raise_bound(folder, "1e7")), "bound_above_limit")
    assert problem.location.file == "b/overrides.csv"
    assert "hard limit 100000" in problem.message("en")


def test_weighted_run_with_a_huge_scenario_weight_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    bundle = _demo_copy(tmp_path)
    _set_cell(bundle / "scenarios.csv", 0, "weight", "1e308")
    out = tmp_path / "out.xlsx"
    result = runner.invoke(
        main, ["model", "run", "--bundle", str(bundle), "--weighted", "-o", str(out), "-q"]
    )
    assert result.exit_code == 2, result.output
    assert "demo/scenarios.csv, row 2, column 'weight'" in result.output
    assert not out.exists()


def test_a_parameter_outside_its_range_is_refused(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "overrides": [
                {
                    "table": "parameters",
                    "key": "end_year",
                    "column": "value",
                    "value": "1e308",
                    "source": "assumption: test",
                }
            ]
        },
    )
    problem = _only(check_bundle(folder), "parameter_range")
    assert problem.location.file == "b/overrides.csv"
    assert "outside the range 1990–2100 of the parameter 'end_year'" in problem.message("en")


# ------------------------------------------------------------------------------ code lists


def test_the_styrk08_list_is_klass_7s_and_has_a_source() -> None:
    all_codes = codes("styrk08")
    levels = [c.level for c in all_codes.values()]
    assert (levels.count("major"), levels.count("sub_major")) == (10, 43)
    assert (levels.count("minor"), levels.count("unit")) == (122, 407)
    units = valid_codes("styrk08")
    assert {"8131", "3134", "7412", "2145", "0110"} <= units
    # STYRK-08's own unit groups, which ISCO-08 lacks, and ISCO-08's that STYRK-08 drops
    assert {"0000", "2223", "2224", "3439"} <= units
    assert not {"3111", "7111", "3221", "6310"} & units
    assert "9999" not in units
    assert "813" not in units
    # every group's parent is in the list, one level up
    for code in all_codes.values():
        if code.level != "major":
            assert code.code[:-1] in all_codes
    with (ROOT / "src/battkomp/engine/data/classifications/styrk08.csv").open(
        encoding="utf-8"
    ) as f:
        sources = {r["source"] for r in csv.DictReader(f)}
    assert len(sources) == 1
    assert "Klass 7" in (source := sources.pop())
    assert "statisticsnorway/klass-web" in source


@pytest.mark.parametrize("code", ["9999", "abc;DROP", "813"])
def test_an_unknown_styrk08_code_of_a_pool_is_refused(tmp_path: Path, code: str) -> None:
    bundle = _demo_copy(tmp_path)
    _set_cell(bundle / "retraining_pools.csv", 0, "source_occupation", code)
    problem = _only(check_bundle(bundle), "unknown_classification_code")
    en = problem.message("en")
    assert en.startswith("demo/retraining_pools.csv, row 2, column 'source_occupation': ")
    assert f"'{code}' is not a STYRK-08 code" in en
    assert "er ikke en STYRK-08-kode" in problem.message("nb")


def test_an_unknown_styrk08_code_of_a_role_is_refused(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "overrides": [
                {
                    "table": "roles",
                    "key": "process_operator",
                    "column": "styrk08",
                    "value": "9999",
                    "source": "assumption: test",
                }
            ]
        },
    )
    problem = _only(check_bundle(folder), "unknown_classification_code")
    assert problem.location.file == "b/overrides.csv"


# ------------------------------------------------------------------------------ stray files


@pytest.mark.parametrize("name", ["survey_needs.CSV", "workbook.xlsx"])
def test_a_table_given_twice_is_an_error_not_one_silently_winning(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    bundle = _demo_copy(tmp_path)
    if name.endswith(".xlsx"):
        wb = openpyxl.Workbook()
        wb.active.title = "survey_needs"
        wb.active.append(["organisation"])
        wb.save(bundle / name)
    else:
        shutil.copy(bundle / "survey_needs.csv", bundle / name)
    problem = _only(check_bundle(bundle), "duplicate_table")
    files = {problem.location.file, problem.params["other"]}
    assert files == {"demo/survey_needs.csv", f"demo/{name}"}
    assert "is given twice" in problem.message("en")
    assert "er gitt to ganger" in problem.message("nb")
    code, output = _check(runner, bundle)
    assert code == 2
    assert "survey_needs' is given twice" in output


@pytest.mark.parametrize("name", ["survey_needs.xls", "survey_needs.txt", "notes.docx"])
def test_a_file_that_is_not_a_table_is_an_error_not_ignored(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    bundle = _demo_copy(tmp_path)
    (bundle / "survey_needs.csv").rename(bundle / name)
    problem = _only(check_bundle(bundle), "unknown_file")
    assert problem.location.file == f"demo/{name}"
    assert "not a bundle file" in problem.message("en")
    assert "ikke en fil i en inndatapakke" in problem.message("nb")
    code, output = _check(runner, bundle)
    assert code == 2
    assert f"demo/{name}" in output


def test_a_readme_hidden_files_and_lock_files_are_allowed(tmp_path: Path) -> None:
    bundle = _demo_copy(tmp_path)
    for name in ("README.txt", ".DS_Store", "~$facilities.xlsx"):
        (bundle / name).write_bytes(b"x")
    assert check_bundle(bundle) == []


# ------------------------------------------------------------------------------ size


def test_a_file_above_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    with (folder / "survey_needs.csv").open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    problem = _only(check_bundle(folder), "too_large")
    assert problem.location.file == "b/survey_needs.csv"


def test_a_table_of_garbage_stops_after_the_problem_cap(tmp_path: Path) -> None:
    rows = [plan("f1", BASE_YEAR, -1) for _ in range(5000)]
    folder = plant_bundle(tmp_path / "b", [facility("f1")], rows)
    problems = check_bundle(folder)
    assert 200 <= len(problems) <= 202
    assert "too_many_problems" in _codes(problems)


# ------------------------------------------------------------------------------ draws


def test_a_huge_number_of_draws_is_refused_up_front(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    result = runner.invoke(main, ["model", "run", "--draws", "1000000000", "-o", str(out)])
    assert result.exit_code == 2
    assert "--draws: 1 000 000 000 draws is more than the model accepts (100 000" in result.output
    assert not out.exists()


def test_draws_that_do_not_fit_in_memory_are_refused_from_an_estimate(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    # the module, not the function battkomp.engine.run_model
    run_module = importlib.import_module("battkomp.engine.run_model")
    monkeypatch.setattr(run_module, "available_memory", lambda: 1 * 2**30)
    out = tmp_path / "out.xlsx"
    result = runner.invoke(
        main, ["model", "run", "--draws", "100000", "-o", str(out), "--lang", "nb"]
    )
    assert result.exit_code == 2
    assert "--draws: 100 000 trekninger ville trenge om lag" in result.output
    assert "1.0 GB ledig" in result.output
    assert not out.exists()

    with pytest.raises(BundleError) as caught:
        run_model(None, "mid", draws=100_000)
    fits = int(caught.value.problems[0].params["fits"].replace(" ", ""))  # type: ignore[union-attr]
    assert 0 < fits < 100_000


# ------------------------------------------------------------------------------ output


_KILL_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import battkomp.engine.results as results
    from battkomp.engine import run_model

    results._exchange = lambda a, b: False  # the fallback: two renames
    real_rename = os.rename
    def rename(a, b):
        real_rename(a, b)
        if str(b).endswith(".old"):
            os._exit(9)  # killed between the two renames
    results.os.rename = rename
    run_model(None, "mid", draws=20, seed=1).export(Path(sys.argv[1]), "csv")
    """
)


def test_a_run_killed_between_the_two_renames_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results"
    first = run_model(None, "mid", draws=20, seed=0)
    first.export(out, "csv")
    before = (out / "totals.csv").read_bytes()

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_BETWEEN_RENAMES, str(out)], env=env, check=False
    )
    assert killed.returncode == 9
    assert not out.exists()  # the moment of the kill: the earlier result is set aside, complete
    assert (tmp_path / ".results.old" / "totals.csv").read_bytes() == before
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the new, orphaned

    recover_output(out)  # what the next run does first
    assert (out / "totals.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]

    run_model(None, "mid", draws=20, seed=2).export(out, "csv")
    assert (out / "totals.csv").read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_orphaned_temporary_files_of_dead_runs_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    orphan = tmp_path / f".res.xlsx.{dead}.abcd1234.tmp"
    orphan.write_bytes(b"half a workbook")
    live = tmp_path / f".res.xlsx.{os.getpid()}.abcd1234.tmp"
    live.write_bytes(b"being written")
    run_model(None, "mid", draws=20).export(tmp_path / "res.xlsx")
    assert not orphan.exists()
    assert live.exists()  # a live process may be writing it


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_results_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    result = run_model(None, "mid", draws=20)
    old = os.umask(umask)
    try:
        xlsx = result.export(tmp_path / "r.xlsx")
        folder = result.export(tmp_path / "r", "csv")
    finally:
        os.umask(old)
    assert xlsx.stat().st_mode & 0o777 == mode
    assert (folder / "totals.csv").stat().st_mode & 0o777 == mode
    assert folder.stat().st_mode & 0o777 == mode | ((mode & 0o444) >> 2)
