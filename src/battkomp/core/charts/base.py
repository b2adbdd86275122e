"""What every chart shares: the Vega-Lite version and configuration, the colours, the rendered
:class:`Chart` with its data table, and the generic spec builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from battkomp.core.codes import label
from battkomp.core.numbers import format_number
from battkomp.engine.numbers import NB_THOUSANDS
from battkomp.engine.schema import HORIZON_ORDER

VL_VERSION = "5.21"


SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched


#: The sources of supply, in the order tables and charts show them. Their means add up to the
#: "supply" metric (engine.run_model adds the same arrays draw by draw); "measure_supply" is there
#: only in a run with counted measures, "supply_released" (workers released where a cell shrinks)
#: only in runs made since the engine counted them.
SUPPLY_METRICS = (
    "supply_education",
    "supply_released",
    "supply_retraining",
    "supply_recruitment",
    "measure_supply",
)


def supply_source_labels() -> dict[str, str]:
    """The name of each source of supply in the active language (the terminology source)."""
    return {m: label("metric", m) for m in SUPPLY_METRICS}


def metric_labels(metrics: Sequence[str]) -> dict[str, str]:
    """The name of each metric in the active language (the terminology source)."""
    return {m: label("metric", m) for m in metrics}


def supply_sources(totals: pl.DataFrame) -> tuple[str, ...]:
    """The sources of supply a totals frame has, in SUPPLY_METRICS' order."""
    present = set(totals["metric"].unique().to_list()) if totals.height else set()
    return tuple(m for m in SUPPLY_METRICS if m in present)


HORIZON_COLOURS = ("#1b7837", "#5aae61", "#f1a340", "#b2182b")


SERIES_COLOURS = ("#2166ac", "#1b7837", "#b2182b")  # openings, supply, gap


#: The side of a legend's symbol, in px (the symbol's size is its area). The same for a line's
#: and a band's, so that two legends side by side keep their labels on one baseline.
LEGEND_SYMBOL_SIDE = 14


def line_legend(**more: Any) -> dict[str, Any]:
    """A legend that draws each series as the chart does: a short line, in its colour and with
    its dash (Vega-Lite draws a line with points as a filled circle, and a dashed one as a circle
    with a ragged, dashed edge). A dashed series' ``strokeDash`` channel takes the same legend,
    so that Vega-Lite merges the two into one."""
    return {
        "symbolType": "stroke",
        "symbolStrokeWidth": 2,
        "symbolSize": LEGEND_SYMBOL_SIDE**2,
        **more,
    }


def band_legend(opacity: float, **more: Any) -> dict[str, Any]:
    """A legend that draws a band as the chart does: a square in the band's colour and opacity
    (as tall as a line's symbol with its stroke, so that the labels share a baseline)."""
    return {
        "symbolType": "square",
        "symbolOpacity": opacity,
        "symbolStrokeWidth": 0,
        "symbolSize": (LEGEND_SYMBOL_SIDE + 2) ** 2,
        **more,
    }


#: d3-format's numbers in bokmål: decimal comma, a thin no-break space between thousands.
NB_FORMAT = {
    "decimal": ",",
    "thousands": NB_THOUSANDS,
    "grouping": [3],
    "currency": ["", "\u00a0kr"],
}


CONFIG: dict[str, Any] = {
    "aria": False,  # the <svg> as a whole is the image; its label and the table describe it
    "font": "sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12},
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 260},
}


Row = tuple[str, list[float | None]]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: the SVG markup (safe to put in a page), its accessible name and the
    data table beside it (column headers; per row a header and the values)."""

    name: str
    svg: SafeString
    description: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @cached_property
    def wide_svg(self) -> SafeString | None:
        """The chart drawn at the width of the page's column on a laptop (None: as drawn)."""
        from battkomp.core.charts.fit import WIDE, fitted_svg

        return fitted_svg(self.svg, WIDE)

    @cached_property
    def medium_svg(self) -> SafeString | None:
        """The chart drawn at the width of a tablet's column (None: as drawn)."""
        from battkomp.core.charts.fit import MEDIUM, fitted_svg

        return fitted_svg(self.svg, MEDIUM)

    @cached_property
    def narrow_svg(self) -> SafeString | None:
        """The chart drawn at the width of a phone (None: as drawn)."""
        from battkomp.core.charts.fit import NARROW, fitted_svg

        return fitted_svg(self.svg, NARROW)


