"""The charts of a model run's results: openings, supply and the gap with its band, shortage by
competence area × level, the time squeeze, shortage by education level, and the largest
bottlenecks."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.core.charts.base import (
    HORIZON_COLOURS,
    SERIES_COLOURS,
    SUPPLY_METRICS,
    Chart,
    Row,
    band_legend,
    break_at_hidden_years,
    heatmap_layers,
    horizon_labels,
    line_legend,
    main_figure,
    metric_labels,
    num,
    ordered_present,
    vega_spec,
    zero_line_layers,
)
from battkomp.core.charts.render import render_svg
from battkomp.core.codes import codes, label
from battkomp.core.numbers import format_number
from battkomp.engine.schema import HORIZON_ORDER


def gap_series(totals: pl.DataFrame) -> dict[int, dict[str, dict[str, float | None]]]:
    """Per year and metric (openings, supply, gap): mean, P10, P90. Supply is the sum of the
    sources' means where the frame has no "supply" metric (percentiles do not add up)."""
    out: dict[int, dict[str, dict[str, float | None]]] = {}
    for row in totals.filter(pl.col("metric").is_in(["openings", "supply", "gap"])).iter_rows(
        named=True
    ):
        out.setdefault(int(row["year"]), {})[row["metric"]] = {
            "mean": num(row["mean"]),
            "p10": num(row["p10"]),
            "p90": num(row["p90"]),
        }
    if not totals.filter(pl.col("metric") == "supply").height:
        parts = totals.filter(pl.col("metric").is_in(SUPPLY_METRICS))
        sums = parts.group_by("year").agg(pl.col("mean").sum()).iter_rows()
        for year, mean in sums:
            out.setdefault(int(year), {})["supply"] = {
                "mean": float(mean),
                "p10": None,
                "p90": None,
            }
    return dict(sorted(out.items()))


#: The opacity of the gap's P10–P90 band (in the chart and in its legend).
BAND_OPACITY = 0.25


def gap_band_spec(totals: pl.DataFrame) -> tuple[dict[str, Any], tuple[Row, ...]]:
    series = gap_series(totals)
    names = metric_labels(("openings", "supply", "gap"))
    lines: list[dict[str, Any]] = []
    band: list[dict[str, Any]] = []
    rows: list[Row] = []
    for year, metrics in series.items():
        values: list[float | None] = []
        for m in ("openings", "supply", "gap"):
            mean = metrics.get(m, {}).get("mean")
            values.append(mean)
            if mean is not None:
                lines.append({"year": str(year), "series": names[m], "value": mean})
        gap = metrics.get("gap", {})
        p10, p90 = gap.get("p10"), gap.get("p90")
        values += [p10, p90]
        if p10 is not None and p90 is not None:
            band.append({"year": str(year), "p10": p10, "p90": p90})
        rows.append((str(year), values))
    surplus = any(v["value"] < 0 for v in lines if v["series"] == names["gap"])
    lines, domain = break_at_hidden_years(lines, "series", ["value"])
    band, _domain = break_at_hidden_years(band, None, ["p10", "p90"])
    x = {
        "field": "year",
        "type": "ordinal",
        "title": gettext("Year"),
        "axis": {"labelAngle": 0},
        "scale": {"domain": domain},
    }
    people = gettext("Persons")
    # the legend draws what the chart draws: the three lines (supply dashed) and the band
    legend = line_legend(orient="top")
    spec = vega_spec(
        width=560,
        height=280,
        resolve={"scale": {"fill": "independent"}},
        layer=[
            {
                "data": {"values": band},
                "mark": {"type": "area", "opacity": BAND_OPACITY},
                "encoding": {
                    "x": x,
                    "y": {"field": "p10", "type": "quantitative", "title": people},
                    "y2": {"field": "p90"},
                    "fill": {
                        "datum": gettext("Gap's P10–P90 band"),
                        "scale": {"range": [SERIES_COLOURS[2]]},
                        "title": None,
                        "legend": band_legend(BAND_OPACITY, orient="top"),
                    },
                },
            },
            {
                "data": {"values": lines},
                "mark": {"type": "line", "point": True, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative", "title": people},
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": list(names.values()), "range": list(SERIES_COLOURS)},
                        "legend": legend,
                    },
                    "strokeDash": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": list(names.values()),
                            "range": [[1, 0], [6, 3], [1, 0]],
                        },
                        "legend": legend,
                    },
                },
            },
            *zero_line_layers(surplus=surplus),
        ],
    )
    return spec, tuple(rows)


