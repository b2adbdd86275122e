"""The public dashboard of a published snapshot: charts and their tables, built only from the
publication's protected tables (see :mod:`battkomp.analysis.publishing.tables`), never from a run.

Views (:data:`VIEWS`): the national gap band (``totals``), shortage by level (``by_level``), the
largest bottlenecks (``by_area``), the heatmap of shortage by competence area × level
(``by_area_level``), the time squeeze (``squeeze``), value-chain coverage by segment
(``coverage``), the gap by segment and by county (``by_segment``, ``by_region``), the
planned plants' risk (``conditional``, with tables of each plant's probability and effect and
of ``exceedance``, P(shortage over the horizon > x)), the
scenario comparison (the ``totals`` of the latest published snapshot of each scenario), the
measures (the national gap with and without them from ``totals``, and what each adds from
``measure_effects``), recruitment from abroad (``abroad``) and the recommendations
(``recommendations``, with each reason in the page's language). A view whose table the snapshot
lacks (published before the table existed) is left out.

Suppressed cells are never shown as numbers: suppressed years and cells are left out of the
charts and the downloads, and are "–" in the tables beside the charts. Filters (year range,
education level, competence area group, segment, county) are applied to the protected tables;
each view can be downloaded as CSV or XLSX with ``?view=<view>&format=csv|xlsx`` on the
dashboard's address.

This module holds the page (its filters, views and charts); the rows of each view come from
:mod:`battkomp.analysis.dashboards.public_rows` and the downloads from
:mod:`battkomp.analysis.dashboards.public_exports`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from battkomp.analysis.access import access_publication
from battkomp.analysis.dashboards.public_exports import view_export
from battkomp.analysis.dashboards.public_rows import (
    abroad_rows,
    abroad_summary,
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
    offer_names,
    place_rows,
    published_only,
    reason_text,
    recommendation_rows,
    risk_rows,
    scenario_rows,
    split_ids,
    squeeze_rows,
)
from battkomp.analysis.dashboards.public_story import key_figures
from battkomp.analysis.models import Publication
from battkomp.analysis.publishing.queries import quality_summary
from battkomp.core import charts, snapshot_cache
from battkomp.core.bilingual import marked
from battkomp.core.codes import channel_name, codes, label, taxonomy
from battkomp.core.numbers import format_number
from battkomp.workbooks.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, table_file

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
    "risk",
    "scenarios",
    "measures",
    "abroad",
    "recommendations",
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
    "risk": "conditional",
    "scenarios": "totals",
    "measures": "measure_effects",
    "abroad": "abroad",
    "recommendations": "recommendations",
}


def area_groups() -> list[str]:
    """The parent competence areas (groups), in the code list's order."""
    parents = taxonomy().area_parent
    out: list[str] = []
    for area in codes("area"):
        if parents.get(area) and parents[area] not in out:
            out.append(parents[area])
    return out


