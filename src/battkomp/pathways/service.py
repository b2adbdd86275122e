"""Retraining pathways on the platform: the engine's ranking (``battkomp.engine.pathways``) over
the default competence profiles, with the education offers registered on the platform.

The offers come from the database through the bundle export (``analysis.runs.bundle_export``), so
the page, the API and a model run on the platform's bundle see the same offers, filtered the same
way (offers without areas, or EVU offers without a target level, are left out).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from battkomp.analysis.runs.bundle_export import bundle_code, offer_rows
from battkomp.core.bilingual import pick_from
from battkomp.core.charts import SERIES_COLOURS, Chart, cached, render_svg
from battkomp.core.codes import label
from battkomp.engine.bundle import Inputs, load_inputs
from battkomp.engine.pathways import (
    Occupation,
    Pathway,
    PathwayData,
    PathwayOffer,
    offers_from_rows,
    pathway_data,
    rank_pathways,
)
from battkomp.offers.models import Offer, OfferKind, OfferStatus

#: How many battery roles the page and the API show by default.
SHOWN_ROLES = 5
#: The most the API gives.
MAX_ROLES = 50


@lru_cache(maxsize=1)
def defaults() -> Inputs:
    return load_inputs(None)


@lru_cache(maxsize=1)
def _base() -> PathwayData:
    return pathway_data(defaults(), offers=())


def occupations() -> dict[str, Occupation]:
    """The source occupations by STYRK-08 code, in the order of the data file."""
    return dict(_base().occupations)


def language() -> str:
    return "nb" if (get_language() or "nb")[:2] == "nb" else "en"


def sorted_occupations() -> list[Occupation]:
    """The occupations by name in the active language."""
    lang = language()
    return sorted(occupations().values(), key=lambda o: (o.name(lang).lower(), o.code))


def occupation_profile(code: str) -> list[dict[str, Any]]:
    """The occupation's competence profile, largest weight first, with labels."""
    profile = _base().occupation_profiles.get(code, {})
    ordered = sorted(profile.items(), key=lambda p: (-p[1], p[0]))
    return [{"area": a, "label": label("area", a), "percent": percent(w)} for a, w in ordered]


def registered_offers() -> tuple[tuple[PathwayOffer, ...], dict[str, int]]:
    """The platform's offers in the engine's shape, and the database id of each offer id."""
    rows, areas = offer_rows([])
    for r in rows:  # the offer's name in the active language (or the other's)
        r["name"] = str(pick_from({"nb": r.get("name_nb", ""), "en": r.get("name_en", "")}))
    level_years = {
        str(r["code"]): float(r["duration_years"])
        for r in defaults()["education_levels"].iter_rows(named=True)
    }
    offers = offers_from_rows(rows, areas, level_years)
    ids = {
        bundle_code(code, f"offer-{pk}"): pk for pk, code in Offer.objects.values_list("pk", "code")
    }
    return offers, ids


def pathways_for(code: str, limit: int = SHOWN_ROLES) -> tuple[list[Pathway], dict[str, int]]:
    """The best ``limit`` pathways of an occupation with the platform's offers (KeyError for an
    unknown code), and the database id of each offer id."""
    offers, ids = registered_offers()
    data = dataclasses.replace(_base(), offers=offers)
    return rank_pathways(data, code)[:limit], ids


def percent(share: float) -> float:
    return round(100.0 * share, 1)


def months(years: float) -> int:
    return round(12.0 * years)


def pathway_rows(pathways: list[Pathway], ids: dict[str, int]) -> list[dict[str, Any]]:
    """The pathways as the page shows them, with labels in the active language; a registered
    offer's name is its :class:`~battkomp.core.bilingual.Text` (marked on the page when only
    the other language has one)."""
    wanted = {ids[c.offer.id] for p in pathways for c in p.offers if c.offer.id in ids}
    names = {o.pk: o.name for o in Offer.objects.filter(pk__in=wanted).only("name_nb", "name_en")}
    rows = []
    for p in pathways:
        rows.append(
            {
                "role": p.role,
                "role_label": label("role", p.role),
                "level_label": label("level", p.level),
                "overlap_percent": percent(p.overlap),
                "missing": [
                    {"area": a, "label": label("area", a), "percent": percent(s)}
                    for a, s in p.missing
                ],
                "offers": [
                    {
                        "name": names.get(ids.get(c.offer.id), c.offer.name),
                        "institution": c.offer.institution,
                        "pk": ids.get(c.offer.id),
                        "kind_label": OfferKind(c.offer.kind).label
                        if c.offer.kind in OfferKind.values
                        else c.offer.kind,
                        "status": c.offer.status,
                        "status_label": OfferStatus(c.offer.status).label
                        if c.offer.status in OfferStatus.values
                        else c.offer.status,
                        "years": c.offer.duration_years,
                        "months": months(c.offer.duration_years),
                        "covers": [label("area", a) for a in c.covers],
                    }
                    for c in p.offers
                ],
                "uncovered": [label("area", a) for a in p.uncovered],
                "outside_years": p.duration_years - p.offer_years,
                "outside_months": months(max(p.duration_years - p.offer_years, 0.0)),
                "years": p.duration_years,
                "months": months(p.duration_years),
            }
        )
    return rows


def overlap_chart(code: str, rows: list[dict[str, Any]]) -> Chart:
    """Horizontal bars: the overlap of the occupation with its best battery roles."""

    def build() -> Chart:
        values = [{"role": r["role_label"], "overlap": r["overlap_percent"]} for r in rows]
        spec = {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "config": {"aria": False, "font": "sans-serif", "view": {"stroke": None}},
            "data": {"values": values},
            "width": 360,
            "height": {"step": 24},
            "mark": {"type": "bar", "color": SERIES_COLOURS[1]},
            "encoding": {
                "y": {
                    "field": "role",
                    "type": "nominal",
                    "sort": [v["role"] for v in values],
                    "title": _("Battery role"),
                    "axis": {"labelLimit": 300},
                },
                "x": {
                    "field": "overlap",
                    "type": "quantitative",
                    "scale": {"domain": [0, 100]},
                    "title": _("Competence overlap (%)"),
                },
            },
        }
        description = _(
            "Bar chart: the battery roles this occupation fits best, by the share of the role's "
            "competence the occupation already has, best first."
        )
        svg = render_svg(spec, name="pathways", description=description)
        columns = (_("Battery role"), _("Competence overlap (%)"))
        table = tuple((str(r["role_label"]), [float(r["overlap_percent"])]) for r in rows)
        return Chart("pathways", svg, description, columns, table)

    key = ("pathways", code, tuple((r["role"], r["overlap_percent"]) for r in rows))
    return cached(key, build)
