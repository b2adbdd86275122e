"""Charts of what acts on the gap: the measures (the gap with and without them, the supply each
adds), recruitment from abroad, and the recommendations."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.core.charts.base import (
    HORIZON_COLOURS,
    SERIES_COLOURS,
    Chart,
    Row,
    line_legend,
    main_figure,
    metric_labels,
    num,
    vega_spec,
)
from battkomp.core.charts.render import render_svg
from battkomp.core.codes import label

MEASURE_COLOURS = ("#762a83", "#5aae61", "#c2a5cf", "#1b7837", "#9970ab", "#a6dba0", "#40004b")


def measure_effect_spec(
    gaps: pl.DataFrame, supply: pl.DataFrame, names: dict[str, str]
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From ``gaps`` (year, metric gap or gap_without_measures, mean) and ``supply`` (year,
    measure, supply): above, the national gap per year with and without the measures; below,
    the supply each measure adds per year, stacked (``names``: measure id → name, in order)."""
    series = metric_labels(("gap_without_measures", "gap"))
    gap = {(int(y), str(m)): num(v) for y, m, v in gaps.select("year", "metric", "mean").rows()}
    added = {
        (int(y), str(m)): num(v) for y, m, v in supply.select("year", "measure", "supply").rows()
    }
    order = list(names)
    years = sorted({y for y, _ in gap} | {y for y, _ in added})
    lines = [
        {"year": str(y), "series": series[m], "value": gap[(y, m)]}
        for m in series
        for y in years
        if gap.get((y, m)) is not None
    ]
    bars = [
        {"year": str(y), "measure": names[m], "order": i, "supply": added[(y, m)]}
        for i, m in enumerate(order)
        for y in years
        if added.get((y, m)) is not None
    ]
    table = tuple(
        (
            str(y),
            [gap.get((y, "gap")), gap.get((y, "gap_without_measures"))]
            + [added.get((y, m)) for m in order],
        )
        for y in years
    )
    x = {
        "field": "year",
        "type": "ordinal",
        "title": gettext("Year"),
        "axis": {"labelAngle": 0},
        "scale": {"domain": [str(y) for y in years]},
    }
    parts: list[dict[str, Any]] = []
    if lines:
        parts.append(
            {
                "data": {"values": lines},
                "width": 560,
                "height": 220,
                "mark": {"type": "line", "point": True, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": label("metric", "gap"),
                    },
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": list(series.values()),
                            "range": ["#f1a340", SERIES_COLOURS[2]],
                        },
                        "legend": line_legend(orient="top"),
                    },
                    "strokeDash": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": list(series.values()), "range": [[6, 3], [1, 0]]},
                        "legend": line_legend(orient="top"),
                    },
                },
            }
        )
    if bars:
        shown = [names[m] for m in order]
        parts.append(
            {
                "data": {"values": bars},
                "width": 560,
                "height": 180,
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "supply",
                        "type": "quantitative",
                        "aggregate": "sum",
                        "stack": "zero",
                        "title": gettext("Supply added"),
                    },
                    "color": {
                        "field": "measure",
                        "type": "nominal",
                        "title": None,
                        "sort": shown,
                        "scale": {
                            "domain": shown,
                            "range": [
                                MEASURE_COLOURS[i % len(MEASURE_COLOURS)] for i in range(len(shown))
                            ],
                        },
                        "legend": {"orient": "bottom", "columns": 1, "labelLimit": 480},
                    },
                    "order": {"field": "order", "type": "quantitative"},
                },
            }
        )
    # the lines' colour and dash in one legend of their own (a dash shared by the parts was
    # drawn in a second legend, the labels twice)
    spec = vega_spec(
        vconcat=parts, resolve={"scale": {"color": "independent", "strokeDash": "independent"}}
    )
    return spec, tuple(names[m] for m in order), table


def measure_effect_chart(gaps: pl.DataFrame, supply: pl.DataFrame, names: dict[str, str]) -> Chart:
    """What the measures change: the national gap per year with and without them, and the
    supply each adds per year."""
    spec, measures, table = measure_effect_spec(gaps, supply, names)
    description = gettext(
        "Line chart and stacked bar chart: the national gap per year with and without the "
        "agreed and running measures, and below it the supply each measure adds per year."
    )
    columns = (gettext("Year"), *metric_labels(("gap", "gap_without_measures")).values(), *measures)
    description += main_figure(table, columns, use=[0])
    svg = render_svg(spec, name="measures", description=description)
    return Chart("measures", svg, description, columns, table)


