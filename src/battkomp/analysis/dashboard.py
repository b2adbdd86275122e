"""The public dashboard of a published snapshot: charts and their tables, built only from the
publication's protected tables (``totals``, ``by_level``, ``by_area``; see
:mod:`battkomp.analysis.publishing`), never from a run.

Suppressed years are left out of every view (not shown as zero). Filters (year range, education
level, competence area group) are applied to the protected tables; each view can be downloaded as
CSV or XLSX with ``?view=<view>&format=csv|xlsx`` on the dashboard's address.
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

from battkomp.analysis.access import access_publication
from battkomp.analysis.models import Publication
from battkomp.core import charts
from battkomp.core.codes import codes, label, taxonomy
from battkomp.exchange.exporters import CSV_CONTENT_TYPE, to_csv, to_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
#: The dashboard's views, in the order shown.
VIEWS = ("national", "levels", "bottlenecks")
TOP = 10
NATIONAL_METRICS = ("openings", "supply", "gap")


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
    table = _years(_published(p.table("by_area")).filter(pl.col("metric") == "shortage"), f)
    if f.get("group"):
        parents = taxonomy().area_parent
        table = table.filter(
            pl.col("area").is_in([a for a, g in parents.items() if g == f["group"]])
        )
    summed = table.group_by("area").agg(
        pl.col("mean").sum().alias("shortage"), pl.col("year").n_unique().alias("years")
    )
    return summed.sort(["shortage", "area"], descending=[True, False]).head(TOP)


def _national_export(table: pl.DataFrame) -> tuple[list[str], list[list[Any]]]:
    header = ["year", "metric", "mean", "p10", "p50", "p90"]
    return header, [list(r) for r in table.select(header).iter_rows()]


def _levels_export(table: pl.DataFrame) -> tuple[list[str], list[list[Any]]]:
    header = ["year", "level", "level_name", "shortage_mean", "shortage_p10", "shortage_p90"]
    rows = [
        [r["year"], r["level"], _label("level", r["level"]), r["mean"], r["p10"], r["p90"]]
        for r in table.iter_rows(named=True)
    ]
    return header, rows


def _bottlenecks_export(table: pl.DataFrame) -> tuple[list[str], list[list[Any]]]:
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


def _download(p: Publication, view: str, fmt: str, f: dict[str, Any]) -> HttpResponse:
    if view == "national":
        header, rows = _national_export(national_table(p, f))
    elif view == "levels":
        header, rows = _levels_export(level_table(p, f))
    else:
        header, rows = _bottlenecks_export(bottleneck_table(p, f))
    filename = f"battkomp-v{p.version}-dashboard-{view}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(to_csv(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(to_xlsx(header, rows, view), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filters_key(f: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(f.get(k) or None for k in ("year_from", "year_to", "level", "group"))


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
        return _download(publication, view, fmt, f)

    key = ("publication", publication.pk, publication.published_at, _filters_key(f))
    national = national_table(publication, f)
    levels = level_table(publication, f)
    bottlenecks = bottleneck_table(publication, f)
    views: list[dict[str, Any]] = []
    if national.height:
        views.append(
            {
                "view": "national",
                "caption": gettext(
                    "National openings, supply and gap per year (means of the draws), with the "
                    "gap's P10–P90 band"
                ),
                "chart": charts.cached((*key, "gap"), lambda: charts.gap_band_chart(national)),
            }
        )
    if levels.height:
        views.append(
            {
                "view": "levels",
                "caption": gettext("Mean shortage per year by education level"),
                "chart": charts.cached(
                    (*key, "levels"), lambda: charts.level_shortage_chart(levels)
                ),
            }
        )
    if bottlenecks.height:
        views.append(
            {
                "view": "bottlenecks",
                "caption": gettext(
                    "The largest bottlenecks: the ten competence areas with the largest mean "
                    "shortage, summed over the years shown"
                ),
                "chart": charts.cached(
                    (*key, "bottlenecks"), lambda: charts.bottleneck_chart(bottlenecks)
                ),
            }
        )
    query = urlencode({k: v for k, v in sorted(params.items()) if v}) if valid else ""
    context = {
        "publication": publication,
        "form": form,
        "views": views,
        "query": query,
        "suppressed_years": sorted(
            {int(y) for y in totals.filter(pl.col("suppressed"))["year"].to_list()}
        ),
    }
    return render(
        request, "analysis/publication_dashboard.html", context, status=200 if valid else 400
    )
