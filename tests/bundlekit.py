"""Write small input bundles (folders of CSV files) for the tests, and run the model on them.

>>> facility("f1")["segment"]
'cell_manufacturing'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from battkomp.engine.bundle import DATA_DIR, Inputs, load_inputs
from battkomp.engine.model import Compiled, Flows, compile_inputs, national_flows
from battkomp.engine.montecarlo import expected_draw
from battkomp.engine.results import ModelResult

BASE_YEAR = 2026
END_YEAR = 2040
YEARS = np.arange(BASE_YEAR, END_YEAR + 1)

Row = Mapping[str, object]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path: Path, rows: Sequence[Row], columns: Sequence[str] | None = None) -> Path:
    """Write rows as a comma-separated UTF-8 file; ``columns`` default to the keys in order."""
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])
    return path


def write_bundle(folder: Path, tables: Mapping[str, Sequence[Row]]) -> Path:
    """A bundle folder with one ``<table>.csv`` per non-empty entry of ``tables``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if rows:
            write_csv(folder / f"{name}.csv", rows)
    return folder


def default_rows(table: str) -> list[dict[str, str]]:
    """The rows of a shipped default table, as text."""
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def facility(
    fid: str,
    *,
    segment: str = "cell_manufacturing",
    region: str = "42",
    start_year: int = BASE_YEAR,
    probability: float | None = 1.0,
    delay: tuple[int | None, int | None, int | None] = (0, 0, 0),
    organisation: str = "org_test",
    intensity: float | None = None,
    status: str = "fid",
    share: tuple[float, float, float] | None = (1.0, 1.0, 1.0),
) -> dict[str, object]:
    """A facilities row: built in full when realised unless ``share`` (low, mode, high of the
    built share) says otherwise; None leaves the share and its status default."""
    return {
        "id": fid,
        "organisation": organisation,
        "name": f"Plant {fid}",
        "segment": segment,
        "region": region,
        "status": status,
        "start_year": start_year,
        "realisation_probability": probability,
        "delay_min": delay[0],
        "delay_mode": delay[1],
        "delay_max": delay[2],
        "share_low": None if share is None else share[0],
        "share_mode": None if share is None else share[1],
        "share_high": None if share is None else share[2],
        "intensity": intensity,
        "source": "synthetic test data",
    }


def plan(fid: str, year: int, capacity: float) -> dict[str, object]:
    """A capacity_plans row."""
    return {"facility": fid, "year": year, "capacity": capacity, "source": "synthetic test data"}


def plant_bundle(
    folder: Path,
    facilities: Iterable[Row],
    plans: Iterable[Row],
    **more: Sequence[Row],
) -> Path:
    """A bundle with the given facilities and capacity plans (and any further tables)."""
    return write_bundle(
        folder, {"facilities": list(facilities), "capacity_plans": list(plans), **more}
    )


def load(folder: Path | None, scenario: str | None = None) -> Inputs:
    return load_inputs(folder, scenario)


def central(folder: Path | None, scenario: str | None = None) -> tuple[Compiled, Flows]:
    """The compiled model and its central (expected-value) national flows."""
    cm = compile_inputs(load_inputs(folder, scenario))
    return cm, national_flows(cm, expected_draw(cm))


def cell_index(cm: Compiled, level: str, area: str) -> int:
    """The national cell of a level and an area (``c = level * A + area``)."""
    return cm.tax.levels.index(level) * len(cm.tax.areas) + cm.tax.areas.index(area)


def year_index(cm: Compiled, year: int) -> int:
    return int(year - cm.years[0])


def assert_results_identical(a: ModelResult, b: ModelResult) -> None:
    """Every frame of two results holds the same values bit for bit, and the metadata agree."""
    assert list(a.frames) == list(b.frames)
    for name, fa in a.frames.items():
        fb = b.frames[name]
        assert fa.schema == fb.schema, name
        assert fa.height == fb.height, name
        for column in fa.columns:
            sa, sb = fa[column], fb[column]
            if sa.dtype.is_numeric():
                assert sa.to_numpy().tobytes() == sb.to_numpy().tobytes(), (name, column)
            else:
                assert sa.to_list() == sb.to_list(), (name, column)
    assert dict(a.meta) == dict(b.meta)