def vega_spec(**parts: Any) -> dict[str, Any]:
    return {"$schema": SCHEMA, "config": CONFIG, **parts}


def year_series_spec(
    points: list[dict[str, Any]],
    order: list[str],
    *,
    lines: bool,
    y_title: str,
    legend: dict[str, Any],
    width: int = 560,
    height: int = 280,
) -> dict[str, Any]:
    """Per year one value per series (points: year, series, value; and rank for bars, which
    stacks them in that order): stacked bars, or lines with points. ``order`` is the series'
    order in the legend and their colours."""
    encoding: dict[str, Any] = {
        "x": {
            "field": "year",
            "type": "ordinal",
            "title": gettext("Year"),
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "value", "type": "quantitative", "title": y_title},
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "sort": order,
            "scale": {"domain": order, "scheme": "tableau10"},
            "legend": line_legend(**legend) if lines else legend,
        },
    }
    if not lines:
        encoding["order"] = {"field": "rank", "type": "quantitative"}
    else:
        points, domain = break_at_hidden_years(points, "series", ["value"])
        encoding["x"]["scale"] = {"domain": domain}
    return vega_spec(
        width=width,
        height=height,
        data={"values": points},
        mark={"type": "line", "point": True} if lines else {"type": "bar"},
        encoding=encoding,
    )


