"""Public pages "Fra … til batteri": from an occupation outside the industry to battery roles."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from battkomp.core.codes import label
from battkomp.pathways.access import access_occupation
from battkomp.pathways.service import (
    SHOWN_ROLES,
    defaults,
    language,
    occupation_profile,
    occupations,
    overlap_chart,
    pathway_rows,
    pathways_for,
    sorted_occupations,
)


def _choices() -> list[dict[str, str]]:
    lang = language()
    return [
        {"code": o.code, "name": o.name(lang), "level": label("level", o.usual_level)}
        for o in sorted_occupations()
    ]


def index(request: HttpRequest) -> HttpResponse:
    """Choose your current occupation (a plain GET form, no JavaScript)."""
    chosen = request.GET.get("occupation", "").strip()
    error = ""
    if chosen:
        if chosen in occupations():
            return redirect("pathways:detail", code=chosen)
        error = _("Occupation: choose one of the occupations in the list.")
    return render(
        request,
        "pathways/index.html",
        {"occupations": _choices(), "error": error, "chosen": chosen},
    )


def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The battery roles an occupation fits best, what is missing and the offers that cover it."""
    occupation = access_occupation(code)
    pathways, ids = pathways_for(occupation.code, SHOWN_ROLES)
    rows = pathway_rows(pathways, ids)
    params = defaults()
    name = occupation.name(language())
    return render(
        request,
        "pathways/detail.html",
        {
            "occupation": occupation,
            "name": name,
            "name_in_text": name[:1].lower() + name[1:],
            "level_label": label("level", occupation.usual_level),
            "rows": rows,
            "profile": occupation_profile(occupation.code),
            "chart": overlap_chart(occupation.code, rows) if rows else None,
            "occupations": _choices(),
            "threshold_percent": round(100 * params.parameter("pathway_missing_threshold"), 1),
        },
    )
