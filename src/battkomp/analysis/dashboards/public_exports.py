"""The downloads of the public dashboard's views: the header and the published rows of each view
(suppressed rows left out), for CSV and XLSX."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.dashboards.public_rows import (
    abroad_rows,
    bottleneck_table,
    commandment_name,
    coverage_rows,
    exceedance_rows,
    heatmap_table,
    level_table,
    lever_names,
    measure_gap_rows,
    measure_names,
    measure_supply_rows,
    national_table,
    place_rows,
    reason_text,
    recommendation_rows,
    risk_rows,
    scenario_rows,
    squeeze_rows,
)
from battkomp.analysis.models import Publication
from battkomp.core import charts
from battkomp.core.bilingual import marked
from battkomp.core.codes import label, taxonomy

Export = tuple[list[str], list[list[Any]]]


#: One column of a download: its header and how a row of the view's table gives its value.
Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _field(name: str, header: str | None = None, blank: bool = False) -> Column:
    """The table's column ``name`` (under ``header``); with ``blank``, an empty value as ''."""
    if blank:
        return header or name, lambda r: r[name] or ""
    return header or name, lambda r: r[name]


def _coded(kind: str, name: str | None = None) -> list[Column]:
    """A code column and its name in the page's language (``<kind>``, ``<kind>_name``)."""
    column = name or kind
    return [(kind, lambda r: r[column]), (f"{kind}_name", lambda r: label(kind, r[column]))]


def _stats(prefix: str, stats: Sequence[str] = ("mean", "p10", "p50", "p90")) -> list[Column]:
    """The table's statistics columns, named ``<prefix>_<stat>`` in the download."""
    return [_field(st, f"{prefix}_{st}") for st in stats]


def _export(table: pl.DataFrame, columns: Sequence[Column]) -> Export:
    """A download: the columns' headers, and one row per row of ``table``."""
    columns = list(columns)
    if "quality" in table.columns and all(name != "quality" for name, _get in columns):
        columns.append(_field("quality"))  # the row's noise flag (docs/model.md)
    header = [name for name, _get in columns]
    rows = [[get(r) for _name, get in columns] for r in table.iter_rows(named=True)]
    return header, rows


def _national_export(table: pl.DataFrame) -> Export:
    return _export(table, [_field(c) for c in ("year", "metric", "mean", "p10", "p50", "p90")])


def _levels_export(table: pl.DataFrame) -> Export:
    return _export(
        table, [_field("year"), *_coded("level"), *_stats("shortage", ("mean", "p10", "p90"))]
    )


def _bottlenecks_export(table: pl.DataFrame) -> Export:
    parents = taxonomy().area_parent
    header, rows = _export(
        table,
        [
            *_coded("area"),
            ("group", lambda r: parents.get(r["area"], "")),
            _field("shortage", "shortage_mean_summed"),
            _field("years"),
        ],
    )
    return ["rank", *header], [[i, *row] for i, row in enumerate(rows, start=1)]


def _heatmap_export(table: pl.DataFrame) -> Export:
    return _export(table, [_field("year"), *_coded("area"), *_coded("level"), *_stats("shortage")])


def _squeeze_export(table: pl.DataFrame) -> Export:
    names = charts.horizon_labels()
    return _export(
        table,
        [
            _field("year"),
            _field("horizon"),
            ("horizon_name", lambda r: names.get(r["horizon"], r["horizon"])),
            _field("levels"),
            _field("shortage_mean"),
        ],
    )


def _coverage_export(table: pl.DataFrame) -> Export:
    def segment_name(r: dict[str, Any]) -> str:
        return label("segment", r["segment"]) if r["segment"] else gettext("All segments")

    return _export(
        table,
        [
            _field("year"),
            _field("segment", blank=True),
            ("segment_name", segment_name),
            *[_field(c) for c in ("openings", "supply", "gap", "reported_share")],
        ],
    )


def _place_export(table: pl.DataFrame, column: str) -> Export:
    return _export(table, [_field("year"), *_coded(column), _field("mean", "gap")])