def gap_band_chart(totals: pl.DataFrame) -> Chart:
    """(a) National openings, supply and gap per year (means), with the gap's P10–P90 band."""
    spec, rows = gap_band_spec(totals)
    description = gettext(
        "Line chart: national openings, supply and gap per year (means of the draws), with the "
        "gap's P10–P90 band shaded."
    )
    columns = (
        gettext("Year"),
        label("metric", "openings"),
        label("metric", "supply"),
        label("metric", "gap"),
        gettext("Gap, P10"),
        gettext("Gap, P90"),
    )
    description += gap_sentence(rows)
    svg = render_svg(spec, name="gap", description=description)
    return Chart("gap", svg, description, columns, rows)


def gap_sentence(rows: tuple[Row, ...]) -> str:
    """The chart's main figure in words, for its text alternative (empty without a gap): the
    year of the largest gap, or of the smallest surplus when supply exceeds openings in every
    year."""
    gaps = [(year, values[2]) for year, values in rows if values[2] is not None]
    if not gaps:
        return ""
    year, gap = max(gaps, key=lambda pair: pair[1])
    if gap > 0:
        text = gettext(
            "The gap is largest in %(year)s: %(n)s more openings than supply (mean of the draws)."
        )
    else:
        text = gettext(
            "Supply exceeds openings in every year shown; the surplus is smallest in %(year)s: "
            "%(n)s persons (mean of the draws)."
        )
    return " " + text % {"year": year, "n": format_number(abs(gap), 0)}


def shortage_heatmap_spec(
    cells: pl.DataFrame, year: int
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From the time-squeeze cells (year, level, area, shortage_mean): the mean shortage per
    competence area (rows) and education level (columns) in ``year``."""
    data = (
        cells.filter(pl.col("year") == year)
        .group_by("area", "level")
        .agg(pl.col("shortage_mean").sum())
    )
    levels = ordered_present(data["level"].unique().to_list(), codes("level"))
    areas = ordered_present(data["area"].unique().to_list(), codes("area"))
    value = {(a, lv): float(v) for a, lv, v in data.select("area", "level", "shortage_mean").rows()}
    level_names = [label("level", lv) for lv in levels]
    area_names = [label("area", a) for a in areas]
    cells_named = [
        (area_names[i], level_names[j], value[(a, lv)])
        for i, a in enumerate(areas)
        for j, lv in enumerate(levels)
        if (a, lv) in value
    ]
    rows = tuple(
        (area_names[i], [value.get((a, lv)) for lv in levels]) for i, a in enumerate(areas)
    )
    x = {
        "field": "level",
        "type": "nominal",
        "sort": level_names,
        "title": gettext("Education level"),
        "axis": {"orient": "top", "labelAngle": 0, "labelLimit": 116},
    }
    y = {
        "field": "area",
        "type": "nominal",
        "sort": area_names,
        "title": gettext("Competence area"),
        "axis": {"labelLimit": 360},
    }
    spec = vega_spec(
        width={"step": 120},
        height={"step": 20},
        layer=heatmap_layers(x, y, cells_named),
        resolve={"scale": {"color": "independent"}},
    )
    return spec, tuple(level_names), rows


def shortage_heatmap_chart(cells: pl.DataFrame, year: int) -> Chart:
    """(b) Heatmap of the mean shortage by competence area × education level in one year."""
    spec, level_names, rows = shortage_heatmap_spec(cells, year)
    description = gettext(
        "Heatmap: the mean shortage in %(year)s by competence area (rows) and education level "
        "(columns); darker means a larger shortage, white cells have none."
    ) % {"year": year}
    columns = (gettext("Competence area"), *level_names)
    description += main_figure(rows, columns)
    svg = render_svg(spec, name="heatmap", description=description)
    return Chart("heatmap", svg, description, columns, rows)


def squeeze_spec(summary: pl.DataFrame) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From the squeeze summary (year, horizon, shortage_mean): stacked bars per year."""
    names = horizon_labels()
    by_year: dict[int, dict[str, float]] = {}
    for year, horizon, mean in summary.select("year", "horizon", "shortage_mean").rows():
        by_year.setdefault(int(year), {})[horizon] = float(mean)
    values = [
        {"year": str(y), "horizon": names[h], "order": i, "shortage": v[h]}
        for y, v in sorted(by_year.items())
        for i, h in enumerate(HORIZON_ORDER)
        if h in v
    ]
    rows = tuple((str(y), [v.get(h) for h in HORIZON_ORDER]) for y, v in sorted(by_year.items()))
    spec = vega_spec(
        data={"values": values},
        width=560,
        height=280,
        mark={"type": "bar"},
        encoding={
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": gettext("Year"),
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "shortage",
                "type": "quantitative",
                "aggregate": "sum",
                "stack": "zero",
                "title": gettext("Expected shortage"),
            },
            "color": {
                "field": "horizon",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": [names[h] for h in HORIZON_ORDER],
                    "range": list(HORIZON_COLOURS),
                },
                "legend": {"orient": "top", "columns": 2},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    )
    return spec, rows


def named_squeeze_chart(summary: pl.DataFrame, name: str, description: str) -> Chart:
    spec, rows = squeeze_spec(summary)
    names = horizon_labels()
    columns = (gettext("Year"), *(names[h] for h in HORIZON_ORDER))
    description += main_figure(rows, columns)
    svg = render_svg(spec, name=name, description=description)
    return Chart(name, svg, description, columns, rows)


def squeeze_chart(summary: pl.DataFrame) -> Chart:
    """(c) The time squeeze: expected shortage per year, stacked by the horizon that must carry
    it (recruit, retrain, educate, or no lever in time)."""
    description = gettext(
        "Stacked bar chart: the expected shortage per year by the horizon that must carry it."
    )
    return named_squeeze_chart(summary, "squeeze", description)


def level_shortage_spec(
    rows: pl.DataFrame,
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Row, ...]]:
    """From rows (year, level, mean): grouped bars of the mean shortage per year, one bar per
    education level. Only the years in ``rows`` appear (leave out suppressed years first)."""
    levels = ordered_present(rows["level"].unique().to_list(), codes("level"))
    level_names = [label("level", lv) for lv in levels]
    name = dict(zip(levels, level_names, strict=True))
    value = {(int(y), lv): num(m) for y, lv, m in rows.select("year", "level", "mean").rows()}
    years = sorted({y for y, _ in value})
    values = [
        {"year": str(y), "level": name[lv], "order": j, "shortage": value[(y, lv)]}
        for y in years
        for j, lv in enumerate(levels)
        if value.get((y, lv)) is not None
    ]
    table = tuple((str(y), [value.get((y, lv)) for lv in levels]) for y in years)
    spec = vega_spec(
        data={"values": values},
        width=560,
        height=280,
        mark={"type": "bar"},
        encoding={
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": gettext("Year"),
                "axis": {"labelAngle": 0},
            },
            "xOffset": {"field": "level", "type": "nominal", "sort": level_names},
            "y": {"field": "shortage", "type": "quantitative", "title": gettext("Mean shortage")},
            "color": {
                "field": "level",
                "type": "nominal",
                "title": gettext("Education level"),
                "sort": level_names,
                "legend": {"orient": "top", "columns": 3},
            },
        },
    )
    return spec, tuple(level_names), table


