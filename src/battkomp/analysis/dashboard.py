"""The public dashboard of a published snapshot: charts and their tables, built only from the
publication's protected tables (see :mod:`battkomp.analysis.publishing`), never from a run.

Views (:data:`VIEWS`): the national gap band (``totals``), shortage by level (``by_level``), the
largest bottlenecks (``by_area``), the heatmap of shortage by competence area × level
(``by_area_level``), the time squeeze (``squeeze``), value-chain coverage by segment
(``coverage``), the gap by segment and by county (``by_segment``, ``by_region``) and the
scenario comparison (the ``totals`` of the latest published snapshot of each scenario). A view
whose table the snapshot lacks (published before the table existed) is left out.

Suppressed cells are never shown as numbers: suppressed years and cells are left out of the
charts and the downloads, and are "–" in the tables beside the charts. Filters (year range,
education level, competence area group, segment, county) are applied to the protected tables;
each view can be downloaded as CSV or XLSX with ``?view=<view>&format=csv|xlsx`` on the
dashboard's address.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from battkomp.analysis.access import access_publication, publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.core import charts
from battkomp.core.codes import codes, label, taxonomy
from battkomp.exchange.exporters import CSV_CONTENT_TYPE, to_csv, to_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
#: The dashboard's views, in the order shown.
VIEWS = (
    "national",
    "levels",
    "bottlenecks",
    "heatmap",
    "squeeze",
    "coverage",
    "segments",
    "regions",
    "scenarios",
)
#: The protected table each view is built from.
VIEW_TABLES = {
    "national": "totals",
    "levels": "by_level",
    "bottlenecks": "by_area",
    "heatmap": "by_area_level",
    "squeeze": "squeeze",
    "coverage": "coverage",
    "segments": "by_segment",
    "regions": "by_region",
    "scenarios": "totals",
}
TOP = 10
NATIONAL_METRICS = ("openings", "supply", "gap")
STATS = ("mean", "p10", "p50", "p90")
HORIZON_ORDER = ("short", "medium", "long", "none")


def area_groups() -> list[str]:
    """The parent competence areas (groups), in the code list's order."""
    parents = taxonomy().area_parent
    out: list[str] = []
    for area in codes("area"):
        if parents.get(area) and parents[area] not in out:
            out.append(parents[area])
    return out


def _label(kind: str, code: str) -> str:
    try:
        return label(kind, code) or code
    except KeyError:
        return code