def break_at_hidden_years(
    points: list[dict[str, Any]], series: str | None, fields: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Line (or band) points by year, with a null point for each series at every year missing
    between the first and the last year shown (a year left out, e.g. suppressed to protect
    company answers): the line breaks there instead of joining its neighbours straight across,
    and the year keeps its place on the x axis. Returns the points and the axis' years (use them
    as the x scale's domain)."""
    years = sorted({int(p["year"]) for p in points})
    if not years:
        return points, []
    domain = [str(y) for y in range(years[0], years[-1] + 1)]
    names = list(dict.fromkeys(p.get(series) for p in points)) if series else [None]
    have = {(str(p["year"]), p.get(series) if series else None) for p in points}
    gaps = [
        {"year": y, **({series: name} if series else {}), **dict.fromkeys(fields)}
        for name in names
        for y in domain
        if (y, name) not in have
    ]
    return points + gaps, domain


def main_figure(
    rows: Sequence[Row], columns: Sequence[str], use: Sequence[int] | None = None
) -> str:
    """A chart's main figure in words, for its text alternative: the largest value of its data
    table (among the value columns ``use``, by index; all by default), with its row and column.
    Empty for a table without values. Starts with a space, to follow the chart's description."""
    cells = [
        (header, columns[j + 1] if j + 1 < len(columns) else "", v)
        for header, values in rows
        for j, v in enumerate(values)
        if v is not None and (use is None or j in use)
    ]
    if not cells:
        return ""
    header, column, top = max(cells, key=lambda cell: cell[2])
    where = (
        header
        if len(columns) <= 2 or (use is not None and len(use) == 1)
        else (f"{header}, {column}")
    )
    return " " + gettext("The largest value is %(n)s persons (%(where)s).") % {
        "n": format_number(top, 0),
        "where": where,
    }


def num(value: Any) -> float | None:
    return None if value is None else float(value)


def ordered_present(present: Sequence[str], order: Sequence[str]) -> list[str]:
    known = [c for c in order if c in present]
    return known + sorted(set(present) - set(known))


def horizon_labels() -> dict[str, str]:
    """The name of each horizon, "none" included, in the active language."""
    return {h: label("horizon", h) for h in HORIZON_ORDER}


#: A cell whose mean shortage is below this (0.0 to one decimal) has no shortage: painted
#: white, never in the shortage colours.
NO_SHORTAGE_BELOW = 0.05


NO_SHORTAGE_COLOUR = "#ffffff"


SUPPRESSED_COLOUR = "#d9d9d9"


#: The shortage colours: orange to dark red, from the smallest shortage shown (at a clearly
#: visible orange, so that it stands apart from the white of no shortage) to the largest.
SHORTAGE_SCALE: dict[str, Any] = {
    "scheme": {"name": "orangered", "extent": [0.2, 1]},
}


def heatmap_layers(
    x: dict[str, Any], y: dict[str, Any], cells: Sequence[tuple[str, str, float | None]]
) -> list[dict[str, Any]]:
    """The layers of a shortage heatmap from (area name, level name, mean shortage; None where
    suppressed): cells with a shortage on the shortage colours (a gradient legend), cells with
    none white and suppressed cells grey and marked "–", both named in a second legend. Every
    cell has a thin outline, so that a white cell is still seen. The spec needs
    ``resolve={"scale": {"color": "independent"}}``."""
    none_name, hidden_name = gettext("No shortage (0)"), gettext("Suppressed (–)")
    short = [
        {"area": a, "level": lv, "shortage": v}
        for a, lv, v in cells
        if v is not None and v >= NO_SHORTAGE_BELOW
    ]
    states = [
        {"area": a, "level": lv, "state": hidden_name if v is None else none_name}
        for a, lv, v in cells
        if v is None or v < NO_SHORTAGE_BELOW
    ]
    hidden = [{"area": a, "level": lv, "mark": "–"} for a, lv, v in cells if v is None]
    outline = {"type": "rect", "stroke": "#aab3bd", "strokeWidth": 0.5}
    layers: list[dict[str, Any]] = []
    if short or not states:  # no empty gradient legend when no cell has a shortage
        layers.append(
            {
                "data": {"values": short},
                "mark": outline,
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "shortage",
                        "type": "quantitative",
                        "title": gettext("Mean shortage"),
                        "scale": SHORTAGE_SCALE,
                    },
                },
            }
        )
    if states:
        present = [n for n in (none_name, hidden_name) if any(s["state"] == n for s in states)]
        colours = {none_name: NO_SHORTAGE_COLOUR, hidden_name: SUPPRESSED_COLOUR}
        layers.append(
            {
                "data": {"values": states},
                "mark": outline,
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "state",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": present, "range": [colours[n] for n in present]},
                        "legend": {"symbolStrokeColor": "#aab3bd", "symbolStrokeWidth": 1},
                    },
                },
            }
        )
    if hidden:
        layers.append(
            {
                "data": {"values": hidden},
                "mark": {"type": "text", "color": "#444444"},
                "encoding": {"x": x, "y": y, "text": {"field": "mark"}},
            }
        )
    return layers


def zero_line_layers(*, surplus: bool) -> list[dict[str, Any]]:
    """For a chart of the gap (openings minus supply): a line at zero, "shortage" written above
    it and, if ``surplus`` (some gap is below zero), "surplus" below it."""
    label = {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "fontWeight": "bold"}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": [{}]},
            "mark": {"type": "rule", "color": "#5a6573"},
            "encoding": {"y": {"datum": 0}},
        },
        {
            "data": {"values": [{}]},
            "mark": {**label, "baseline": "bottom", "dy": -3, "color": "#a4262c"},
            "encoding": {
                "x": {"value": 0},
                "y": {"datum": 0},
                "text": {"value": gettext("↑ Shortage: openings above supply")},
            },
        },
    ]
    if surplus:
        layers.append(
            {
                "data": {"values": [{}]},
                "mark": {**label, "baseline": "top", "dy": 3, "color": "#1f7a3a"},
                "encoding": {
                    "x": {"value": 0},
                    "y": {"datum": 0},
                    "text": {"value": gettext("↓ Surplus: supply above openings")},
                },
            }
        )
    return layers
