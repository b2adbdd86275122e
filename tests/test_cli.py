"""The `battkomp model` commands, used as a person would: through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from battkomp.cli import main
from battkomp.engine.bundle import demo_bundle_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _bad_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bad"
    shutil.copytree(demo_bundle_path(), bundle)
    plans = (bundle / "capacity_plans.csv").read_text(encoding="utf-8").splitlines()
    # row 2 of the file: make the capacity negative
    cells = plans[1].split(",")
    cells[2] = "-5"
    plans[1] = ",".join(cells)
    (bundle / "capacity_plans.csv").write_text("\n".join(plans) + "\n", encoding="utf-8")
    fac = (bundle / "facilities.csv").read_text(encoding="utf-8")
    (bundle / "facilities.csv").write_text(
        fac.replace(",cell_manufacturing,", ",cell_manufacture,", 1), encoding="utf-8"
    )
    return bundle


def test_it_runs_the_demo_and_writes_a_workbook(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "res.xlsx"
    result = runner.invoke(main, ["model", "run", "--draws", "60", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "National competence gap" in result.output
    assert "Time squeeze" in result.output
    assert "synthetic" in result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"meta", "national", "totals", "time_squeeze", "drivers", "detail"} <= set(wb.sheetnames)
    meta = {r[0]: r[1] for r in wb["meta"].iter_rows(min_row=2, values_only=True)}
    assert meta["scenario"] == "mid"
    assert meta["draws"] == "60"
    assert len(str(meta["input_hash"])) == 64


def test_it_prints_the_table_in_bokmal(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["model", "run", "--draws", "20", "-o", str(tmp_path / "r.xlsx"), "--lang", "nb"]
    )
    assert result.exit_code == 0, result.output
    assert "Nasjonalt kompetansegap" in result.output
    assert "Batteritidsklemma" in result.output


def test_it_writes_csv_and_parquet_folders(runner: CliRunner, tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"out-{fmt}"
        result = runner.invoke(
            main, ["model", "run", "--draws", "20", "-q", "-o", str(out), "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        totals = (
            pl.read_csv(out / "totals.csv")
            if fmt == "csv"
            else pl.read_parquet(out / "totals.parquet")
        )
        assert {"year", "metric", "mean", "p10", "p50", "p90"} <= set(totals.columns)


@pytest.mark.parametrize("option", ["--workers", "--threads"])
def test_it_gives_the_same_numbers_with_two_workers_or_threads(
    runner: CliRunner, tmp_path: Path, option: str
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for out, workers in ((one, "1"), (two, "2")):
        result = runner.invoke(
            main,
            [
                "model",
                "run",
                "--draws",
                "600",
                "--seed",
                "3",
                "-q",
                "-o",
                str(out),
                "--format",
                "parquet",
                option,
                workers,
            ],
        )
        assert result.exit_code == 0, result.output
    for name in ("national", "totals", "drivers"):
        assert pl.read_parquet(one / f"{name}.parquet").equals(
            pl.read_parquet(two / f"{name}.parquet")
        )


def test_it_rejects_a_bad_bundle_with_exit_code_2_and_every_problem(
    runner: CliRunner, tmp_path: Path
) -> None:
    bundle = _bad_bundle(tmp_path)
    out = tmp_path / "never.xlsx"
    result = runner.invoke(
        main,
        [
            "model",
            "run",
            "--bundle",
            str(bundle),
            "--scenario",
            "mid",
            "-o",
            str(out),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 2
    assert "capacity_plans.csv, row 2, column 'capacity': -5 is negative" in result.output
    assert "facilities.csv, row 2, column 'segment'" in result.output
    assert "did you mean 'cell_manufacturing'" in result.output
    assert not out.exists()


def test_check_lists_problems_in_bokmal(runner: CliRunner, tmp_path: Path) -> None:
    bundle = _bad_bundle(tmp_path)
    result = runner.invoke(main, ["model", "check", str(bundle), "--lang", "nb"])
    assert result.exit_code == 2
    assert "capacity_plans.csv, rad 2, kolonne «capacity»: -5 er negativ" in result.output
    assert "2 problem(er) funnet" in result.output


def test_check_passes_the_demo_bundle(runner: CliRunner) -> None:
    result = runner.invoke(main, ["model", "check", str(demo_bundle_path()), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_check_reports_a_missing_path(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["model", "check", str(tmp_path / "nowhere"), "--lang", "en"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_template_workbook_can_be_filled_in_and_run(runner: CliRunner, tmp_path: Path) -> None:
    template = tmp_path / "bundle.xlsx"
    result = runner.invoke(main, ["model", "template", str(template)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(template)
    assert {"instructions", "codes", "facilities", "capacity_plans", "survey_needs"} <= set(
        wb.sheetnames
    )
    # the segment column has a dropdown bound to the code list
    ws = wb["facilities"]
    header = [c.value for c in ws[1]]
    assert any(dv.sqref and dv.type == "list" for dv in ws.data_validations.dataValidation)
    row = {
        "id": "plant",
        "organisation": "acme",
        "name": "Plant",
        "segment": "cell_manufacturing",
        "region": "42",
        "status": "announced",
        "start_year": 2028,
        "realisation_probability": 1,
        # no delay and the whole plan built (blank: the announced status's defaults)
        "delay_min": 0,
        "delay_mode": 0,
        "delay_max": 0,
        "share_low": 1,
        "share_mode": 1,
        "share_high": 1,
    }
    ws.append([row.get(h) for h in header])
    plans = wb["capacity_plans"]
    plans.append(["plant", 2028, 10])
    wb.save(template)
    checked = runner.invoke(main, ["model", "check", str(template), "--lang", "en"])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "r"
    ran = runner.invoke(
        main,
        [
            "model",
            "run",
            "--bundle",
            str(template),
            "--draws",
            "20",
            "-q",
            "-o",
            str(out),
            "--format",
            "csv",
        ],
    )
    assert ran.exit_code == 0, ran.output
    totals = pl.read_csv(out / "totals.csv")
    jobs_2035 = totals.filter((pl.col("metric") == "headcount") & (pl.col("year") == 2035))
    # 10 GWh × 140 jobs/GWh (the default cell intensity) at ramp year 8 = 1 400 in expectation
    assert 900 < jobs_2035["mean"][0] < 1900


def test_template_csv_folder_checks_clean(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    assert runner.invoke(main, ["model", "template", str(folder)]).exit_code == 0
    assert (folder / "facilities.csv").read_text(encoding="utf-8").startswith("id,organisation,")
    assert runner.invoke(main, ["model", "check", str(folder)]).exit_code == 0


def test_a_failed_write_keeps_the_earlier_result(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "res.xlsx"
    assert (
        runner.invoke(main, ["model", "run", "--draws", "20", "-q", "-o", str(out)]).exit_code == 0
    )
    before = out.read_bytes()

    import battkomp.engine.results as results

    def broken(frames: object, path: Path) -> None:
        path.write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results, "_write_xlsx", broken)
    result = runner.invoke(
        main, ["model", "run", "--draws", "20", "-q", "-o", str(out), "--lang", "en"]
    )
    assert result.exit_code == 2
    assert "No space left on device" in result.output
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["res.xlsx"]


def test_scenario_and_weighted_together_are_refused(runner: CliRunner) -> None:
    result = runner.invoke(main, ["model", "run", "--scenario", "low", "--weighted"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_the_table_centres_the_shortage_on_its_median_and_shows_the_conditional_views(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Decision 31 on the command line: the shortage's centre is the median inside its band, the
    driver table is named by what it lists, and the firm base and P(shortage > x) are printed."""
    out = tmp_path / "r"
    result = runner.invoke(
        main,
        ["model", "run", "--draws", "250", "-o", str(out), "--format", "csv", "--lang", "en"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "Shortage, median (P10–P90)" in result.output
    assert "Spearman" not in result.output
    assert "Firm base only" in result.output
    assert "exceeds: 0: 100.0" in result.output
    totals = pl.read_csv(out / "totals.csv").filter(pl.col("metric") == "shortage")
    line = next(ln for ln in result.output.splitlines() if ln.startswith("│ 2030 "))
    r = totals.filter(pl.col("year") == 2030).row(0, named=True)
    assert f"{r['p50']:,.0f} ({r['p10']:,.0f}–{r['p90']:,.0f})" in line


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_driver_table_names_the_drivers_with_their_codes_beside(
    tmp_path: Path, lang: str
) -> None:
    """The drivers of the uncertainty are named by the terminology source in the chosen
    language ("Whether the plant is built: Giga Arctic, Mo i Rana"), the code beside the name.
    Run as a user runs it (a process of its own, without the web platform's settings), so
    Django is set up only to read the catalogue."""
    import os
    import subprocess
    import sys

    from django.utils import translation

    from battkomp.core.terms import driver_name

    out = tmp_path / "r"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["COLUMNS"] = "250"
    command = [sys.executable, "-m", "battkomp.cli", "model", "run", "--draws", "200"]
    command += ["-o", str(out), "--format", "csv", "--lang", lang]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    conditional = pl.read_csv(out / "conditional.csv").drop_nulls("facility")
    facilities = dict(zip(conditional["facility"], conditional["facility_name"], strict=True))
    drivers = pl.read_csv(out / "drivers.csv").head(5)
    assert drivers.height
    lines = done.stdout.splitlines()
    header = next(ln for ln in lines if "S₁" in ln and "Δ" in ln and "┃" in ln)
    assert ("Code" if lang == "en" else "Kode") in header
    with translation.override(lang):
        for code in drivers["driver"]:
            name = driver_name(code, facilities)
            assert name != code
            assert ":" not in code or name.split(": ")[-1] != code.split(":")[-1], name
            row = next(ln for ln in lines if f" {code} " in ln)
            cells = [c.strip() for c in row.split("│")]
            assert cells[2] == name, row  # the name in the driver column, the code at the end
            assert cells[-2] == code, row