class DashboardFilters(forms.Form):
    year_from = forms.TypedChoiceField(label=_("From year"), required=False, coerce=int)
    year_to = forms.TypedChoiceField(label=_("To year"), required=False, coerce=int)
    level = forms.ChoiceField(label=_("Education level"), required=False)
    # a group of competence areas, or one area (the parameter keeps its name for old links)
    group = forms.ChoiceField(label=_("Competence area"), required=False)
    segment = forms.ChoiceField(label=_("Value-chain segment"), required=False)
    region = forms.ChoiceField(label=_("County"), required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_choices = [("", gettext("All"))] + [(str(y), str(y)) for y in years]
        self.fields["year_from"].choices = year_choices
        self.fields["year_to"].choices = year_choices
        self.fields["level"].choices = [("", gettext("All levels"))] + [
            (c, label("level", c)) for c in codes("level")
        ]
        parents = taxonomy().area_parent
        self.fields["group"].choices = [("", gettext("All areas"))] + [
            (
                label("area", g),
                [(g, gettext("All of %(group)s") % {"group": label("area", g)})]
                + [(a, label("area", a)) for a in codes("area") if parents.get(a) == g],
            )
            for g in area_groups()
        ]
        self.fields["segment"].choices = [("", gettext("All segments"))] + [
            (c, label("segment", c)) for c in codes("segment")
        ]
        self.fields["region"].choices = [("", gettext("All counties"))] + [
            (c, label("region", c)) for c in codes("region")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lo, hi = data.get("year_from"), data.get("year_to")
        if lo not in (None, "") and hi not in (None, "") and lo > hi:
            self.add_error("year_to", gettext("The last year must not come before the first."))
        return data


def _download_parts(
    p: Publication, view: str, fmt: str, f: dict[str, Any]
) -> tuple[bytes, str, str]:
    """A view's download: its bytes, content type and file name."""
    header, rows = view_export(p, view, f)
    filename = f"battkomp-v{p.version}-dashboard-{view}.{fmt}"
    content_type = CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
    return table_file(fmt, header, rows, view), content_type, filename


FILTERS = ("year_from", "year_to", "level", "group", "segment", "region")


def _filters_key(f: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(f.get(k) or None for k in FILTERS)


#: Adds a view: ``add(view, caption, build, note="", extra=(), details=None)``; ``build`` makes
#: the chart (cached under the publication, the filters, the view and ``extra``); ``details`` is
#: a table shown under it, or a list of them.
Add = Callable[..., None]


def build_views(p: Publication, f: dict[str, Any]) -> list[dict[str, Any]]:
    """Every view with data under the filters: its name, caption, chart and notes."""
    key = ("publication", p.pk, p.published_at, _filters_key(f))
    views: list[dict[str, Any]] = []

    def add(
        view: str,
        caption: str,
        build: Any,
        note: str = "",
        extra: Any = (),
        details: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> None:
        chart = charts.cached((*key, view, *extra), build)
        tables = [details] if isinstance(details, dict) else list(details or [])
        views.append(
            {"view": view, "caption": caption, "chart": chart, "note": note, "details": tables}
        )

    _result_views(p, f, add)
    _place_and_scenario_views(p, f, add)
    _measures_view(p, f, add)
    _abroad_view(p, f, add)
    _recommendations_view(p, f, add)
    return views


def _result_views(p: Publication, f: dict[str, Any], add: Add) -> None:
    """The model's national results: the gap band, shortage by level, the bottlenecks, the
    heatmap, the time squeeze and the value-chain coverage."""
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
                "shows the year of the range with the largest shortage in its published cells; "
                "choose a single year in the filters to see another."
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
                "A segment or reported share marked – is suppressed to protect company answers, "
                "or (a share) would be above one because other employers cut staff in the same "
                "cells. The chart shows the last year of the range in which the survey's share is "
                "published, else the last year with published segments. Openings and supply "
                "per segment are means of the draws and add up to the national means."
            ),
        )


def _place_and_scenario_views(p: Publication, f: dict[str, Any], add: Add) -> None:
    """The gap by segment and by county, the risk of the planned plants (the conditional
    views), and the scenarios side by side."""
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
                    "no result there. These figures are means of the draws: in every draw the "
                    "national figures are shared out to the segments and counties, so they add "
                    "up to the national means."
                ),
            )
    risk = risk_rows(p)
    if risk.height:
        add(
            "risk",
            gettext(
                "What if the planned plants are built, or not: the shortage summed over the "
                "years in all draws, in the firm base and with each planned plant"
            ),
            lambda: charts.conditional_chart(risk),
            gettext(
                "The firm base: the draws in which no plant beyond those operating or under "
                "construction is built. A plant's view: the draws in which it is built. Shares "
                "of the draws in brackets. Plants are built or abandoned together, so a plant's "
                "view includes what tends to come with it."
            ),
            details=_risk_details(risk, exceedance_rows(p)),
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
                for s, v in scenarios.select("scenario_name", "version")
                .unique(maintain_order=True)
                .rows()
            ),
            versions,
        )


def _percent(share: Any) -> str:
    return "–" if share is None else f"{format_number(100 * float(share), 1)}\u00a0%"


def _risk_details(risk: pl.DataFrame, exceedance: pl.DataFrame) -> list[dict[str, Any]]:
    """The risk view's tables: every conditional view with its probability, median, mean and a
    plant's effect on the mean (the chart shows the bands), and P(shortage over the horizon > x)."""
    views = [
        [
            _cell(
                label("risk_view", r["view"])
                if r["view"] in ("all", "firm_base")
                else gettext("With %(facility)s")
                % {"facility": r.get("facility_name") or r["facility"]}
            ),
            _cell(_percent(r["probability"]), "numtext"),
            _cell(r["shortage_p50"], "num0"),
            _cell(r["shortage_mean"], "num0"),
            _cell(r["effect"], "num0"),
        ]
        for r in risk.iter_rows(named=True)
    ]
    tables = [
        {
            "caption": gettext("Shortage over the horizon by what is built"),
            "columns": [
                gettext("View"),
                gettext("Probability"),
                gettext("Median (P50)"),
                gettext("Mean"),
                gettext("Effect on the mean"),
            ],
            "rows": views,
        }
    ]
    total = exceedance.filter(pl.col("year").is_null()) if exceedance.height else exceedance
    if total.height:
        tables.append(
            {
                "caption": gettext(
                    "Probability that the shortage over the horizon exceeds a level"
                ),
                "columns": [gettext("More than (persons)"), gettext("Probability")],
                "rows": [
                    [_cell(r["threshold"], "num0"), _cell(_percent(r["probability"]), "numtext")]
                    for r in total.sort("threshold").iter_rows(named=True)
                ],
            }
        )
    return tables


