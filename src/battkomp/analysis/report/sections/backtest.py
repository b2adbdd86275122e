"""The backtest in the method section: what the method, with the same defaults, would have said
with the Norwegian pipeline as known in October 2021, against what happened (a fixed result of the
engine's shipped data, the same for every publication)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.report.common import number_text
from battkomp.analysis.report.structure import Builder, Section, Year
from battkomp.core.charts import render_svg
from battkomp.core.codes import label


@lru_cache(maxsize=1)
def _backtest() -> Any:
    """The shipped backtest (Norway, October 2021, against 2024-2025), run once per process: a
    fixed result of the engine's shipped data, the same for every publication."""
    from battkomp.engine.backtest import run_backtest

    return run_backtest(draws=2000, seed=0)


def backtest_spec(table: pl.DataFrame) -> dict[str, Any]:
    """Forecast band (P10–P90 as a bar, P50 as a tick) against the outcome (a point) for each
    segment-level outcome of the backtest, one panel per measure."""
    panels = []
    for measure, title in (
        ("capacity", gettext("Cell capacity in place (GWh)")),
        ("staff", gettext("Cell-manufacturing staff")),
    ):
        rows = [
            {
                "label": f"{r['year']}",
                "p10": r["p10"],
                "p50": r["p50"],
                "p90": r["p90"],
                "outcome": r["outcome"],
            }
            for r in table.filter(
                pl.col("facility").is_null() & (pl.col("measure") == measure)
            ).iter_rows(named=True)
        ]
        if not rows:
            continue
        y = {"field": "label", "type": "ordinal", "title": gettext("Year")}
        panels.append(
            {
                "title": title,
                "width": 440,
                "height": 28 * len(rows),
                "data": {"values": rows},
                "layer": [
                    {
                        "mark": {"type": "bar", "opacity": 0.3, "color": "#1f5f8b", "height": 14},
                        "encoding": {
                            "y": y,
                            "x": {"field": "p10", "type": "quantitative", "title": None},
                            "x2": {"field": "p90"},
                        },
                    },
                    {
                        "mark": {"type": "tick", "color": "#1f5f8b", "thickness": 2},
                        "encoding": {"y": y, "x": {"field": "p50", "type": "quantitative"}},
                    },
                    {
                        "mark": {
                            "type": "point",
                            "shape": "diamond",
                            "filled": True,
                            "size": 90,
                            "color": "#b3261e",
                        },
                        "encoding": {"y": y, "x": {"field": "outcome", "type": "quantitative"}},
                    },
                ],
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "vconcat": panels,
        "config": {"view": {"stroke": None}, "font": "sans-serif"},
    }


def backtest_blocks(b: Builder, method: Section) -> None:
    """The method section's backtest: what the method would have said in October 2021, against
    what happened."""
    result = _backtest()
    table: pl.DataFrame = result.table
    year = max(int(y) for y in table["year"].to_list())
    last = table.filter(pl.col("year") == year)
    segment = last.filter(pl.col("facility").is_null())
    method.blocks.append(("h", gettext("Backtest")))
    method.blocks.append(
        (
            "p",
            gettext(
                "Backtest. The same method, with the same defaults, was run on the Norwegian "
                "pipeline as it was known in October 2021, when %(announced)s GWh of cell "
                "capacity had been announced, and held against what existed in %(year)s. "
                "%(inside)s of %(n)s outcomes that year fall inside the P10–P90 band; for the "
                "cell industry as a whole, %(seg_inside)s of %(seg_n)s. The band was wide and "
                "its median lay below what was built, and the small or single-phase plants "
                "(a 1 GWh first line, a recycling plant, an anode plant) fell outside it: the "
                "defaults are gigafactory odds. The defaults were not adjusted to the Norwegian "
                "outcome."
            )
            % {
                "announced": number_text(float(result.meta["announced_cell_capacity"])),
                "year": year,
                "inside": int(last["inside_band"].sum()),
                "n": last.height,
                "seg_inside": int(segment["inside_band"].sum()),
                "seg_n": segment.height,
            },
        )
    )
    desc = gettext(
        "Backtest: the forecast made with the October 2021 pipeline (bar: P10–P90, tick: "
        "median) and what happened (diamond), for the cell industry."
    )
    method.blocks.append(
        b.figure(
            gettext("Backtest of the October 2021 pipeline: forecast band and outcome"),
            str(render_svg(backtest_spec(table), name="report-backtest", description=desc)),
        )
    )
    measures = {"capacity": gettext("Capacity (GWh)"), "staff": gettext("Staff")}
    names = result.facility_names
    method.blocks.append(
        b.table(
            gettext("Backtest: forecast from October 2021 against the outcome"),
            [
                gettext("Year"),
                gettext("Facility or segment"),
                gettext("Measure"),
                gettext("Outcome"),
                gettext("Median (P50)"),
                "P10",
                "P90",
                gettext("In the band"),
            ],
            [
                [
                    Year(int(r["year"])),
                    names.get(str(r["facility"]), str(r["facility"]))
                    if r["facility"]
                    else label("segment", str(r["segment"])),
                    measures[str(r["measure"])],
                    float(r["outcome"]),
                    float(r["p50"]),
                    float(r["p10"]),
                    float(r["p90"]),
                    gettext("yes") if r["inside_band"] else gettext("no"),
                ]
                for r in table.iter_rows(named=True)
            ],
            small=True,
            exact=True,
        )
    )
