"""The site's own pages: the home page, which anyone can read and which holds no company's
answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from battkomp.analysis.access import publications_for_anyone
from battkomp.engine.bundle import load_inputs


def home(request: HttpRequest) -> HttpResponse:
    lang = (get_language() or "nb")[:2]
    commandments = [
        {"number": r["number"], "text": r["name_nb"] if lang == "nb" else r["name_en"]}
        for r in load_inputs(None)["commandments"].sort("number").iter_rows(named=True)
    ]
    latest = publications_for_anyone().first()
    return render(request, "home.html", {"commandments": commandments, "latest": latest})