class DashboardFilters(forms.Form):
    year_from = forms.TypedChoiceField(label=_("From year"), required=False, coerce=int)
    year_to = forms.TypedChoiceField(label=_("To year"), required=False, coerce=int)
    level = forms.ChoiceField(label=_("Education level"), required=False)
    group = forms.ChoiceField(label=_("Competence area group"), required=False)
    segment = forms.ChoiceField(label=_("Value-chain segment"), required=False)
    region = forms.ChoiceField(label=_("County"), required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_choices = [("", gettext("All"))] + [(str(y), str(y)) for y in years]
        self.fields["year_from"].choices = year_choices
        self.fields["year_to"].choices = year_choices
        self.fields["level"].choices = [("", gettext("All levels"))] + [
            (c, _label("level", c)) for c in codes("level")
        ]
        self.fields["group"].choices = [("", gettext("All areas"))] + [
            (g, _label("area", g)) for g in area_groups()
        ]
        self.fields["segment"].choices = [("", gettext("All segments"))] + [
            (c, _label("segment", c)) for c in codes("segment")
        ]
        self.fields["region"].choices = [("", gettext("All counties"))] + [
            (c, _label("region", c)) for c in codes("region")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lo, hi = data.get("year_from"), data.get("year_to")
        if lo not in (None, "") and hi not in (None, "") and lo > hi:
            self.add_error("year_to", gettext("The last year must not come before the first."))
        return data


def _published(table: pl.DataFrame) -> pl.DataFrame:
    """The table without its suppressed rows (whole years in the model tables)."""
    return table.filter(~pl.col("suppressed") & pl.col("mean").is_not_null())


def _years(table: pl.DataFrame, f: dict[str, Any]) -> pl.DataFrame:
    lo, hi = f.get("year_from"), f.get("year_to")
    if lo not in (None, ""):
        table = table.filter(pl.col("year") >= lo)
    if hi not in (None, ""):
        table = table.filter(pl.col("year") <= hi)
    return table


def _table(p: Publication, name: str) -> pl.DataFrame | None:
    """A protected table of the snapshot, or None when the snapshot has none (older ones)."""
    try:
        return p.table(name)
    except KeyError:
        return None


def _in_group(table: pl.DataFrame, f: dict[str, Any]) -> pl.DataFrame:
    if not f.get("group"):
        return table
    parents = taxonomy().area_parent
    return table.filter(pl.col("area").is_in([a for a, g in parents.items() if g == f["group"]]))


def national_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """Openings, supply and gap per published year (mean and band)."""
    totals = _published(p.table("totals")).filter(pl.col("metric").is_in(NATIONAL_METRICS))
    return _years(totals, f).drop("suppressed").sort("year", "metric")


def level_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The mean shortage per published year and education level."""
    table = _published(p.table("by_level")).filter(pl.col("metric") == "shortage")
    if f.get("level"):
        table = table.filter(pl.col("level") == f["level"])
    order = {c: i for i, c in enumerate(codes("level"))}
    table = _years(table, f).drop("suppressed", "metric")
    return table.sort(["year", pl.col("level").replace_strict(order, default=len(order))])


def bottleneck_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The competence areas with the largest mean shortage summed over the published years."""
    table = _in_group(
        _years(_published(p.table("by_area")).filter(pl.col("metric") == "shortage"), f), f
    )
    summed = table.group_by("area").agg(
        pl.col("mean").sum().alias("shortage"), pl.col("year").n_unique().alias("years")
    )
    return summed.sort(["shortage", "area"], descending=[True, False]).head(TOP)


def _last_year(table: pl.DataFrame) -> int | None:
    return int(table["year"].max()) if table.height else None  # type: ignore[arg-type]


def heatmap_table(p: Publication, f: dict[str, Any]) -> tuple[int | None, pl.DataFrame]:
    """The cells of the mean shortage by competence area × level in one year, the last year of
    the range with any published cell; suppressed cells have a null ``mean``."""
    table = _table(p, "by_area_level")
    if table is None:
        return None, pl.DataFrame()
    cells = _in_group(_years(table.filter(pl.col("metric") == "shortage"), f), f)
    if f.get("level"):
        cells = cells.filter(pl.col("level") == f["level"])
    year = _last_year(_published(cells))
    if year is None:
        return None, pl.DataFrame()
    cells = cells.filter(pl.col("year") == year).with_columns(
        *[pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in STATS]
    )
    return year, cells.drop("metric").sort("area", "level")


def squeeze_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The published cells of the time squeeze: expected shortage per year and horizon."""
    table = _table(p, "squeeze")
    if table is None:
        return pl.DataFrame()
    rows = _years(table.filter(~pl.col("suppressed") & pl.col("shortage_mean").is_not_null()), f)
    order = {h: i for i, h in enumerate(HORIZON_ORDER)}
    return rows.drop("suppressed").sort(
        "year", pl.col("horizon").replace_strict(order, default=len(order))
    )


def coverage_rows(p: Publication, f: dict[str, Any]) -> tuple[int | None, pl.DataFrame]:
    """Every segment's openings, supply, gap and reported share (null where suppressed) in one
    year, and all segments together (``segment`` null; not with a segment filter): the last year
    of the range with a published segment and a published reported share above zero, else the
    last with a published segment."""
    table = _table(p, "coverage")
    if table is None:
        return None, pl.DataFrame()
    rows = _years(table, f)
    if f.get("segment"):
        rows = rows.filter(pl.col("segment") == f["segment"])
    segments = rows.filter(pl.col("segment").is_not_null() & ~pl.col("suppressed"))
    reported = rows.filter(~pl.col("suppressed") & (pl.col("reported_share") > 0))
    years = set(segments["year"].to_list())
    year = _last_year(reported.filter(pl.col("year").is_in(sorted(years)))) or _last_year(segments)
    if year is None:
        return None, pl.DataFrame()
    rows = rows.filter(pl.col("year") == year)
    order = {c: i for i, c in enumerate(codes("segment"))}
    return year, rows.sort(pl.col("segment").replace_strict(order, default=len(order)))


def place_rows(p: Publication, f: dict[str, Any], column: str) -> pl.DataFrame:
    """The published gap per year by segment (``column`` segment) or county (region)."""
    table = _table(p, f"by_{column}")
    if table is None:
        return pl.DataFrame()
    rows = _years(_published(table.filter(pl.col("metric") == "gap")), f)
    if f.get(column):
        rows = rows.filter(pl.col(column) == f[column])
    return rows.select("year", column, "mean").sort("year", column)


def scenario_of(p: Publication) -> str:
    return str(p.meta.get("scenario") or p.run.scenario_name)


def scenario_publications(p: Publication) -> list[Publication]:
    """The snapshot itself and the latest published snapshot of each other scenario (a model
    run's scenario: one scenario's name, "weighted" or "base")."""
    out = {scenario_of(p): p}
    for other in publications_for_anyone().select_related("run"):
        out.setdefault(scenario_of(other), other)
    return sorted(out.values(), key=lambda q: (q.pk != p.pk, scenario_of(q)))


def scenario_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The national gap (mean and band) per published year of each scenario's snapshot."""
    frames = []
    for q in scenario_publications(p):
        gap = _years(_published(q.table("totals")).filter(pl.col("metric") == "gap"), f)
        frames.append(
            gap.select(
                pl.lit(scenario_of(q)).alias("scenario"),
                pl.lit(q.version, pl.Int64).alias("version"),
                "year",
                "mean",
                "p10",
                "p50",
                "p90",
            )
        )
    if len(frames) < 2:
        return pl.DataFrame()
    return pl.concat(frames)


Export = tuple[list[str], list[list[Any]]]


def _national_export(table: pl.DataFrame) -> Export:
    header = ["year", "metric", "mean", "p10", "p50", "p90"]
    return header, [list(r) for r in table.select(header).iter_rows()]


def _levels_export(table: pl.DataFrame) -> Export:
    header = ["year", "level", "level_name", "shortage_mean", "shortage_p10", "shortage_p90"]
    rows = [
        [r["year"], r["level"], _label("level", r["level"]), r["mean"], r["p10"], r["p90"]]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _bottlenecks_export(table: pl.DataFrame) -> Export:
    parents = taxonomy().area_parent
    header = ["rank", "area", "area_name", "group", "shortage_mean_summed", "years"]
    rows = [
        [
            i,
            r["area"],
            _label("area", r["area"]),
            parents.get(r["area"], ""),
            r["shortage"],
            r["years"],
        ]
        for i, r in enumerate(table.iter_rows(named=True), start=1)
    ]
    return header, rows


def _heatmap_export(table: pl.DataFrame) -> Export:
    header = [
        "year",
        "area",
        "area_name",
        "level",
        "level_name",
        "shortage_mean",
        "shortage_p10",
        "shortage_p50",
        "shortage_p90",
    ]
    rows = [
        [
            r["year"],
            r["area"],
            _label("area", r["area"]),
            r["level"],
            _label("level", r["level"]),
            r["mean"],
            r["p10"],
            r["p50"],
            r["p90"],
        ]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _squeeze_export(table: pl.DataFrame) -> Export:
    header = ["year", "horizon", "horizon_name", "levels", "shortage_mean"]
    names = charts.horizon_labels()
    rows = [
        [
            r["year"],
            r["horizon"],
            names.get(r["horizon"], r["horizon"]),
            r["levels"],
            r["shortage_mean"],
        ]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _coverage_export(table: pl.DataFrame) -> Export:
    header = ["year", "segment", "segment_name", "openings", "supply", "gap", "reported_share"]
    rows = [
        [
            r["year"],
            r["segment"] or "",
            _label("segment", r["segment"]) if r["segment"] else gettext("All segments"),
            r["openings"],
            r["supply"],
            r["gap"],
            r["reported_share"],
        ]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _place_export(table: pl.DataFrame, column: str) -> Export:
    header = ["year", column, f"{column}_name", "gap"]
    rows = [
        [r["year"], r[column], _label(column, r[column]), r["mean"]]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _scenarios_export(table: pl.DataFrame) -> Export:
    header = ["scenario", "version", "year", "gap_mean", "gap_p10", "gap_p50", "gap_p90"]
    return header, [list(r) for r in table.iter_rows()]


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
    return _scenarios_export(scenario_rows(p, f))


def _download(p: Publication, view: str, fmt: str, f: dict[str, Any]) -> HttpResponse:
    header, rows = view_export(p, view, f)
    filename = f"battkomp-v{p.version}-dashboard-{view}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(to_csv(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(to_xlsx(header, rows, view), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


FILTERS = ("year_from", "year_to", "level", "group", "segment", "region")


def _filters_key(f: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(f.get(k) or None for k in FILTERS)


def build_views(p: Publication, f: dict[str, Any]) -> list[dict[str, Any]]:
    """Every view with data under the filters: its name, caption, chart and notes."""
    key = ("publication", p.pk, p.published_at, _filters_key(f))
    views: list[dict[str, Any]] = []

    def add(view: str, caption: str, build: Any, note: str = "", extra: Any = ()) -> None:
        chart = charts.cached((*key, view, *extra), build)
        views.append({"view": view, "caption": caption, "chart": chart, "note": note})

    national = national_table(p, f)
    if national.height:
        add(
            "national",
            gettext(
                "National openings, supply and gap per year (means of the draws), with the "
                "gap's P10–P90 band"
            ),
            lambda: charts.gap_band_chart(national),
        )
    levels = level_table(p, f)
    if levels.height:
        add(
            "levels",
            gettext("Mean shortage per year by education level"),
            lambda: charts.level_shortage_chart(levels),
        )
    bottlenecks = bottleneck_table(p, f)
    if bottlenecks.height:
        add(
            "bottlenecks",
            gettext(
                "The largest bottlenecks: the ten competence areas with the largest mean "
                "shortage, summed over the years shown"
            ),
            lambda: charts.bottleneck_chart(bottlenecks),
        )
    year, cells = heatmap_table(p, f)
    if year is not None and cells.height:
        heat = cells.rename({"mean": "shortage_mean"})
        add(
            "heatmap",
            gettext("Mean shortage in %(year)s by competence area and education level")
            % {"year": year},
            lambda: charts.public_heatmap_chart(heat, year),
            gettext(
                "Grey cells marked – are suppressed to protect company answers. The heatmap "
                "shows the last year of the range with published cells."
            ),
        )
    squeeze = squeeze_rows(p, f)
    if squeeze.height:
        add(
            "squeeze",
            gettext(
                "The time squeeze: expected shortage per year by the horizon that must carry "
                "it (recruit, retrain or educate), and what no lever can close in time"
            ),
            lambda: charts.public_squeeze_chart(squeeze),
            gettext(
                "A horizon marked – has no shortage that year, or is suppressed to protect "
                "company answers; suppressed parts are left out of the bars."
            ),
        )
    cyear, coverage = coverage_rows(p, f)
    if cyear is not None and coverage.height:
        add(
            "coverage",
            gettext(
                "Value-chain coverage in %(year)s: openings and supply per segment, and the share "
                "of the openings the survey reported"
            )
            % {"year": cyear},
            lambda: charts.segment_coverage_chart(coverage, cyear),
            gettext(
                "A segment or reported share marked – is suppressed to protect company answers. "
                "The chart shows the last year of the range in which the survey's share is "
                "published, else the last year with published segments."
            ),
        )
    for view, column, caption in (
        ("segments", "segment", gettext("The gap per year by value-chain segment")),
        ("regions", "region", gettext("The gap per year by county")),
    ):
        rows = place_rows(p, f, column)
        if rows.height:
            add(
                view,
                caption,
                lambda rows=rows, column=column: charts.place_gap_chart(rows, column),
                gettext(
                    "A value marked – is suppressed to protect company answers, or there is "
                    "no result there."
                ),
            )
    scenarios = scenario_rows(p, f)
    if scenarios.height:
        versions = tuple(sorted(set(scenarios["version"].to_list())))
        add(
            "scenarios",
            gettext(
                "Scenarios side by side: the national gap per year in the latest published "
                "snapshot of each scenario (means, with P10–P90 bands)"
            ),
            lambda: charts.scenario_gap_chart(scenarios),
            ", ".join(
                gettext("%(scenario)s: version %(version)s") % {"scenario": s, "version": v}
                for s, v in scenarios.select("scenario", "version")
                .unique(maintain_order=True)
                .rows()
            ),
            versions,
        )
    return views


@require_GET
def dashboard(request: HttpRequest, version: int) -> HttpResponse:
    publication = access_publication(version)
    names = set(publication.table_names())
    if not {"totals", "by_level", "by_area"} <= names:
        raise Http404
    totals = publication.table("totals")
    years = sorted({int(y) for y in _published(totals)["year"].to_list()})
    params = {k: v for k, v in request.GET.items() if k not in ("view", "format")}
    form = DashboardFilters(params or None, years=years)
    valid = form.is_valid() if params else True
    f: dict[str, Any] = form.cleaned_data if params and valid else {}
    fmt = request.GET.get("format")
    if fmt is not None:
        view = request.GET.get("view")
        if fmt not in FORMATS or view not in VIEWS or not valid:
            raise Http404
        if VIEW_TABLES[view] not in names:
            raise Http404
        return _download(publication, view, fmt, f)

    query = urlencode({k: v for k, v in sorted(params.items()) if v}) if valid else ""
    context = {
        "publication": publication,
        "form": form,
        "views": build_views(publication, f),
        "query": query,
        "suppressed_years": sorted(
            {int(y) for y in totals.filter(pl.col("suppressed"))["year"].to_list()}
        ),
    }
    return render(
        request, "analysis/publication_dashboard.html", context, status=200 if valid else 400
    )