def _scenarios_export(table: pl.DataFrame) -> Export:
    header = [
        "scenario",
        "scenario_name",
        "version",
        "year",
        "gap_mean",
        "gap_p10",
        "gap_p50",
        "gap_p90",
    ]
    return header, [list(r) for r in table.iter_rows()]


def _measures_export(gaps: pl.DataFrame, supply: pl.DataFrame) -> Export:
    header = ["year", "series", "name", "value", "cells_suppressed"]
    names = charts.metric_labels(("gap", "gap_without_measures"))
    rows: list[list[Any]] = [
        [r["year"], r["metric"], names[r["metric"]], r["mean"], ""]
        for r in gaps.iter_rows(named=True)
    ]
    found = measure_names(sorted(set(supply["measure"].to_list()))) if supply.height else {}
    rows += [
        [r["year"], r["measure"], marked(found[r["measure"]]["name"]), r["supply"], r["hidden"]]
        for r in supply.iter_rows(named=True)
    ]
    return header, sorted(rows, key=lambda r: (r[0], r[1] not in names, r[1]))


def _abroad_export(rows: pl.DataFrame) -> Export:
    return _export(
        rows,
        [
            _field("year"),
            *_coded("level"),
            *_coded("area"),
            *[_field(c) for c in ("need", "recruited", "unmet", "lead_time_months")],
            _field("channels", blank=True),
        ],
    )


def _recommendations_export(rows: pl.DataFrame) -> Export:
    levers = lever_names()
    return _export(
        rows,
        [
            _field("year"),
            *_coded("level"),
            *_coded("area"),
            _field("horizon"),
            ("lever", lambda r: levers.get(r["lever"] or "", r["lever"] or "")),
            _field("commandment"),
            ("commandment_name", lambda r: commandment_name(r["commandment"])),
            _field("rule", blank=True),
            ("reason", reason_text),
            _field("offers", blank=True),
            _field("measures", blank=True),
            _field("shortage", "shortage_mean"),
        ],
    )


#: The columns of the risk view's download: the conditional views, then the exceedance rows.
RISK_HEADER = [
    "view",
    "facility",
    "facility_name",
    "probability",
    "shortage_p50",
    "shortage_p10",
    "shortage_p90",
    "shortage_mean",
    "effect",
    "year",
    "threshold",
    "exceedance_probability",
]


def _risk_export(conditional: pl.DataFrame, exceedance: pl.DataFrame) -> Export:
    """The conditional views, then the probabilities of exceeding each threshold."""
    views = RISK_HEADER[: RISK_HEADER.index("year")]
    rows: list[list[Any]] = [
        [r.get(c) for c in views] + [None, None, None] for r in conditional.iter_rows(named=True)
    ]
    for r in exceedance.iter_rows(named=True):
        rows.append(
            ["exceedance", *[None] * (len(views) - 1), r["year"], r["threshold"], r["probability"]]
        )
    return list(RISK_HEADER), rows


def _shown(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(~pl.col("suppressed")) if table.height else table


def view_export(p: Publication, view: str, f: dict[str, Any]) -> Export:
    """The header and rows of a view's download (published numbers only)."""
    if view == "national":
        return _national_export(national_table(p, f))
    if view == "levels":
        return _levels_export(level_table(p, f))
    if view == "bottlenecks":
        return _bottlenecks_export(bottleneck_table(p, f))
    if view == "heatmap":
        return _heatmap_export(_shown(heatmap_table(p, f)[1]))
    if view == "squeeze":
        return _squeeze_export(squeeze_rows(p, f))
    if view == "coverage":
        return _coverage_export(_shown(coverage_rows(p, f)[1]))
    if view in ("segments", "regions"):
        column = "segment" if view == "segments" else "region"
        return _place_export(place_rows(p, f, column), column)
    if view == "measures":
        return _measures_export(measure_gap_rows(p, f), measure_supply_rows(p, f))
    if view == "risk":
        return _risk_export(risk_rows(p), exceedance_rows(p))
    if view == "abroad":
        return _abroad_export(_shown(abroad_rows(p, f)))
    if view == "recommendations":
        return _recommendations_export(recommendation_rows(p, f))
    return _scenarios_export(scenario_rows(p, f))
