"""The public pages of published model runs ("Last ned"): the list of snapshots, one snapshot,
its tables as CSV and XLSX, and two snapshots side by side. No login; everything shown comes from
a publication's protected tables (:mod:`battkomp.analysis.publishing.tables`), never from a run."""

from __future__ import annotations

from typing import Any

import polars as pl
from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from battkomp.analysis.access import access_publication, publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.analysis.publishing.queries import quality_summary
from battkomp.analysis.publishing.tables import TABLE_TITLES, TABLES
from battkomp.analysis.report.files import FORMATS as REPORT_FORMATS
from battkomp.analysis.report.files import LANGUAGES as REPORT_LANGUAGES
from battkomp.analysis.report.files import stored_report
from battkomp.analysis.report.tasks import queue_report
from battkomp.analysis.runs.queries import TOTAL_METRICS, band_table, compare_rows, totals_rows
from battkomp.core import snapshot_cache
from battkomp.core.codes import label
from battkomp.site.security import allow_inline_styles
from battkomp.workbooks.exporters import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, table_file

DOWNLOAD_FORMATS = ("csv", "xlsx")
#: What the compare page lists as "what changed", in order.
META_FIELDS = ("input_hash", "round", "scenario", "weighted", "draws", "seed", "battkomp_version")


def national_rows(totals: pl.DataFrame) -> list[dict[str, Any]]:
    """Per year the totals' metrics (see ``runs.totals_rows``); a suppressed year is a row with
    ``suppressed`` true and no numbers."""
    published = totals.filter(~pl.col("suppressed")).drop("suppressed")
    rows = {r["year"]: {**r, "suppressed": False} for r in totals_rows(published)}
    for year in totals.filter(pl.col("suppressed"))["year"].unique().to_list():
        rows[int(year)] = {"year": int(year), "suppressed": True}
    return [rows[y] for y in sorted(rows)]


def survey_summary(table: pl.DataFrame) -> dict[str, Any]:
    """The protected survey table's margins: by year, by level and by area (all other keys at
    their total), each row with its value (None where suppressed), and the grand total
    (``total``; None where suppressed)."""

    def margin(key: str) -> list[dict[str, Any]]:
        others = [k for k in ("area", "level", "year") if k != key]
        rows = table.filter(
            pl.col(key).is_not_null() & pl.all_horizontal(pl.col(c).is_null() for c in others)
        ).sort(key)
        return [
            {
                "code": r[key],
                "value": None if r["suppressed"] else r["new_hires"],
                "quality": r.get("quality"),
            }
            for r in rows.iter_rows(named=True)
        ]

    by_area = margin("area")
    for row in by_area:
        row["label"] = label("area", row["code"])
    by_level = margin("level")
    for row in by_level:
        row["label"] = label("level", row["code"])
    total = table.filter(pl.all_horizontal(pl.col(c).is_null() for c in ("area", "level", "year")))
    grand = None
    if total.height and not total["suppressed"][0]:
        grand = total["new_hires"][0]
    return {"by_year": margin("year"), "by_level": by_level, "by_area": by_area, "total": grand}


@require_GET
def publications(request: HttpRequest) -> HttpResponse:
    items = list(publications_for_anyone())
    return render(request, "analysis/publishing/publications.html", {"publications": items})


@require_GET
def detail(request: HttpRequest, version: int) -> HttpResponse:
    publication = access_publication(version)
    names = publication.table_names()
    context: dict[str, Any] = {
        "publication": publication,
        "tables": [(n, TABLE_TITLES[n]) for n in TABLES if n in names],
        "others": publications_for_anyone().exclude(pk=publication.pk),
    }
    if "totals" in names:
        context["totals"] = band_table(national_rows(publication.table("totals")), TOTAL_METRICS)
    if "survey_needs" in names:
        survey = publication.table("survey_needs")
        context["survey"] = survey_summary(survey)
        context["survey_suppressed"] = int(survey["suppressed"].sum()) if survey.height else 0
    context["noise"] = quality_summary(publication)
    return render(request, "analysis/publishing/publication_detail.html", context)


def _rows(table: pl.DataFrame) -> list[list[Any]]:
    return [list(r) for r in table.iter_rows()]


@require_GET
def download(request: HttpRequest, version: int, name: str, fmt: str) -> HttpResponse:
    publication = access_publication(version)
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404
    if name not in _table_names(publication):
        raise Http404

    def build() -> tuple[bytes, str]:
        table = publication.table(name)
        header = list(table.columns)
        content_type = CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
        return table_file(fmt, header, _rows(table), name[:31]), content_type

    # A snapshot never changes: each file is built once and kept in the shared cache.
    key = snapshot_cache.snapshot_key(publication, "table", name, fmt)
    content, content_type = snapshot_cache.cached(key, build)
    response = HttpResponse(content, content_type=content_type)
    filename = f"battkomp-v{publication.version}-{name}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _table_names(publication: Publication) -> set[str]:
    key = snapshot_cache.snapshot_key(publication, "table-names")
    return set(snapshot_cache.cached(key, publication.table_names))


@require_GET
def report(request: HttpRequest, version: int) -> HttpResponse:
    """The report of a snapshot: ?format=pdf|html|xlsx (default PDF), ?lang=nb|en (default: the
    active language)."""
    publication = access_publication(version)
    fmt = request.GET.get("format") or "pdf"
    lang = request.GET.get("lang") or (get_language() or "nb")[:2]
    if fmt not in REPORT_FORMATS or lang not in REPORT_LANGUAGES:
        raise Http404
    content = stored_report(publication, fmt, lang)
    if content is None:
        # Generated by the task worker, never here; a worker with nothing else to do has it ready
        # in seconds (and the tests' tasks run at once).
        queue_report(publication, fmt, lang)
        content = stored_report(publication, fmt, lang)
    if content is None:
        response = render(
            request,
            "analysis/publishing/report_pending.html",
            {"publication": publication},
            status=503,
        )
        response["Retry-After"] = "30"
        add_never_cache_headers(response)
        return response
    response = HttpResponse(content, content_type=REPORT_FORMATS[fmt])
    filename = f"battkomp-report-v{publication.version}-{lang}.{fmt}"
    disposition = "inline" if fmt in ("html", "pdf") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    if fmt == "html":
        allow_inline_styles(response, content.decode("utf-8"))
    return response


class CompareForm(forms.Form):
    a = forms.IntegerField(label=_("Snapshot A (version)"), min_value=1)
    b = forms.IntegerField(label=_("Snapshot B (version)"), min_value=1)


def _gap_rows(a: Publication, b: Publication) -> list[dict[str, Any]]:
    """The national gap per year in both snapshots and the change (None where suppressed)."""

    def published(p: Publication) -> pl.DataFrame:
        totals: pl.DataFrame = p.table("totals")
        return totals.filter(~pl.col("suppressed")).drop("suppressed")

    return compare_rows(published(a), published(b), "gap")


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    form = CompareForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "publications": publications_for_anyone()}
    if not form.is_valid():
        status = 400 if request.GET else 200
        return render(
            request, "analysis/publishing/publication_compare.html", context, status=status
        )
    a = access_publication(form.cleaned_data["a"])
    b = access_publication(form.cleaned_data["b"])
    changes = [
        {"what": f, "a": va, "b": vb, "differs": va != vb}
        for f in META_FIELDS
        for va, vb in [(a.meta.get(f), b.meta.get(f))]
    ]
    context.update({"a": a, "b": b, "changes": changes, "gap": _gap_rows(a, b)})
    return render(request, "analysis/publishing/publication_compare.html", context)
