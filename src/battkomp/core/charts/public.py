"""The public dashboard's further charts, from a publication's protected tables: the heatmap and
the time squeeze with suppressed cells marked, value-chain coverage, the gap by segment or county,
the scenarios side by side, and the conditional views of the planned plants (risk)."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.core.charts.base import (
    SERIES_COLOURS,
    Chart,
    Row,
    break_at_hidden_years,
    heatmap_layers,
    line_legend,
    main_figure,
    num,
    ordered_present,
    vega_spec,
)
from battkomp.core.charts.render import render_svg
from battkomp.core.charts.results import named_squeeze_chart
from battkomp.core.codes import codes, label


def public_heatmap_spec(
    cells: pl.DataFrame,
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From one year's cells (area, level, shortage_mean; null where suppressed): the mean
    shortage by competence area (rows) and education level (columns), suppressed cells grey
    and marked "–" (never a number)."""
    levels = ordered_present(cells["level"].unique().to_list(), codes("level"))
    areas = ordered_present(cells["area"].unique().to_list(), codes("area"))
    value = {(a, lv): num(v) for a, lv, v in cells.select("area", "level", "shortage_mean").rows()}
    level_names = {lv: label("level", lv) for lv in levels}
    area_names = {a: label("area", a) for a in areas}
    rows = tuple((area_names[a], [value.get((a, lv)) for lv in levels]) for a in areas)
    x = {
        "field": "level",
        "type": "nominal",
        "sort": [level_names[lv] for lv in levels],
        "title": gettext("Education level"),
        "axis": {"orient": "top", "labelAngle": -20, "labelAlign": "left", "labelLimit": 200},
        "scale": {"domain": [level_names[lv] for lv in levels]},
    }
    y = {
        "field": "area",
        "type": "nominal",
        "sort": [area_names[a] for a in areas],
        "title": None,
        "axis": {"labelLimit": 360},
        "scale": {"domain": [area_names[a] for a in areas]},
    }
    cells_named = [(area_names[a], level_names[lv], v) for (a, lv), v in value.items()]
    layers = heatmap_layers(x, y, cells_named)
    spec = vega_spec(
        width={"step": 110},
        height={"step": 20},
        layer=layers,
        resolve={"scale": {"color": "independent"}},
    )
    return spec, tuple(level_names[lv] for lv in levels), rows


def public_heatmap_chart(cells: pl.DataFrame, year: int) -> Chart:
    """(b) for a publication: the heatmap of one year's cells (area, level, shortage_mean, null
    where suppressed); suppressed cells are grey, marked "–" in the chart and in its table."""
    spec, level_names, rows = public_heatmap_spec(cells)
    description = gettext(
        "Heatmap: the mean shortage in %(year)s by competence area (rows) and education level "
        "(columns); darker means a larger shortage, white cells have none, grey cells marked – "
        "are suppressed to protect company answers."
    ) % {"year": year}
    columns = (gettext("Competence area"), *level_names)
    description += main_figure(rows, columns)
    svg = render_svg(spec, name="public-heatmap", description=description)
    return Chart("public-heatmap", svg, description, columns, rows)


def public_squeeze_chart(summary: pl.DataFrame) -> Chart:
    """(c) for a publication: the time squeeze of the published cells (year, horizon,
    shortage_mean); a horizon that is not published is left out of its year's bar."""
    description = gettext(
        "Stacked bar chart: the expected shortage per year by the horizon that must carry it; "
        "the red part is what no lever can close in time."
    )
    return named_squeeze_chart(summary, "public-squeeze", description)


