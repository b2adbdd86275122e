"""Exporting results: an .xlsx workbook, a folder of CSV files or of Parquet files, written
atomically so that a failed export leaves nothing half-written behind."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from battkomp.engine import ModelResult, run_model
from battkomp.engine import results as results_module


@pytest.fixture(scope="module")
def result() -> ModelResult:
    return run_model(None, scenario="mid", draws=20, seed=4)


@pytest.fixture(scope="module")
def workbook(result: ModelResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result exported once as a workbook (writing one takes a few seconds)."""
    return result.export(tmp_path_factory.mktemp("xlsx") / "results.xlsx")


def _listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists as '; '-joined text, as CSV and Excel exports write them."""
    return df.with_columns(
        [pl.col(c).list.join("; ") for c, dt in df.schema.items() if isinstance(dt, pl.List)]
    )


# ------------------------------------------------------------------------------------- XLSX


def test_it_exports_a_workbook_with_a_sheet_per_frame_and_a_meta_sheet(
    result: ModelResult, workbook: Path
) -> None:
    wb = openpyxl.load_workbook(workbook, read_only=True)
    try:
        assert wb.sheetnames == ["meta", *result.frames]
        meta = {row[0]: row[1] for row in wb["meta"].iter_rows(min_row=2, values_only=True)}
    finally:
        wb.close()
    assert meta["input_hash"] == result.meta["input_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", str(meta["input_hash"]))
    assert str(meta["seed"]) == "4"
    assert meta["battkomp_version"] == result.meta["battkomp_version"]


def test_numbers_in_the_workbook_are_numbers_equal_to_the_frame(
    result: ModelResult, workbook: Path
) -> None:
    frame = result["totals"]

    wb = openpyxl.load_workbook(workbook, read_only=True)
    try:
        rows = list(wb["totals"].iter_rows(values_only=True))
    finally:
        wb.close()

    header, body = rows[0], rows[1:]
    assert list(header) == frame.columns
    assert len(body) == frame.height
    for sheet_row, frame_row in zip(body, frame.iter_rows(), strict=True):
        for cell, value in zip(sheet_row, frame_row, strict=True):
            if isinstance(value, (int, float)):
                assert isinstance(cell, (int, float)), (header, sheet_row)
                assert cell == pytest.approx(value, rel=1e-12, abs=1e-12)
            else:
                assert cell == value


def test_list_cells_are_written_as_joined_text_in_the_workbook(
    result: ModelResult, workbook: Path
) -> None:
    squeeze = _flat(result["time_squeeze"])
    column = squeeze.columns.index("levers_in_time")

    wb = openpyxl.load_workbook(workbook, read_only=True)
    try:
        written = [row[column] for row in wb["time_squeeze"].iter_rows(min_row=2, values_only=True)]
    finally:
        wb.close()

    # an empty list is an empty cell
    assert written == [v or None for v in squeeze["levers_in_time"].to_list()]
    assert any(v and ";" in v for v in written)  # some cells really hold several levers


# ------------------------------------------------------------------------------ CSV, Parquet


def test_it_exports_a_csv_folder_that_reads_back_as_the_frames(
    result: ModelResult, tmp_path: Path
) -> None:
    folder = result.export(tmp_path / "results", "csv")

    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{n}.csv" for n in ["meta", *result.frames]
    )
    for name, frame in result.frames.items():
        expected = _flat(frame)
        back = pl.read_csv(folder / f"{name}.csv", schema=expected.schema)
        assert_frame_equal(back, expected, check_exact=True)
    meta = pl.read_csv(folder / "meta.csv")
    assert dict(meta.iter_rows())["input_hash"] == result.meta["input_hash"]


def test_it_exports_a_parquet_folder_that_reads_back_as_the_frames(
    result: ModelResult, tmp_path: Path
) -> None:
    folder = result.export(tmp_path / "results.parquet")

    assert folder == (tmp_path / "results").resolve()
    for name, frame in result.frames.items():
        assert_frame_equal(pl.read_parquet(folder / f"{name}.parquet"), frame, check_exact=True)
    assert_frame_equal(pl.read_parquet(folder / "meta.parquet"), result.meta_frame())


def test_exporting_again_replaces_the_folder_whole(result: ModelResult, tmp_path: Path) -> None:
    folder = result.export(tmp_path / "results", "csv")
    (folder / "stale.csv").write_text("left over from an older run\n")

    again = result.export(tmp_path / "results", "csv")

    assert again == folder
    assert not (folder / "stale.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


# ---------------------------------------------------------------------------- failed exports


def test_a_failed_workbook_export_keeps_the_earlier_workbook_intact(
    result: ModelResult, workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.xlsx"
    shutil.copyfile(workbook, path)
    before = _listing(tmp_path)

    def half_written(frames: Any, target: Path) -> None:
        target.write_bytes(b"PK\x03\x04 half a workbook")
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(results_module, "_write_xlsx", half_written)
    with pytest.raises(OSError, match="disk full"):
        result.export(path)

    assert _listing(tmp_path) == before
    openpyxl.load_workbook(path, read_only=True).close()  # still a good workbook


def test_a_failed_first_workbook_export_leaves_no_file(
    result: ModelResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_written(frames: Any, target: Path) -> None:
        target.write_bytes(b"garbage")
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(results_module, "_write_xlsx", half_written)
    with pytest.raises(OSError, match="disk full"):
        result.export(tmp_path / "results.xlsx")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("fmt", "writer"), [("csv", "write_csv"), ("parquet", "write_parquet")])
def test_a_failed_folder_export_keeps_the_earlier_folder_intact(
    result: ModelResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    writer: str,
) -> None:
    result.export(tmp_path / "results", fmt)  # type: ignore[arg-type]
    before = _listing(tmp_path)
    real = getattr(pl.DataFrame, writer)
    calls = []

    def fails_midway(self: pl.DataFrame, file: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(file)
        if len(calls) == 3:
            Path(file).write_bytes(b"half a file")
            msg = "disk full"
            raise OSError(msg)
        return real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, writer, fails_midway)
    with pytest.raises(OSError, match="disk full"):
        result.export(tmp_path / "results", fmt)  # type: ignore[arg-type]

    assert len(calls) == 3  # two frames were written before the failure
    assert _listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_text_that_looks_like_a_formula_or_a_link_stays_text_in_the_workbook(
    tmp_path: Path,
) -> None:
    frame = pl.DataFrame(
        {"text": ["=1+1", "http://example.org", "@SUM(A1)"], "number": [1.25, None, 3.0]}
    )
    path = tmp_path / "t.xlsx"
    results_module._write_xlsx({"odd": frame}, path)

    wb = openpyxl.load_workbook(path)
    try:
        ws = wb["odd"]
        cells = [(c.value, c.data_type) for c in ws["A"][1:]]
        numbers = [c.value for c in ws["B"][1:]]
        links = [c.hyperlink for c in ws["A"][1:]]
        header = [c.value for c in ws[1]]
        bold = ws["A1"].font.b
    finally:
        wb.close()
    assert cells == [("=1+1", "s"), ("http://example.org", "s"), ("@SUM(A1)", "s")]
    assert links == [None, None, None]
    assert numbers == [1.25, None, 3.0]
    assert header == ["text", "number"]
    assert bold
