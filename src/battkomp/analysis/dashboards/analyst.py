"""The analysts' dashboard of one model run: everything the run computed, UNPROTECTED.

Unlike the public dashboard (:mod:`battkomp.analysis.dashboards.public`, protected tables only),
this page shows the run's own frames: national totals, by education level, by competence area, area
× level (from ``national``), the time squeeze, by segment, by region, the survey's coverage, a
summary of the detail table and the drivers of the uncertainty, each as a chart (SVG from
:mod:`battkomp.core.charts`) with its table and a CSV or XLSX download of the whole frame.

The frames hold companies' answers without disclosure control, so only analysts and
administrators see it (everyone else gets 404; anonymous visitors are sent to log in, as on the
run page), and every view and every download is logged with
:func:`battkomp.accounts.actions.log_access` (what, which run, who).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from battkomp.accounts.actions import log_access
from battkomp.analysis.access import access_run_for_user
from battkomp.analysis.models import ModelRun, RunStatus
from battkomp.analysis.runs.queries import load_frames
from battkomp.core import charts
from battkomp.core.codes import codes, label
from battkomp.core.numbers import format_number
from battkomp.core.terms import driver_name
from battkomp.workbooks.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, table_file

FORMATS = ("csv", "xlsx")
#: The views, in the order shown, with the frames each reads.
VIEW_FRAMES: dict[str, tuple[str, ...]] = {
    "totals": ("totals",),
    "by_level": ("by_level",),
    "by_area": ("by_area",),
    "area_level": ("national",),
    "time_squeeze": ("time_squeeze", "squeeze_summary"),
    "by_segment": ("by_segment",),
    "by_region": ("by_region",),
    "coverage": ("coverage",),
    "detail": ("detail",),
    "drivers": ("drivers",),
}
VIEWS = tuple(VIEW_FRAMES)
VIEW_TITLES = {
    "totals": _("National totals"),
    "by_level": _("By education level"),
    "by_area": _("By competence area"),
    "area_level": _("Competence area × education level"),
    "time_squeeze": _("Time squeeze"),
    "by_segment": _("By value-chain segment"),
    "by_region": _("By region"),
    "coverage": _("Survey coverage"),
    "detail": _("Detail: by kind of demand"),
    "drivers": _("Drivers of the uncertainty"),
}
TOP_DRIVERS = 15
DETAIL_VALUES = ("headcount", "openings", "supply", "gap")
VIEW_ACTION = "run_dashboard_view"
DOWNLOAD_ACTION = "run_dashboard_download"


@dataclass
class View:
    """One view: its charts, its table (text, is a number) and the frame to download."""

    key: str
    title: str
    charts: list[tuple[str, charts.Chart]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, bool]]] = field(default_factory=list)
    export: pl.DataFrame | None = None
    years: list[int] = field(default_factory=list)
    year: int | None = None


def _cell(value: Any) -> tuple[str, bool]:
    if value is None:
        return "–", True
    if isinstance(value, bool):
        return (gettext("yes") if value else gettext("no")), False
    if isinstance(value, int):
        return format_number(value, 0), True
    if isinstance(value, float):
        if abs(value) < 10 and value != int(value):
            return format_number(value, 2), True
        return format_number(round(value), 0), True
    return str(value), False


def _ordered(present: list[str], kind: str) -> list[str]:
    try:
        order = list(codes(kind))
    except KeyError:
        order = []
    return [c for c in order if c in present] + sorted(set(present) - set(order))


def _pivot(
    frame: pl.DataFrame, row: str, column: str, value: str, columns: list[str]
) -> dict[Any, dict[str, float | None]]:
    out: dict[Any, dict[str, float | None]] = {}
    for r in frame.select(row, column, value).iter_rows():
        out.setdefault(r[0], dict.fromkeys(columns))[str(r[1])] = r[2]
    return dict(sorted(out.items(), key=lambda kv: (kv[0] is None, kv[0])))


# ----------------------------------------------------------------------------- chart specs


def _series_chart(
    name: str,
    points: list[dict[str, Any]],
    order: list[str],
    *,
    mark: str,
    y_title: str,
    description: str,
    columns: tuple[str, ...],
    rows: tuple[charts.Row, ...],
) -> charts.Chart:
    """Per year one value per series: stacked bars (``mark="bar"``) or lines."""
    spec = charts.year_series_spec(
        points,
        order,
        lines=mark == "line",
        y_title=y_title,
        legend={"orient": "top", "columns": 3, "labelLimit": 220},
    )
    svg = charts.render_svg(spec, name=name, description=description)
    return charts.Chart(name, svg, description, columns, rows)


def _by_year_chart(
    name: str,
    frame: pl.DataFrame,
    column: str,
    kind: str | None,
    value: str,
    *,
    mark: str,
    y_title: str,
    description: str,
) -> charts.Chart:
    """A chart of ``value`` per year, one series per code of ``column``."""
    present = [str(c) for c in frame[column].unique().to_list() if c is not None]
    keys = _ordered(present, kind) if kind else sorted(present)
    names = [label(kind, k) if kind else k for k in keys]
    table = _pivot(frame.filter(pl.col(column).is_not_null()), "year", column, value, keys)
    points = [
        {"year": str(y), "series": names[i], "value": float(v), "rank": i}
        for y, cells in table.items()
        for i, k in enumerate(keys)
        for v in [cells.get(k)]
        if v is not None
    ]
    rows = tuple((str(y), [cells.get(k) for k in keys]) for y, cells in table.items())
    return _series_chart(
        name,
        points,
        names,
        mark=mark,
        y_title=y_title,
        description=description,
        columns=(gettext("Year"), *names),
        rows=rows,
    )


def _heatmap(
    name: str, values: dict[tuple[str, str], float], year: int, description: str
) -> charts.Chart:
    """Competence areas (rows) × education levels (columns): the mean gap in one year, blue
    for a surplus and red for a shortage."""
    levels = _ordered(sorted({lv for _, lv in values}), "level")
    areas = _ordered(sorted({a for a, _ in values}), "area")
    level_names = [label("level", lv) for lv in levels]
    area_names = [label("area", a) for a in areas]
    points = [
        {"area": area_names[i], "level": level_names[j], "gap": values[(a, lv)]}
        for i, a in enumerate(areas)
        for j, lv in enumerate(levels)
        if (a, lv) in values
    ]
    spec = {
        "$schema": charts.SCHEMA,
        "config": charts.CONFIG,
        "data": {"values": points},
        "width": {"step": 110},
        "height": {"step": 20},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {
                "field": "level",
                "type": "nominal",
                "sort": level_names,
                "title": gettext("Education level"),
                "axis": {"orient": "top", "labelAngle": 0, "labelLimit": 106},
            },
            "y": {
                "field": "area",
                "type": "nominal",
                "sort": area_names,
                "title": gettext("Competence area"),
                "axis": {"labelLimit": 360},
            },
            "color": {
                "field": "gap",
                "type": "quantitative",
                "title": gettext("Mean gap, %(year)s") % {"year": year},
                "scale": {"scheme": "redblue", "reverse": True, "domainMid": 0},
            },
        },
    }
    svg = charts.render_svg(spec, name=name, description=description)
    rows = tuple(
        (area_names[i], [values.get((a, lv)) for lv in levels]) for i, a in enumerate(areas)
    )
    return charts.Chart(name, svg, description, (gettext("Competence area"), *level_names), rows)


def _bars(
    name: str, items: list[tuple[str, float]], x_title: str, description: str
) -> charts.Chart:
    """Horizontal bars, in the order given."""
    points = [{"name": n, "value": v} for n, v in items]
    spec = {
        "$schema": charts.SCHEMA,
        "config": charts.CONFIG,
        "data": {"values": points},
        "width": 420,
        "height": {"step": 20},
        "mark": {"type": "bar", "color": charts.SERIES_COLOURS[0]},
        "encoding": {
            "y": {
                "field": "name",
                "type": "nominal",
                "sort": [n for n, _ in items],
                "title": None,
                "axis": {"labelLimit": 360},
            },
            "x": {"field": "value", "type": "quantitative", "title": x_title},
        },
    }
    svg = charts.render_svg(spec, name=name, description=description)
    return charts.Chart(name, svg, description, ("", x_title), tuple((n, [v]) for n, v in items))


# ------------------------------------------------------------------------------------- views


def _years_of(frame: pl.DataFrame) -> list[int]:
    return sorted({int(y) for y in frame["year"].unique().to_list()})


def _pick_year(years: list[int], wanted: str | None) -> int | None:
    if not years:
        return None
    try:
        year = int(wanted or "")
    except ValueError:
        return years[-1]
    return year if year in years else years[-1]


def view_totals(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    totals = frames["totals"]
    view.charts.append(
        (
            gettext(
                "National openings, supply and gap per year (means), with the gap's P10–P90 band"
            ),
            charts.gap_band_chart(totals),
        )
    )
    metrics = list(dict.fromkeys(totals["metric"].to_list()))
    table = _pivot(totals, "year", "metric", "mean", metrics)
    view.columns = [gettext("Year"), *[label("metric", m) for m in metrics]]
    view.rows = [[(str(y), True), *[_cell(c[m]) for m in metrics]] for y, c in table.items()]
    view.export = totals


def view_by_level(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    frame = frames["by_level"]
    shortage = frame.filter(pl.col("metric") == "shortage").select("year", "level", "mean")
    view.charts.append(
        (
            gettext("Mean shortage per year by education level"),
            charts.level_shortage_chart(shortage),
        )
    )
    levels = _ordered([str(x) for x in frame["level"].unique().to_list()], "level")
    table = _pivot(shortage, "year", "level", "mean", levels)
    view.columns = [gettext("Year"), *[label("level", lv) for lv in levels]]
    view.rows = [[(str(y), True), *[_cell(c[lv]) for lv in levels]] for y, c in table.items()]
    view.export = frame


def view_by_area(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    frame = frames["by_area"]
    summed = (
        frame.filter(pl.col("metric").is_in(["openings", "supply", "gap", "shortage"]))
        .group_by("area")
        .agg(
            *[
                pl.col("mean").filter(pl.col("metric") == m).sum().alias(m)
                for m in ("openings", "supply", "gap", "shortage")
            ]
        )
        .sort(["shortage", "area"], descending=[True, False])
    )
    view.charts.append(
        (
            gettext("Competence areas by their mean shortage, summed over the years"),
            charts.bottleneck_chart(summed.select("area", "shortage")),
        )
    )
    view.columns = [
        gettext("Competence area"),
        label("metric", "openings"),
        label("metric", "supply"),
        label("metric", "gap"),
        label("metric", "shortage"),
    ]
    view.rows = [
        [
            (label("area", r["area"]), False),
            *[_cell(r[m]) for m in ("openings", "supply", "gap", "shortage")],
        ]
        for r in summed.iter_rows(named=True)
    ]
    view.export = frame


def view_area_level(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    frame = frames["national"]
    view.years = _years_of(frame)
    view.year = _pick_year(view.years, year)
    cells = frame.filter((pl.col("year") == view.year) & (pl.col("metric") == "gap"))
    values = {
        (str(a), str(lv)): float(v) for a, lv, v in cells.select("area", "level", "mean").rows()
    }
    description = gettext(
        "Heatmap: the mean gap in %(year)s by competence area (rows) and education level "
        "(columns); red is a shortage, blue a surplus."
    ) % {"year": view.year}
    chart = _heatmap("area-level", values, view.year or 0, description)
    view.charts.append(
        (
            gettext("Mean gap by competence area and education level in %(year)s")
            % {"year": view.year},
            chart,
        )
    )
    view.columns = list(chart.columns)
    view.rows = [[(h, False), *[_cell(v) for v in vs]] for h, vs in chart.rows]
    view.export = frame


def view_time_squeeze(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    cells, summary = frames["time_squeeze"], frames["squeeze_summary"]
    view.years = _years_of(cells)
    view.year = _pick_year(view.years, year)
    chart = charts.squeeze_chart(summary)
    view.charts.append(
        (gettext("The expected shortage per year by the horizon that must carry it"), chart)
    )
    if view.year is not None:
        view.charts.append(
            (
                gettext("Mean shortage by competence area and education level in %(year)s")
                % {"year": view.year},
                charts.shortage_heatmap_chart(cells, view.year),
            )
        )
    view.columns = list(chart.columns)
    view.rows = [[(h, True), *[_cell(v) for v in vs]] for h, vs in chart.rows]
    view.export = cells


Builder = Callable[[dict[str, pl.DataFrame], View, str | None], None]


def _group_view(column: str, kind: str) -> Builder:
    def build(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
        frame = frames[f"by_{column}"]
        description = gettext(
            "Line chart: the gap per year (means of the draws), one line for each %(what)s."
        ) % {"what": view.title.lower()}
        view.charts.append(
            (
                gettext("Gap per year (means of the draws)"),
                _by_year_chart(
                    f"gap-{column}",
                    frame,
                    column,
                    kind,
                    "gap",
                    mark="line",
                    y_title=label("metric", "gap"),
                    description=description,
                ),
            )
        )
        present = [str(c) for c in frame[column].unique().to_list() if c is not None]
        keys = _ordered(present, kind)
        summed = frame.group_by(column).agg(
            *[pl.col(v).sum() for v in ("headcount", "openings", "supply", "gap")]
        )
        by_code = {str(r[column]): r for r in summed.iter_rows(named=True)}
        view.columns = [
            view.title,
            gettext("Headcount, summed over the years"),
            label("metric", "openings"),
            label("metric", "supply"),
            label("metric", "gap"),
        ]
        view.rows = [
            [
                (label(kind, k), False),
                *[_cell(by_code[k][v]) for v in ("headcount", "openings", "supply", "gap")],
            ]
            for k in keys
        ]
        view.export = frame

    return build


def view_coverage(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    frame = frames["coverage"]
    names = {
        "reported_openings": gettext("Reported"),
        "carried_forward_openings": gettext("Carried forward"),
        "imputed_openings": gettext("Imputed"),
    }
    order = list(names.values())
    points = [
        {"year": str(r["year"]), "series": names[k], "value": float(r[k] or 0.0), "rank": i}
        for r in frame.iter_rows(named=True)
        for i, k in enumerate(names)
    ]
    rows = tuple((str(r["year"]), [r[k] for k in names]) for r in frame.iter_rows(named=True))
    chart = _series_chart(
        "coverage",
        points,
        order,
        mark="bar",
        y_title=label("metric", "openings"),
        description=gettext(
            "Stacked bar chart: openings per year, reported, carried forward and imputed."
        ),
        columns=(gettext("Year"), *order),
        rows=rows,
    )
    view.charts.append((gettext("Openings per year by where they come from"), chart))
    view.columns = [gettext("Year"), *order, gettext("Coverage")]
    view.rows = [
        [(str(r["year"]), True), *[_cell(r[k]) for k in names], _cell(r["coverage"])]
        for r in frame.iter_rows(named=True)
    ]
    view.export = frame


def detail_summary(detail: pl.DataFrame) -> pl.DataFrame:
    """The detail table summed per year and kind of demand (reported, carried forward, imputed,
    unallocated supply)."""
    return (
        detail.group_by("year", "kind")
        .agg(*[pl.col(v).sum() for v in DETAIL_VALUES], pl.len().alias("rows"))
        .sort("year", "kind")
    )


def view_detail(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    summary = detail_summary(frames["detail"])
    description = gettext("Stacked bar chart: openings per year by kind of demand.")
    chart = _by_year_chart(
        "detail",
        summary,
        "kind",
        None,
        "openings",
        mark="bar",
        y_title=label("metric", "openings"),
        description=description,
    )
    view.charts.append((gettext("Openings per year by kind of demand (central run)"), chart))
    names = {
        "headcount": label("metric", "headcount"),
        "openings": label("metric", "openings"),
        "supply": label("metric", "supply"),
        "gap": label("metric", "gap"),
    }
    view.columns = [gettext("Year"), gettext("Kind"), *[names[v] for v in DETAIL_VALUES]]
    view.columns.append(gettext("Rows"))
    view.rows = [
        [
            (str(r["year"]), True),
            (str(r["kind"]), False),
            *[_cell(r[v]) for v in DETAIL_VALUES],
            _cell(r["rows"]),
        ]
        for r in summary.iter_rows(named=True)
    ]
    view.export = summary


def _facility_names() -> dict[str, str]:
    """The registered facilities' names by their id in a bundle (the drivers name them so)."""
    from battkomp.analysis.runs.bundle_export import facility_id
    from battkomp.organisations.models import Facility

    return {facility_id(f): f.name for f in Facility.objects.all()}