def abroad_spec(rows: pl.DataFrame) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From rows (year, level, need, recruited, unmet, lead_time_months), one per year and
    level: horizontal bars of what is recruited from abroad and what stays unmet."""
    names = {"recruited": gettext("Recruited from abroad"), "unmet": gettext("Unmet")}
    values: list[dict[str, Any]] = []
    table: list[Row] = []
    order: list[str] = []
    for r in rows.iter_rows(named=True):
        name = f"{r['year']} · {label('level', r['level'])}"
        order.append(name)
        for i, m in enumerate(("recruited", "unmet")):
            if r[m] is not None:
                values.append({"cell": name, "series": names[m], "order": i, "value": r[m]})
        table.append(
            (
                name,
                [
                    num(r["need"]),
                    num(r["recruited"]),
                    num(r["unmet"]),
                    num(r["lead_time_months"]),
                ],
            )
        )
    spec = vega_spec(
        data={"values": values},
        width=420,
        height={"step": 22},
        mark={"type": "bar"},
        encoding={
            "y": {
                "field": "cell",
                "type": "nominal",
                "sort": order,
                "title": None,
                "axis": {"labelLimit": 360},
            },
            "x": {
                "field": "value",
                "type": "quantitative",
                "aggregate": "sum",
                "stack": "zero",
                "title": gettext("Persons"),
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": list(names.values()),
                    "range": [HORIZON_COLOURS[0], HORIZON_COLOURS[3]],
                },
                "legend": {"orient": "top"},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    )
    return spec, tuple(table)


def abroad_chart(rows: pl.DataFrame) -> Chart:
    """The need only recruitment from abroad can meet in time, per year and level: what the
    channels recruit and what stays unmet."""
    spec, table = abroad_spec(rows)
    description = gettext(
        "Stacked bar chart: per year and education level, the need that domestic supply cannot "
        "meet in time, split into what is recruited from abroad and what stays unmet."
    )
    columns = (
        gettext("Year and education level"),
        gettext("Need"),
        gettext("Recruited from abroad"),
        gettext("Unmet"),
        gettext("Shortest lead time (months)"),
    )
    description += main_figure(table, columns, use=[2])
    svg = render_svg(spec, name="abroad", description=description)
    return Chart("abroad", svg, description, columns, table)


def recommendation_spec(
    rows: pl.DataFrame, lever_names: dict[str, str]
) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From rows (year, level, area, lever, shortage): one bar per recommended cell, its mean
    shortage in the year the gap opens, coloured by the recommended lever."""
    values: list[dict[str, Any]] = []
    table: list[Row] = []
    order: list[str] = []
    for r in rows.iter_rows(named=True):
        name = f"{r['year']} · {label('area', r['area'])} · {label('level', r['level'])}"
        order.append(name)
        lever = lever_names.get(r["lever"] or "", r["lever"] or gettext("No rule"))
        if r["shortage"] is not None:
            values.append({"cell": name, "lever": lever, "shortage": r["shortage"]})
        table.append((name, [num(r["shortage"])]))
    spec = vega_spec(
        data={"values": values},
        width=360,
        height={"step": 22},
        mark={"type": "bar"},
        encoding={
            "y": {
                "field": "cell",
                "type": "nominal",
                "sort": order,
                "title": None,
                "axis": {"labelLimit": 640},
            },
            "x": {
                "field": "shortage",
                "type": "quantitative",
                "title": gettext("Mean shortage in the year the gap opens"),
            },
            "color": {
                "field": "lever",
                "type": "nominal",
                "title": gettext("Recommended lever"),
                "legend": {"orient": "top", "columns": 2},
            },
        },
    )
    return spec, tuple(table)


def recommendation_chart(rows: pl.DataFrame, lever_names: dict[str, str]) -> Chart:
    """The recommendations: each significant gap's shortage when it opens, by lever."""
    spec, table = recommendation_spec(rows, lever_names)
    description = gettext(
        "Bar chart: each competence area and level with a recommendation, its mean shortage in "
        "the year the gap opens, coloured by the recommended lever."
    )
    columns = (
        gettext("Year the gap opens, competence area and level"),
        gettext("Mean shortage"),
    )
    description += main_figure(table, columns)
    svg = render_svg(spec, name="recommendations", description=description)
    return Chart("recommendations", svg, description, columns, table)