def segment_coverage_spec(
    rows: pl.DataFrame,
) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From rows (segment, openings, supply, gap, reported_share) of one year: openings and
    supply side by side per value-chain segment; the table adds the gap and the reported share
    in per cent (None where not published), and a last row for all segments (``segment`` null)
    if there is one."""
    everything = rows.filter(pl.col("segment").is_null())
    rows = rows.filter(pl.col("segment").is_not_null())
    order = ordered_present(rows["segment"].to_list(), codes("segment"))
    by_code = {r["segment"]: r for r in rows.iter_rows(named=True)}
    names = {"openings": label("metric", "openings"), "supply": label("metric", "supply")}
    values = []
    table: list[Row] = []
    for code in order:
        r = by_code[code]
        name = label("segment", code)
        for i, m in enumerate(("openings", "supply")):
            if r[m] is not None:
                values.append({"segment": name, "series": names[m], "order": i, "value": r[m]})
        share = r["reported_share"]
        table.append(
            (
                name,
                [
                    num(r["openings"]),
                    num(r["supply"]),
                    num(r["gap"]),
                    None if share is None else 100.0 * float(share),
                ],
            )
        )
    for r in everything.iter_rows(named=True):
        share = r["reported_share"]
        table.append(
            (
                gettext("All segments"),
                [
                    num(r["openings"]),
                    num(r["supply"]),
                    num(r["gap"]),
                    None if share is None else 100.0 * float(share),
                ],
            )
        )
    hidden = [
        {"segment": label("segment", c), "mark": "–", "value": 0}
        for c in order
        if by_code[c]["openings"] is None
    ]
    y = {
        "field": "segment",
        "type": "nominal",
        "sort": [label("segment", c) for c in order],
        "title": None,
        "axis": {"labelLimit": 300},
        "scale": {"domain": [label("segment", c) for c in order]},
    }
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "mark": {"type": "bar"},
            "encoding": {
                "y": y,
                "yOffset": {"field": "series", "type": "nominal", "sort": list(names.values())},
                "x": {"field": "value", "type": "quantitative", "title": gettext("Persons")},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": list(names.values()),
                        "range": list(SERIES_COLOURS[:2]),
                    },
                    "legend": {"orient": "top"},
                },
            },
        }
    ]
    if hidden:
        layers.append(
            {
                "data": {"values": hidden},
                "mark": {"type": "text", "align": "left", "dx": 4, "color": "#444444"},
                "encoding": {
                    "y": y,
                    "x": {"field": "value", "type": "quantitative"},
                    "text": {"field": "mark"},
                },
            }
        )
    spec = vega_spec(width=420, height=34 * max(1, len(order)), layer=layers)
    return spec, tuple(table)


def segment_coverage_chart(rows: pl.DataFrame, year: int) -> Chart:
    """Value-chain coverage: openings against supply per segment in ``year``, with the gap and
    the share of the openings the survey reported in the table."""
    spec, table = segment_coverage_spec(rows)
    description = gettext(
        "Bar chart: openings and supply in %(year)s per value-chain segment, side by side."
    ) % {"year": year}
    columns = (
        gettext("Value-chain segment"),
        label("metric", "openings"),
        label("metric", "supply"),
        label("metric", "gap"),
        gettext("Reported by the survey (%)"),
    )
    description += main_figure(table, columns, use=[2])
    svg = render_svg(spec, name="coverage", description=description)
    return Chart("coverage", svg, description, columns, table)


def place_gap_spec(
    rows: pl.DataFrame, column: str
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From rows (year, ``column``, mean): the gap per year, one line per segment or county
    (``column`` segment or region); a year that is not published is left out of its line."""
    kind = "segment" if column == "segment" else "region"
    order = ordered_present(rows[column].unique().to_list(), codes(kind))
    names = {c: label(kind, c) or c for c in order}
    value = {(int(y), c): num(m) for y, c, m in rows.select("year", column, "mean").rows()}
    years = sorted({y for y, _ in value})
    values = [
        {"year": str(y), "place": names[c], "gap": value[(y, c)]}
        for c in order
        for y in years
        if value.get((y, c)) is not None
    ]
    table = tuple((str(y), [value.get((y, c)) for c in order]) for y in years)
    values, domain = break_at_hidden_years(values, "place", ["gap"])
    spec = vega_spec(
        data={"values": values},
        width=560,
        height=280,
        mark={"type": "line", "point": True, "strokeWidth": 2},
        encoding={
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": gettext("Year"),
                "axis": {"labelAngle": 0},
                "scale": {"domain": domain},
            },
            "y": {"field": "gap", "type": "quantitative", "title": label("metric", "gap")},
            "color": {
                "field": "place",
                "type": "nominal",
                "title": None,
                "sort": [names[c] for c in order],
                "legend": line_legend(orient="top", columns=3),
            },
        },
    )
    return spec, tuple(names[c] for c in order), table


def place_gap_chart(rows: pl.DataFrame, column: str) -> Chart:
    """The gap per year by value-chain segment or by county (means of the draws, which add up)."""
    spec, names, table = place_gap_spec(rows, column)
    if column == "segment":
        description = gettext(
            "Line chart: the gap per year, one line for each value-chain segment."
        )
    else:
        description = gettext("Line chart: the gap per year, one line for each county.")
    name = f"place-{column}"
    columns = (gettext("Year"), *names)
    description += main_figure(table, columns)
    svg = render_svg(spec, name=name, description=description)
    return Chart(name, svg, description, columns, table)