def _named_drivers(frame: pl.DataFrame) -> pl.DataFrame:
    """The drivers with their names in the active language beside their codes: ``driver_name``
    and ``kind_name`` (terms.DRIVERS; a facility by its registered name)."""
    facilities = _facility_names()
    drivers = frame["driver"].cast(pl.Utf8).to_list()
    kinds = frame["kind"].cast(pl.Utf8).to_list()
    return frame.with_columns(
        pl.Series("driver_name", [driver_name(d, facilities) for d in drivers], pl.Utf8),
        pl.Series("kind_name", [label("driver", k) for k in kinds], pl.Utf8),
    ).select(
        "rank",
        "driver",
        "driver_name",
        "kind",
        "kind_name",
        *[c for c in frame.columns if c not in {"rank", "driver", "kind"}],
    )


def view_drivers(frames: dict[str, pl.DataFrame], view: View, year: str | None) -> None:
    frame = _named_drivers(frames["drivers"])
    top = frame.head(TOP_DRIVERS)
    if "first_order" not in frame.columns:
        # a run from before the variance-based ranking: its drivers are ranked by Spearman's rho
        items = [(str(r["driver_name"]), float(r["spearman"])) for r in top.iter_rows(named=True)]
        description = gettext(
            "Bar chart: the inputs whose draws go most with the total shortage (Spearman's rank "
            "correlation)."
        )
        view.charts.append(
            (
                gettext("The largest drivers of the total shortage"),
                _bars("drivers", items, gettext("Spearman's rank correlation"), description),
            )
        )
        view.columns = [
            gettext("Rank"),
            gettext("Driver"),
            gettext("Kind"),
            gettext("Spearman's rank correlation"),
        ]
        view.rows = [
            [
                _cell(r["rank"]),
                (str(r["driver_name"]), False),
                (str(r["kind_name"]), False),
                _cell(r["spearman"]),
            ]
            for r in frame.iter_rows(named=True)
        ]
        view.export = frame
        return
    items = [(str(r["driver_name"]), float(r["first_order"])) for r in top.iter_rows(named=True)]
    description = gettext(
        "Bar chart: the inputs that explain the largest share of the variance of the total "
        "shortage on their own (first-order variance share)."
    )
    view.charts.append(
        (
            gettext("The largest drivers of the total shortage"),
            _bars("drivers", items, gettext("Share of the variance explained"), description),
        )
    )
    view.columns = [
        gettext("Rank"),
        gettext("Driver"),
        gettext("Kind"),
        gettext("Share of the variance explained"),
        gettext("Effect on the total shortage"),
        gettext("Spearman's rank correlation"),
    ]
    view.rows = [
        [
            _cell(r["rank"]),
            (str(r["driver_name"]), False),
            (str(r["kind_name"]), False),
            _cell(r["first_order"]),
            _cell(r["effect"]),
            _cell(r["spearman"]),
        ]
        for r in frame.iter_rows(named=True)
    ]
    view.export = frame


