"""The backtest (issue 14, section 6): the October 2021 Norwegian vintage against 2024-2025."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from battkomp.cli import main
from battkomp.engine.backtest import NORWAY_2021, NORWAY_OUTCOMES, run_backtest
from battkomp.engine.bundle import BundleError, load_inputs
from bundlekit import default_rows


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return run_backtest(draws=2000, seed=3)


def test_the_vintage_uses_the_shipped_status_defaults_and_only_2021_plants() -> None:
    fac = load_inputs(NORWAY_2021)["facilities"]
    risk = ["realisation_probability", "delay_min", "delay_mode", "delay_max"]
    assert fac.select(pl.all_horizontal(pl.col(risk).is_null())).to_series().all()
    # Elinor was founded in 2023: not known in October 2021
    assert "elinor" not in " ".join(fac["id"].to_list())
    assert set(fac["status"]) <= {"announced", "construction", "operating"}


def test_every_outcome_gets_a_band_from_the_draws(result) -> None:  # type: ignore[no-untyped-def]
    table = result.table
    with NORWAY_OUTCOMES.open(encoding="utf-8") as fh:
        assert table.height == len(list(csv.DictReader(fh)))
    assert (table["p10"] <= table["p50"]).all()
    assert (table["p50"] <= table["p90"]).all()
    inside = (table["outcome"] >= table["p10"] - 1e-9) & (table["outcome"] <= table["p90"] + 1e-9)
    assert (inside == table["inside_band"]).all()
    assert table["source"].str.len_chars().min() > 10  # type: ignore[operator]


def test_a_segment_forecast_is_the_sum_of_its_facilities(result) -> None:  # type: ignore[no-untyped-def]
    t = result.table.filter((pl.col("measure") == "capacity") & (pl.col("year") == 2025))
    seg = t.filter(pl.col("facility").is_null() & (pl.col("segment") == "cell_manufacturing"))
    cells = t.filter(pl.col("facility").is_in(["morrow_arendal", "freyr_giga_arctic"]))
    beyonder = t.filter(pl.col("facility") == "beyonder_rogaland")
    assert seg["mean"][0] == pytest.approx(cells["mean"].sum() + beyonder["mean"][0])


def test_the_2021_pipeline_was_far_above_what_was_built(result) -> None:  # type: ignore[no-untyped-def]
    assert result.meta["announced_cell_capacity"] == 85.0
    seg = result.table.filter(
        pl.col("facility").is_null() & (pl.col("measure") == "capacity") & (pl.col("year") == 2025)
    ).row(0, named=True)
    # even with the reference-class defaults, the expected capacity is several times what exists
    assert seg["mean"] > 3 * seg["outcome"]


def test_the_backtest_does_not_use_norwegian_outcomes_for_its_defaults() -> None:
    for row in default_rows("facility_status"):
        for name in ("Morrow", "Freyr", "FREYR", "Beyonder", "Elinor", "Hydrovolt", "Vianode"):
            assert name not in row["source"]


def test_backtest_command_prints_and_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "bt.csv"
    ran = CliRunner().invoke(
        main, ["model", "backtest", "--draws", "300", "-o", str(out), "--lang", "en"]
    )
    assert ran.exit_code == 0, ran.output
    assert "Backtest: norway_2021_10" in ran.output
    assert "2025:" in ran.output
    assert "inside the P10–P90 band" in ran.output
    # facilities and segments by name, not code
    assert "Morrow" in ran.output
    assert "morrow_arendal" not in ran.output
    assert "cell_manufacturing" not in ran.output
    written = pl.read_csv(out)
    assert {"year", "outcome", "p10", "p50", "p90", "inside_band"} <= set(written.columns)
    nb = CliRunner().invoke(
        main, ["model", "backtest", "--draws", "50", "-o", str(tmp_path / "b.xlsx"), "--lang", "nb"]
    )
    assert nb.exit_code == 0, nb.output
    assert "Tilbaketest" in nb.output
    assert (tmp_path / "b.xlsx").exists()


def test_a_bad_outcomes_file_names_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "outcomes.csv"
    bad.write_text(
        "year,facility,segment,measure,value,source\n"
        "2025,morrow_arendal,cell_manufacturing,jobs,180,x\n"
        "2025,nowhere,cell_manufacturing,staff,many,x\n",
        encoding="utf-8",
    )
    with pytest.raises(BundleError) as err:
        run_backtest(outcomes=bad, draws=10)
    messages = err.value.messages("en")
    assert any("row 2" in m and "measure" in m for m in messages)
    assert any("row 3" in m and "value" in m for m in messages)
    ran = CliRunner().invoke(
        main, ["model", "backtest", "--outcomes", str(bad), "--draws", "10", "--lang", "nb"]
    )
    assert ran.exit_code == 2
    assert "rad 3" in ran.output
