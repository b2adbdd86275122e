"""The site's own pages: the home page, which anyone can read and which holds no company's
answers."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from battkomp.analysis.access import publications_for_anyone
from battkomp.core import snapshot_cache, terms
from battkomp.engine.bundle import load_inputs


@cache
def _commandments(lang: str) -> tuple[dict[str, object], ...]:
    """The ten commandments in ``lang``, read once per process from the engine's data (they
    change only with a release)."""
    return tuple(
        {"number": r["number"], "text": r["name_nb"] if lang == "nb" else r["name_en"]}
        for r in load_inputs(None)["commandments"].sort("number").iter_rows(named=True)
    )


def home(request: HttpRequest) -> HttpResponse:
    """The home page. It shows the latest published snapshot, so anonymous visitors (the crowd
    after a press release) get it whole from the shared cache under a key naming that snapshot
    (see :mod:`battkomp.core.snapshot_cache`): a new publication makes a new key, so the page
    changes the moment something is published. The latest publication itself is kept in the
    cache too and forgotten when one is saved, so a cached page costs no database query.
    Signed-in people get their own header."""
    latest = snapshot_cache.latest_publication(lambda: publications_for_anyone().first())

    def page() -> HttpResponse:
        lang = (get_language() or "nb")[:2]
        context = {"commandments": _commandments(lang), "latest": latest}
        return render(request, "home.html", context)

    return snapshot_cache.whole_page(request, latest, "home", page, path=request.path)


def glossary(request: HttpRequest) -> HttpResponse:
    """The glossary: every term of the terminology source (:mod:`battkomp.core.terms`) with its
    definition, its name in the other language and its code. Public; the same for everyone."""
    lang = "nb" if (get_language() or "nb")[:2] == "nb" else "en"
    context = {
        "sections": terms.glossary(lang),
        "other_language": "en" if lang == "nb" else "nb",
        "other_language_name": "English" if lang == "nb" else "Norsk (bokmål)",
    }
    return render(request, "glossary.html", context)
