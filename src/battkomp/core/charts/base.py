"""What every chart shares: the Vega-Lite version and configuration, the colours, the rendered
:class:`Chart` with its data table, and the generic spec builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext

VL_VERSION = "5.21"


SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched


SUPPLY_METRICS = ("supply_education", "supply_retraining", "supply_recruitment")


HORIZON_COLOURS = ("#1b7837", "#5aae61", "#f1a340", "#b2182b")


SERIES_COLOURS = ("#2166ac", "#1b7837", "#b2182b")  # openings, supply, gap


#: d3-format's numbers in bokmål: decimal comma, a no-break space between thousands.
NB_FORMAT = {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0kr"]}


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
            "legend": legend,
        },
    }
    if not lines:
        encoding["order"] = {"field": "rank", "type": "quantitative"}
    return vega_spec(
        width=width,
        height=height,
        data={"values": points},
        mark={"type": "line", "point": True} if lines else {"type": "bar"},
        encoding=encoding,
    )


def num(value: Any) -> float | None:
    return None if value is None else float(value)


def ordered_present(present: Sequence[str], order: Sequence[str]) -> list[str]:
    known = [c for c in order if c in present]
    return known + sorted(set(present) - set(known))


def horizon_labels() -> dict[str, str]:
    return {
        "short": gettext("Short term: recruit"),
        "medium": gettext("Medium term: retrain"),
        "long": gettext("Long term: educate"),
        "none": gettext("No lever in time"),
    }