def _cell(value: Any, kind: str = "text", url: str = "") -> dict[str, Any]:
    return {"value": value, "kind": kind, "url": url}


def _links(ids: list[str], found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return _cell([{"text": found[i]["name"], "url": found[i]["url"]} for i in ids], "links")


def _measures_view(p: Publication, f: dict[str, Any], add: Add) -> None:
    """The national gap with and without the measures, and what each measure adds."""
    gaps = measure_gap_rows(p, f)
    supply = measure_supply_rows(p, f)
    if gaps.height or supply.height:
        found = measure_names(sorted(set(supply["measure"].to_list())))
        names = {m: marked(found[m]["name"]) for m in sorted(found, key=lambda i: found[i]["name"])}
        totals = supply.group_by("measure").agg(pl.col("supply").sum(), pl.col("hidden").sum())
        rows = [
            [
                _links([m], found),
                _cell(supply_sum, "num"),
                _cell(hidden, "count"),
            ]
            for m, supply_sum, hidden in totals.sort("measure").rows()
        ]
        add(
            "measures",
            gettext(
                "Measures: the national gap per year with and without the agreed and running "
                "measures, and the supply each measure adds"
            ),
            lambda: charts.measure_effect_chart(gaps, supply, names),
            gettext(
                "Means of the draws. A measure's supply in a cell suppressed to protect company "
                "answers is left out of its sum; the table below counts those cells."
            ),
            details={
                "caption": gettext("The measures in this view"),
                "columns": [
                    gettext("Measure"),
                    gettext("Supply added, summed over the years shown"),
                    gettext("Cells suppressed (over the years)"),
                ],
                "rows": rows,
            }
            if rows
            else None,
        )


def _abroad_view(p: Publication, f: dict[str, Any], add: Add) -> None:
    """Recruitment from abroad, with the channels serving each published cell."""
    cells = abroad_rows(p, f)
    summary = abroad_summary(cells)
    if summary.height:
        channel_ids = sorted({i for c in cells["channels"].to_list() for i in split_ids(c)})
        found = measure_names([i for i in channel_ids if i.startswith("m")])
        found.update(
            {i: {"name": channel_name(i) or i, "url": ""} for i in channel_ids if i not in found}
        )
        rows = [
            [
                _cell(r["year"], "year"),
                _cell(label("level", r["level"])),
                _cell(label("area", r["area"])),
                _cell(r["need"], "num"),
                _cell(r["recruited"], "num"),
                _cell(r["unmet"], "num"),
                _cell(r["lead_time_months"], "num"),
                _links(split_ids(r["channels"]), found),
            ]
            for r in cells.filter(~pl.col("suppressed")).iter_rows(named=True)
        ]
        add(
            "abroad",
            gettext(
                "Recruitment from abroad: per year and education level, the need that domestic "
                "supply cannot meet in time, what the channels recruit and what stays unmet"
            ),
            lambda: charts.abroad_chart(summary),
            gettext(
                "Means of the draws, summed over the competence areas with published cells; "
                "cells suppressed to protect company answers are left out. The lead time is "
                "the shortest time from decision to start of work through a channel serving "
                "the cell."
            ),
            details={
                "caption": gettext("Published cells, with the channels that serve them"),
                "columns": [
                    gettext("Year"),
                    gettext("Education level"),
                    gettext("Competence area"),
                    gettext("Need"),
                    gettext("Recruited from abroad"),
                    gettext("Unmet"),
                    gettext("Lead time (months)"),
                    gettext("Channels and measures"),
                ],
                "rows": rows,
            },
        )


def _recommendations_view(p: Publication, f: dict[str, Any], add: Add) -> None:
    """The recommendations, with the offers and measures pointing at each."""
    recs = recommendation_rows(p, f)
    if recs.height:
        levers = lever_names()
        horizons = charts.horizon_labels()
        ids = sorted({i for c in recs["measures"].to_list() for i in split_ids(c)})
        found = measure_names(ids)
        offers = offer_names(sorted({i for c in recs["offers"].to_list() for i in split_ids(c)}))
        rows = [
            [
                _cell(label("area", r["area"])),
                _cell(label("level", r["level"])),
                _cell(r["year"], "year"),
                _cell(horizons.get(r["horizon"], r["horizon"])),
                _cell(levers.get(r["lever"] or "", r["lever"] or "–")),
                _cell(commandment_name(r["commandment"]) or "–"),
                _cell(reason_text(r) or "–"),
                _links(split_ids(r["offers"]), offers),
                _links(split_ids(r["measures"]), found),
            ]
            for r in recs.iter_rows(named=True)
        ]
        add(
            "recommendations",
            gettext(
                "Recommendations: for each significant gap, the year it opens, the lever that "
                "can close it in time and the competence commandment it calls for"
            ),
            lambda: charts.recommendation_chart(recs, levers),
            gettext(
                "Only gaps in cells published to protect company answers are shown. The "
                "reasons are written from the published numbers."
            ),
            details={
                "caption": gettext("The recommendations"),
                "columns": [
                    gettext("Competence area"),
                    gettext("Education level"),
                    gettext("Gap opens"),
                    gettext("Horizon"),
                    gettext("Lever"),
                    gettext("Commandment"),
                    gettext("Reason"),
                    gettext("Education offers"),
                    gettext("Measures"),
                ],
                "rows": rows,
            },
        )


def _shape(publication: Publication) -> dict[str, Any]:
    """What the filters need of a snapshot, read once and cached: its table names, its years
    and the years left out."""

    def build() -> dict[str, Any]:
        names = set(publication.table_names())
        if "totals" not in names:
            return {"names": sorted(names), "years": [], "suppressed": []}
        totals = publication.table("totals")
        return {
            "names": sorted(names),
            "years": sorted({int(y) for y in published_only(totals)["year"].to_list()}),
            "suppressed": sorted(
                {int(y) for y in totals.filter(pl.col("suppressed"))["year"].to_list()}
            ),
        }

    return snapshot_cache.cached(snapshot_cache.snapshot_key(publication, "shape"), build)


@require_GET
def dashboard(request: HttpRequest, version: int) -> HttpResponse:
    """The public dashboard of a snapshot. A snapshot never changes, so the page's content (per
    language and filters) and every download are built once and kept in the shared cache; only
    valid filters are cached, so made-up queries cannot fill it: parameters other than the
    filters (and ``view``/``format`` for a download) are ignored, and an anonymous visitor's
    whole page is keyed by the filters alone (see :func:`_page_path`)."""
    publication = access_publication(version)
    page_path = _page_path(request)
    if "format" not in request.GET:
        hit = snapshot_cache.cached_page(request, publication, "dashboard", page_path)
        if hit is not None:
            return hit
    shape = _shape(publication)
    names = set(shape["names"])
    if not {"totals", "by_level", "by_area"} <= names:
        raise Http404
    params = {k: v for k, v in request.GET.items() if k in DashboardFilters.base_fields}
    form = DashboardFilters(params or None, years=shape["years"])
    valid = form.is_valid() if params else True
    f: dict[str, Any] = form.cleaned_data if params and valid else {}
    fmt = request.GET.get("format")
    if fmt is not None:
        view = request.GET.get("view")
        if fmt not in FORMATS or view not in VIEWS or not valid:
            raise Http404
        if VIEW_TABLES[view] not in names:
            raise Http404
        key = snapshot_cache.snapshot_key(publication, "download", view, fmt, _filters_key(f))
        content, content_type, filename = snapshot_cache.cached(
            key, lambda: _download_parts(publication, view, fmt, f)
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    query = urlencode({k: v for k, v in sorted(params.items()) if v}) if valid else ""

    def content() -> str:
        return render_to_string(
            "analysis/dashboards/_publication_dashboard_content.html",
            {
                "publication": publication,
                "form": form,
                "views": build_views(publication, f),
                "figures": key_figures(publication, f),
                "query": query,
                "suppressed_years": shape["suppressed"],
                "noise": quality_summary(publication),
            },
        )

    def page() -> HttpResponse:
        if valid:
            key = snapshot_cache.snapshot_key(publication, "dashboard", _filters_key(f), query)
            html = snapshot_cache.cached(key, content)
        else:
            html = content()
        return render(
            request,
            "analysis/dashboards/publication_dashboard.html",
            {"publication": publication, "content": mark_safe(html)},
            status=200 if valid else 400,
        )

    # Anonymous visitors (the crowd) get the whole page from the cache; signed-in people get
    # their own header around the cached content.
    return snapshot_cache.whole_page(request, publication, "dashboard", page, page_path)


def _page_path(request: HttpRequest) -> str:
    """What names a dashboard page in the cache: its path and its filters (sorted, empty ones
    left out), nothing else, so ``?anything=1`` cannot add entries. A filter's value is one of
    its choices or the page is 400 (never cached whole), so the entries are bounded by the
    choices."""
    filters = sorted(
        (k, v) for k, v in request.GET.items() if k in DashboardFilters.base_fields and v
    )
    return f"{request.path}?{urlencode(filters)}" if filters else request.path
