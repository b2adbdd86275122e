"""The retraining pathways in the API (``/api/pathways``): public reads, no token needed."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from battkomp.api.common import choice_name, code_name
from battkomp.api.schemas import Message, name_field
from battkomp.core.codes import label
from battkomp.engine.pathways import Occupation
from battkomp.offers.models import OfferKind
from battkomp.pathways.access import access_occupation
from battkomp.pathways.service import MAX_ROLES, SHOWN_ROLES, occupations, pathways_for

router = Router(tags=["pathways"])


_NAMES = gettext_noop(
    "The names of the codes in the list beside it, in the same order, in the caller's language "
    "(the Accept-Language header or the language cookie; bokmål otherwise)."
)


class OccupationOut(Schema):
    code: str = Field(description=gettext_noop("STYRK-08 occupation code."))
    name_nb: str
    name_en: str
    usual_level: str = Field(description=gettext_noop("Usual education level (code)."))
    usual_level_name: str = name_field()


class MissingOut(Schema):
    area: str = Field(description=gettext_noop("Competence area code."))
    area_name: str = name_field()
    shortfall: float = Field(
        description=gettext_noop("The role's weight in the area minus the occupation's (0–1).")
    )


class PathwayOfferOut(Schema):
    id: int | None = Field(description=gettext_noop("The offer's id in /api/offers."))
    code: str
    name: str
    institution: str
    kind: str
    kind_name: str = name_field()
    level: str
    level_name: str = name_field()
    status: str
    status_name: str = name_field()
    duration_years: float
    covers: list[str] = Field(description=gettext_noop("Missing areas this offer covers here."))
    covers_names: list[str] = Field(description=_NAMES)


class PathwayOut(Schema):
    role: str
    role_name_nb: str
    role_name_en: str
    role_name: str = name_field()
    level: str = Field(description=gettext_noop("Level the retrained worker works at."))
    level_name: str = name_field()
    overlap: float = Field(
        description=gettext_noop("Share of the role's competence the occupation has (0–1).")
    )
    missing: list[MissingOut]
    offers: list[PathwayOfferOut]
    uncovered: list[str] = Field(
        description=gettext_noop("Missing areas no registered offer covers.")
    )
    uncovered_names: list[str] = Field(description=_NAMES)
    offer_years: float = Field(description=gettext_noop("Duration of the chosen offers."))
    duration_years: float = Field(
        description=gettext_noop(
            "Total duration: the offers, plus training outside them for what stays uncovered "
            "(its share of the level's typical programme duration, at least one typical EVU "
            "duration), or one EVU duration when nothing is missing."
        )
    )


class OccupationPathwaysOut(Schema):
    occupation: OccupationOut
    pathways: list[PathwayOut]


class PathwayQuery(Schema):
    limit: int = Field(
        SHOWN_ROLES,
        ge=1,
        le=MAX_ROLES,
        description=gettext_noop("How many battery roles to return, best first."),
    )


def occupation_out(o: Occupation) -> dict[str, Any]:
    return {
        "code": o.code,
        "name_nb": o.name_nb,
        "name_en": o.name_en,
        "usual_level": o.usual_level,
        "usual_level_name": code_name("level", o.usual_level),
    }


@router.get(
    "",
    auth=None,
    response=list[OccupationOut],
    summary=gettext_noop("List source occupations"),
    description=gettext_noop(
        "Public. The occupations outside the battery industry that have retraining pathways, "
        "by STYRK-08 code."
    ),
)
def list_source_occupations(request: HttpRequest) -> Any:
    return [occupation_out(o) for o in occupations().values()]


@router.get(
    "/{code}",
    auth=None,
    response={200: OccupationPathwaysOut, 404: Message},
    summary=gettext_noop("Retraining pathways of one occupation"),
    description=gettext_noop(
        "Public. The battery roles the occupation fits best (by competence overlap), the missing "
        "competence areas, the registered offers that cover them and the total duration. 404 for "
        "an unknown occupation code."
    ),
)
def get_pathways(request: HttpRequest, code: str, query: Query[PathwayQuery]) -> Any:
    try:
        occupation = access_occupation(code)
    except Http404:
        return Status(
            404,
            {
                "detail": _("Unknown occupation %(code)s: use a STYRK-08 code from /api/pathways.")
                % {"code": code}
            },
        )
    pathways, ids = pathways_for(occupation.code, query.limit)
    return {
        "occupation": occupation_out(occupation),
        "pathways": [
            {
                "role": p.role,
                # the terminology source's names (core.codes.label), as every page shows them
                "role_name_nb": label("role", p.role, "nb"),
                "role_name_en": label("role", p.role, "en"),
                "role_name": code_name("role", p.role),
                "level": p.level,
                "level_name": code_name("level", p.level),
                "overlap": p.overlap,
                "missing": [
                    {"area": a, "area_name": code_name("area", a), "shortfall": s}
                    for a, s in p.missing
                ],
                "offers": [
                    {
                        "id": ids.get(c.offer.id),
                        "code": c.offer.id,
                        "name": c.offer.name,
                        "institution": c.offer.institution,
                        "kind": c.offer.kind,
                        "kind_name": choice_name(OfferKind.choices, c.offer.kind),
                        "level": c.offer.level,
                        "level_name": code_name("level_or_evu", c.offer.level),
                        "status": c.offer.status,
                        "status_name": code_name("offer_status", c.offer.status),
                        "duration_years": c.offer.duration_years,
                        "covers": list(c.covers),
                        "covers_names": [code_name("area", a) for a in c.covers],
                    }
                    for c in p.offers
                ],
                "uncovered": list(p.uncovered),
                "uncovered_names": [code_name("area", a) for a in p.uncovered],
                "offer_years": p.offer_years,
                "duration_years": p.duration_years,
            }
            for p in pathways
        ],
    }
