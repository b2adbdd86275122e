"""The institution's and the company's views of the latest published snapshot.

Institution view ("Gaps we can close"): the protected shortage by competence area and by education
level, restricted to the areas and levels the institution's registered offers cover, beside the
weighted study places its offers contribute (weighted as in the offer grid).

Company view ("Our gaps"): the organisation's own submitted needs (the latest round it answered,
read through the survey's access functions), per education level × competence area, beside the
published national openings, gap and shortage of the same cells (``by_area_level``).

Every national number comes from the latest publication's protected tables, never from a run, so
no other company's answers can show.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from battkomp.accounts.actions import log_access
from battkomp.analysis.access import publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.analysis.publishing.views import national_rows
from battkomp.analysis.runs.queries import band_table
from battkomp.core.codes import codes, label
from battkomp.core.users import Role, UserLike, is_analyst, role_of
from battkomp.measures.views import commit_url, institution_measures, measure_row
from battkomp.offers.access import access_institution_for_user, own_institution
from battkomp.offers.grid import offer_quantity
from battkomp.offers.models import Offer
from battkomp.organisations.access import access_organisation_for_user
from battkomp.organisations.models import Organisation
from battkomp.survey.access import participants_for_user
from battkomp.survey.actions import latest_revision
from battkomp.survey.models import Participant, Revision


def latest_publication() -> Publication | None:
    return publications_for_anyone().first()


def _table(publication: Publication, name: str) -> pl.DataFrame | None:
    try:
        return publication.table(name)
    except KeyError:
        return None


def shortage_pivot(
    table: pl.DataFrame | None, column: str, keep: list[str]
) -> tuple[list[int], list[dict[str, Any]], list[int]]:
    """The protected shortage of the codes in ``keep`` (in that order): the published years, one
    row per code with a cell per year (mean, P10, P90; None where absent), and the years left out
    because they were suppressed."""
    if table is None or not keep:
        return [], [], []
    data = table.filter(pl.col("metric") == "shortage")
    suppressed = sorted({int(y) for y in data.filter(pl.col("suppressed"))["year"].to_list()})
    published = data.filter(
        ~pl.col("suppressed") & pl.col("mean").is_not_null() & pl.col(column).is_in(keep)
    )
    years = sorted({int(y) for y in published["year"].to_list()})
    cells: dict[tuple[str, int], dict[str, Any]] = {
        (r[column], int(r["year"])): {"mean": r["mean"], "p10": r["p10"], "p90": r["p90"]}
        for r in published.iter_rows(named=True)
    }
    present = {code for code, _year in cells}
    rows = [
        {
            "code": code,
            "label": label(column, code),
            "cells": [cells.get((code, y)) for y in years],
        }
        for code in keep
        if code in present
    ]
    return years, rows, suppressed


# --- the institution -----------------------------------------------------------------------------


def _institution_for(request: HttpRequest) -> Organisation:
    user = request.user
    wanted = request.GET.get("institution")
    if is_analyst(user):
        if not wanted:
            raise Http404
        return access_institution_for_user(user, wanted)
    own = own_institution(user)
    if own is None or (wanted and wanted != str(own.pk)):
        raise Http404
    return own


def counted_level(offer: Offer) -> str:
    """The true level an offer counts at: its level, or its target level (EVU and modules)."""
    if offer.level in codes("level"):
        return offer.level
    return offer.target_level or ""


def offer_coverage(offers: list[Offer]) -> dict[str, Any]:
    """The areas and levels the offers cover (code-list order) and their weighted study places
    per area × level, per area and per level (as in the offer grid: quantity × area weight)."""
    places: dict[tuple[str, str], float] = defaultdict(float)
    for offer in offers:
        level = counted_level(offer)
        if not level:
            continue
        for oa in offer.areas.all():
            if oa.weight > 0:
                places[(oa.area, level)] += offer_quantity(offer) * oa.weight
    areas = [a for a in codes("area") if any(k[0] == a for k in places)]
    levels = [lv for lv in codes("level") if any(k[1] == lv for k in places)]
    return {
        "areas": areas,
        "levels": levels,
        "rows": [
            {
                "label": label("area", a),
                "cells": [places.get((a, lv)) for lv in levels],
                "total": sum(v for k, v in places.items() if k[0] == a),
            }
            for a in areas
        ],
        "level_totals": [sum(v for k, v in places.items() if k[1] == lv) for lv in levels],
        "level_labels": [label("level", lv) for lv in levels],
        "total": sum(places.values()),
    }


@login_required
@require_GET
def institution_view(request: HttpRequest) -> HttpResponse:
    institution = _institution_for(request)
    offers = list(
        Offer.objects.filter(institution=institution)
        .prefetch_related("areas")
        .order_by("name_nb", "name_en")
    )
    coverage = offer_coverage(offers)
    publication = latest_publication()
    context: dict[str, Any] = {
        "institution": institution,
        "offers": offers,
        "coverage": coverage,
        "publication": publication,
    }
    # Committing new capacity (battkomp.measures): the form's address, and the measures.
    context["commit_url"] = commit_url(request.user, institution)
    context["commit_rows"] = [measure_row(m) for m in institution_measures(institution)]
    if publication is not None:
        years, rows, suppressed = shortage_pivot(
            _table(publication, "by_area"), "area", coverage["areas"]
        )
        context["area_years"], context["area_rows"] = years, rows
        context["area_suppressed"] = suppressed
        years, rows, suppressed = shortage_pivot(
            _table(publication, "by_level"), "level", coverage["levels"]
        )
        context["level_years"], context["level_rows"] = years, rows
        context["level_suppressed"] = suppressed
    return render(request, "analysis/dashboards/institution_view.html", context)


# --- the company ---------------------------------------------------------------------------------


def _organisation_for(request: HttpRequest) -> Organisation:
    user = request.user
    wanted = request.GET.get("organisation")
    if is_analyst(user):
        if not wanted:
            raise Http404
        return access_organisation_for_user(user, wanted)  # type: ignore[arg-type]
    if role_of(user) != Role.RESPONDENT:
        raise Http404
    org = getattr(getattr(user, "profile", None), "organisation", None)
    if org is None or (wanted and wanted != str(org.pk)):
        raise Http404
    return org


def latest_answer(user: UserLike, org: Organisation) -> tuple[Participant, Revision] | None:
    """The organisation's latest round with a submitted answer, read through the survey's access
    functions (respondents see only their own organisation's participations)."""
    participants = (
        participants_for_user(user)
        .filter(organisation=org)
        .select_related("response")
        .order_by("-round__opens_on", "-round__id")
    )
    for participant in participants:
        response = getattr(participant, "response", None)
        revision = response.submitted_revision() if response is not None else None
        if revision is not None:
            return participant, revision
    return None


#: A published cell-year counts as short nationally when its mean shortage rounds to at least one
#: person (a presentation threshold, not a model parameter).
SHORT_AT = 0.5


def _add(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return value if total is None else total + value


def company_cells(
    lines: list[dict[str, Any]], table: pl.DataFrame | None, years: list[int]
) -> list[dict[str, Any]]:
    """The company's own submitted needs per education level × competence area and year (summed
    over its roles and facilities), beside the published national openings, gap and shortage of
    the same cell and year (``by_area_level``; a suppressed cell-year shows no number). Most short
    first: by the national peak shortage in the round's years."""
    own: dict[tuple[str, str], dict[int, dict[str, int | None]]] = {}
    for line in lines:
        per_year = own.setdefault((line["level"], line["area"]), {})
        cell = per_year.setdefault(int(line["year"]), {"new_hires": None, "total_staff": None})
        cell["new_hires"] = _add(cell["new_hires"], line.get("new_hires"))
        cell["total_staff"] = _add(cell["total_staff"], line.get("total_staff"))
    national: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    if table is not None and own:
        levels = sorted({k[0] for k in own})
        areas = sorted({k[1] for k in own})
        published = table.filter(
            ~pl.col("suppressed")
            & pl.col("mean").is_not_null()
            & pl.col("level").is_in(levels)
            & pl.col("area").is_in(areas)
            & pl.col("year").is_in(years)
            & pl.col("metric").is_in(["openings", "gap", "shortage"])
        )
        for r in published.iter_rows(named=True):
            national.setdefault((r["level"], r["area"], int(r["year"])), {})[r["metric"]] = {
                "mean": r["mean"],
                "p10": r["p10"],
                "p90": r["p90"],
            }
    level_order = {c: i for i, c in enumerate(codes("level"))}
    area_order = {c: i for i, c in enumerate(codes("area"))}
    rows = []
    for (level, area), per_year in own.items():
        year_rows = []
        for year in years:
            mine = per_year.get(year, {})
            nat = national.get((level, area, year), {})
            year_rows.append(
                {
                    "year": year,
                    "new_hires": mine.get("new_hires"),
                    "total_staff": mine.get("total_staff"),
                    "published": bool(nat),
                    "openings": nat.get("openings"),
                    "gap": nat.get("gap"),
                    "shortage": nat.get("shortage"),
                }
            )
        shown = [r for r in year_rows if r["published"]]
        with_shortage = [r for r in shown if r["shortage"] is not None]
        peak = max(with_shortage, key=lambda r: r["shortage"]["mean"], default=None)
        short_years = [r["year"] for r in with_shortage if r["shortage"]["mean"] >= SHORT_AT]
        rows.append(
            {
                "level": level,
                "area": area,
                "level_label": label("level", level),
                "area_label": label("area", area),
                "years": year_rows,
                "new_hires": sum(r["new_hires"] or 0 for r in year_rows),
                "openings": sum(r["openings"]["mean"] for r in shown if r["openings"])
                if shown
                else None,
                "published_years": len(shown),
                "peak": peak,
                "short_years": short_years,
            }
        )
    rows.sort(
        key=lambda r: (
            -(r["peak"]["shortage"]["mean"] if r["peak"] else -1.0),
            level_order.get(r["level"], 99),
            area_order.get(r["area"], 99),
        )
    )
    return rows


@login_required
@require_GET
def company_view(request: HttpRequest) -> HttpResponse:
    org = _organisation_for(request)
    answer = latest_answer(request.user, org)
    lines: list[dict[str, Any]] = []
    participant = None
    revision = None
    if answer is not None:
        participant, revision = answer
        log_access(request.user, "view_company_gaps", participant, org)
        lines = list(revision.snapshot.get("lines", []))
    publication = latest_publication()
    years = participant.round.years if participant is not None else []
    cells = company_cells(
        lines, _table(publication, "by_area_level") if publication else None, years
    )
    short = [c for c in cells if c["short_years"]]
    latest = latest_revision(participant) if participant is not None else None
    context: dict[str, Any] = {
        "organisation": org,
        "participant": participant,
        "submitted": revision,
        "unsent": latest is not None and revision is not None and latest.number > revision.number,
        "lines": lines,
        "cells": cells,
        "short_cells": len(short),
        "new_hires": sum(c["new_hires"] for c in cells),
        "short_new_hires": sum(c["new_hires"] for c in short),
        "unpublished_cells": sum(1 for c in cells if not c["published_years"]),
        "years": years,
        "publication": publication,
    }
    if publication is not None:
        totals = _table(publication, "totals")
        if totals is not None:
            context["totals"] = band_table(national_rows(totals), ("openings", "supply", "gap"))
    return render(request, "analysis/dashboards/company_view.html", context)