def level_shortage_chart(rows: pl.DataFrame) -> Chart:
    """(d) Grouped bars: the mean shortage per year by education level."""
    spec, level_names, table = level_shortage_spec(rows)
    description = gettext(
        "Grouped bar chart: the mean shortage per year, one bar for each education level."
    )
    cells = [
        (year, level_names[j], v)
        for year, values in table
        for j, v in enumerate(values)
        if v is not None
    ]
    if cells:
        year, level, top = max(cells, key=lambda cell: cell[2])
        description += " " + gettext("The largest is %(n)s persons at %(level)s in %(year)s.") % {
            "n": format_number(top, 0),
            "level": level,
            "year": year,
        }
    svg = render_svg(spec, name="levels", description=description)
    return Chart("levels", svg, description, (gettext("Year"), *level_names), table)


def bottleneck_spec(rows: pl.DataFrame) -> tuple[dict[str, Any], tuple[Row, ...]]:
    """From rows (area, shortage), largest first: horizontal bars of the summed mean shortage
    per competence area."""
    data = [(label("area", a), num(v)) for a, v in rows.select("area", "shortage").rows()]
    values = [{"area": n, "shortage": v} for n, v in data if v is not None]
    spec = vega_spec(
        data={"values": values},
        width=420,
        height={"step": 22},
        mark={"type": "bar", "color": SERIES_COLOURS[2]},
        encoding={
            "y": {
                "field": "area",
                "type": "nominal",
                "sort": [v["area"] for v in values],
                "title": gettext("Competence area"),
                "axis": {"labelLimit": 360},
            },
            "x": {
                "field": "shortage",
                "type": "quantitative",
                "title": gettext("Mean shortage, summed over the years"),
            },
        },
    )
    return spec, tuple((n, [v]) for n, v in data)


def bottleneck_chart(rows: pl.DataFrame) -> Chart:
    """(e) The largest bottlenecks: competence areas by their mean shortage summed over years."""
    spec, table = bottleneck_spec(rows)
    description = gettext(
        "Bar chart: the competence areas with the largest mean shortage, summed over the years "
        "shown, largest first."
    )
    columns = (gettext("Competence area"), gettext("Mean shortage, summed over the years"))
    description += main_figure(table, columns)
    svg = render_svg(spec, name="bottlenecks", description=description)
    return Chart("bottlenecks", svg, description, columns, table)