BUILDERS: dict[str, Builder] = {
    "totals": view_totals,
    "by_level": view_by_level,
    "by_area": view_by_area,
    "area_level": view_area_level,
    "time_squeeze": view_time_squeeze,
    "by_segment": _group_view("segment", "segment"),
    "by_region": _group_view("region", "region"),
    "coverage": view_coverage,
    "detail": view_detail,
    "drivers": view_drivers,
}


def build_view(run: ModelRun, key: str, year: str | None = None) -> View | None:
    """One view of a finished run (None when the run has not stored the frames it needs)."""
    names = VIEW_FRAMES[key]
    frames = load_frames(run, list(names))
    if any(n not in frames for n in names):
        return None
    view = View(key, str(VIEW_TITLES[key]))
    BUILDERS[key](frames, view, year)
    return view


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists as "; "-joined text (CSV and XLSX cells hold no lists)."""
    return frame.with_columns(
        [pl.col(c).list.join("; ") for c, dt in frame.schema.items() if isinstance(dt, pl.List)]
    )


def _download(run: ModelRun, view: View, fmt: str) -> HttpResponse:
    assert view.export is not None
    frame = _flat(view.export)
    header = list(frame.columns)
    rows = [list(r) for r in frame.iter_rows()]
    filename = f"battkomp-run-{run.pk}-{view.key}.{fmt}"
    content_type = CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
    response = HttpResponse(table_file(fmt, header, rows, view.key[:31]), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
@never_cache
def run_dashboard(request: HttpRequest, run_id: int) -> HttpResponse:
    """?view=<view> (default: the first), ?year= for the views by year, ?format=csv|xlsx to
    download the view's frame. Analysts and administrators only; every view and download is
    logged."""
    run = access_run_for_user(request.user, run_id)
    key = request.GET.get("view") or VIEWS[0]
    fmt = request.GET.get("format")
    if key not in VIEWS or (fmt is not None and fmt not in FORMATS):
        raise Http404
    year = request.GET.get("year")
    view = build_view(run, key, year) if run.status == RunStatus.DONE else None
    if fmt is not None:
        if view is None or view.export is None:
            raise Http404
        log_access(request.user, DOWNLOAD_ACTION, run, None, f"view={key} format={fmt}")
        return _download(run, view, fmt)
    detail = f"view={key}" + (f" year={view.year}" if view is not None and view.year else "")
    log_access(request.user, VIEW_ACTION, run, None, detail)
    context = {
        "run": run,
        "view": view,
        "key": key,
        "views": [(k, VIEW_TITLES[k]) for k in VIEWS],
        "formats": FORMATS,
    }
    return render(request, "analysis/dashboards/analyst_dashboard.html", context)