def scenario_gap_spec(
    rows: pl.DataFrame,
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From rows (scenario, year, mean, p10, p90; a ``scenario_name`` to show instead of the
    code when the rows have one), scenarios in the order given: the national gap per year, one
    line per scenario with its P10–P90 band."""
    name_column = "scenario_name" if "scenario_name" in rows.columns else "scenario"
    scenarios = list(dict.fromkeys(rows[name_column].to_list()))
    lines, band = [], []
    value: dict[tuple[int, str], tuple[float | None, float | None, float | None]] = {}
    for r in rows.iter_rows(named=True):
        year, name = int(r["year"]), r[name_column]
        mean, p10, p90 = num(r["mean"]), num(r["p10"]), num(r["p90"])
        value[(year, name)] = (mean, p10, p90)
        if mean is not None:
            lines.append({"year": str(year), "scenario": name, "gap": mean})
        if p10 is not None and p90 is not None:
            band.append({"year": str(year), "scenario": name, "p10": p10, "p90": p90})
    years = sorted({y for y, _ in value})
    table = tuple(
        (str(y), [v for s in scenarios for v in value.get((y, s), (None, None, None))])
        for y in years
    )
    lines, domain = break_at_hidden_years(lines, "scenario", ["gap"])
    band, _domain = break_at_hidden_years(band, "scenario", ["p10", "p90"])
    x = {
        "field": "year",
        "type": "ordinal",
        "title": gettext("Year"),
        "axis": {"labelAngle": 0},
        "scale": {"domain": domain},
    }
    colour = {
        "field": "scenario",
        "type": "nominal",
        # the bands take each scenario's colour and have no legend of their own: the title says
        # what the lines and the shading are
        "title": gettext("Scenario (line: mean; shaded: P10–P90)"),
        "sort": scenarios,
        "legend": line_legend(orient="top", titleLimit=540),
    }
    gap = label("metric", "gap")
    spec = vega_spec(
        width=560,
        height=280,
        resolve={"legend": {"color": "independent"}},
        layer=[
            {
                "data": {"values": band},
                "mark": {"type": "area", "opacity": 0.15},
                "encoding": {
                    "x": x,
                    "y": {"field": "p10", "type": "quantitative", "title": gap},
                    "y2": {"field": "p90"},
                    "color": {**colour, "legend": None},
                },
            },
            {
                "data": {"values": lines},
                "mark": {"type": "line", "point": True, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "gap", "type": "quantitative", "title": gap},
                    "color": colour,
                },
            },
        ],
    )
    return spec, tuple(scenarios), table


def scenario_gap_chart(rows: pl.DataFrame) -> Chart:
    """Scenario comparison: the national gap (mean and P10–P90 band) per year, one line and
    band per scenario."""
    spec, scenarios, table = scenario_gap_spec(rows)
    description = gettext(
        "Line chart: the national gap per year in each scenario (means of the draws), each with "
        "its P10–P90 band shaded."
    )
    columns: list[str] = [gettext("Year")]
    for s in scenarios:
        columns += [
            gettext("%(scenario)s: mean") % {"scenario": s},
            gettext("%(scenario)s: P10") % {"scenario": s},
            gettext("%(scenario)s: P90") % {"scenario": s},
        ]
    description += main_figure(table, columns, use=range(0, len(columns) - 1, 3))
    svg = render_svg(spec, name="scenarios", description=description)
    return Chart("scenarios", svg, description, tuple(columns), table)


def conditional_spec(rows: pl.DataFrame) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From the published ``conditional`` rows: per view (all draws, the firm base, with each
    planned facility) the median shortage over the horizon (a tick) in its P10–P90 band (a bar),
    labelled with the view's probability."""
    data: list[tuple[str, list[float | None]]] = []
    for r in rows.iter_rows(named=True):
        if r["view"] in ("all", "firm_base"):
            name = label("risk_view", r["view"])
        else:
            # by its name (snapshots published before the frame had names: by its code)
            plant = r.get("facility_name") or r["facility"]
            name = gettext("With %(facility)s") % {"facility": plant}
        prob = num(r["probability"])
        if prob is not None:
            name = f"{name} ({prob:.0%})"
        data.append((name, [num(r[c]) for c in ("shortage_p50", "shortage_p10", "shortage_p90")]))
    values = [{"view": n, "p50": v[0], "p10": v[1], "p90": v[2]} for n, v in data if None not in v]
    y = {
        "field": "view",
        "type": "nominal",
        "sort": [v["view"] for v in values],
        "title": None,
        "axis": {"labelLimit": 320},
    }
    people = gettext("Shortage summed over the years (persons)")
    spec = vega_spec(
        data={"values": values},
        width=420,
        height={"step": 24},
        layer=[
            {
                "mark": {"type": "bar", "opacity": 0.3, "color": SERIES_COLOURS[2], "height": 14},
                "encoding": {
                    "y": y,
                    "x": {"field": "p10", "type": "quantitative", "title": people},
                    "x2": {"field": "p90"},
                },
            },
            {
                "mark": {"type": "tick", "color": SERIES_COLOURS[2], "thickness": 2},
                "encoding": {"y": y, "x": {"field": "p50", "type": "quantitative"}},
            },
        ],
    )
    return spec, tuple(data)


def conditional_chart(rows: pl.DataFrame) -> Chart:
    """What if the planned plants are built, or not: the shortage band per conditional view."""
    spec, table = conditional_spec(rows)
    description = gettext(
        "Bar chart: the shortage summed over the years in all draws, in the firm base and with "
        "each planned plant built; bar P10–P90, tick the median, share of draws in brackets."
    )
    columns = (gettext("View"), gettext("Median (P50)"), "P10", "P90")
    description += main_figure(table, columns, use=[0])
    svg = render_svg(spec, name="conditional", description=description)
    return Chart("conditional", svg, description, columns, table)
