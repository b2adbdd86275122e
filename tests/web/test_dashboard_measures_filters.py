"""The measures view follows the level and competence-area filters."""

from __future__ import annotations

from typing import Any

import polars as pl

from battkomp.analysis.dashboards.public_rows import measure_gap_rows, measure_supply_rows

STATS = {"mean": pl.Float64, "p10": pl.Float64, "p50": pl.Float64, "p90": pl.Float64}


class Snapshot:
    """A stand-in for a Publication: protected tables by name."""

    def __init__(self, tables: dict[str, pl.DataFrame]) -> None:
        self.tables = tables

    def table(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def table_names(self) -> list[str]:
        return list(self.tables)


def _frame(key: str | None, rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    keys = ["year"] + ([key] if key else []) + ["metric"]
    data = [
        dict(zip(keys, r[:-1], strict=True), mean=r[-1], p10=r[-1], p50=r[-1], p90=r[-1])
        for r in rows
    ]
    schema = {"year": pl.Int64, **({key: pl.Utf8} if key else {}), "metric": pl.Utf8, **STATS}
    return pl.DataFrame(data, schema=schema).with_columns(pl.lit(False).alias("suppressed"))


def snapshot() -> Snapshot:
    totals = _frame(None, [(2030, "gap", 10.0), (2030, "gap_without_measures", 30.0)])
    by_level = _frame(
        "level",
        [
            (2030, "nkr5", "gap", 4.0),
            (2030, "nkr5", "gap_without_measures", 9.0),
            (2030, "nkr4", "gap", 6.0),
            (2030, "nkr4", "gap_without_measures", 21.0),
        ],
    )
    by_area = _frame(
        "area",
        [
            (2030, "electrode_manufacturing", "gap", 3.0),
            (2030, "electrode_manufacturing", "gap_without_measures", 13.0),
            (2030, "cell_assembly", "gap", 2.0),
            (2030, "cell_assembly", "gap_without_measures", 5.0),
            (2030, "cell_design", "gap", 5.0),
            (2030, "cell_design", "gap_without_measures", 12.0),
        ],
    )
    effects = pl.DataFrame(
        {
            "measure": ["m1", "m1", "m2"],
            "year": [2030, 2030, 2030],
            "level": ["nkr5", "nkr5", "nkr4"],
            "area": ["electrode_manufacturing", "cell_assembly", "cell_design"],
            "supply": [10.0, 3.0, 7.0],
            "suppressed": [False, False, False],
        }
    )
    return Snapshot(
        {"totals": totals, "by_level": by_level, "by_area": by_area, "measure_effects": effects}
    )


def _gap(rows: pl.DataFrame) -> dict[str, float]:
    return dict(rows.select("metric", "mean").rows())


def test_without_filters_the_gap_is_national_and_every_measure_counts() -> None:
    p = snapshot()
    assert _gap(measure_gap_rows(p, {})) == {"gap": 10.0, "gap_without_measures": 30.0}
    supply = dict(measure_supply_rows(p, {}).select("measure", "supply").rows())
    assert supply == {"m1": 13.0, "m2": 7.0}


def test_a_level_narrows_the_gap_and_the_measures_to_that_level() -> None:
    p = snapshot()
    f = {"level": "nkr5"}
    assert _gap(measure_gap_rows(p, f)) == {"gap": 4.0, "gap_without_measures": 9.0}
    assert measure_supply_rows(p, f).select("measure", "supply").rows() == [("m1", 13.0)]


def test_an_area_or_a_group_narrows_them_to_those_areas() -> None:
    p = snapshot()
    one = {"group": "cell_design"}
    assert _gap(measure_gap_rows(p, one)) == {"gap": 5.0, "gap_without_measures": 12.0}
    assert measure_supply_rows(p, one).select("measure", "supply").rows() == [("m2", 7.0)]
    from battkomp.core.codes import taxonomy

    group = taxonomy().area_parent["electrode_manufacturing"]
    members = {a for a, g in taxonomy().area_parent.items() if g == group}
    f = {"group": group}
    expected_gap = sum(
        v
        for a, v in (("electrode_manufacturing", 3.0), ("cell_assembly", 2.0), ("cell_design", 5.0))
        if a in members
    )
    assert _gap(measure_gap_rows(p, f))["gap"] == expected_gap
    supply = dict(measure_supply_rows(p, f).select("measure", "supply").rows())
    assert supply["m1"] == 10.0 + (3.0 if "cell_assembly" in members else 0.0)
