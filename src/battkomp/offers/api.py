"""The API of education offers (``/api/offers``): a django-ninja router mounted by
``battkomp.api.api``.

Offers are public to read; writes go through ``offers.access`` and the ``offers.actions``
``do_*`` functions, as on the pages; an offer the caller may not change is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from battkomp.api.auth import caller
from battkomp.api.common import (
    DENIED,
    INVALID,
    Refused,
    choice_name,
    code_name,
    invalid,
    paged,
    ref,
)
from battkomp.api.schemas import (
    ConflictOut,
    Int,
    Message,
    Number,
    PageQuery,
    Ref,
    conflict_out,
    id_filter,
    name_field,
)
from battkomp.core.stale import MAX_VERSION
from battkomp.offers.access import (
    access_institution_for_user,
    access_offer_for_user,
    own_institution,
)
from battkomp.offers.actions import OFFER_FIELDS, StaleOffer, do_delete_offer, do_save_offer
from battkomp.offers.models import Offer, OfferKind, OfferMode

# --- schemas -------------------------------------------------------------------------------


class AreaWeight(Schema):
    area: str = Field(description=gettext_noop("Competence area code (a leaf of the taxonomy)."))
    weight: Number = Field(
        description=gettext_noop("Share of the offer in this area; weights sum to 1.")
    )


class AreaWeightOut(AreaWeight):
    area_name: str = name_field()


class OfferFields(Schema):
    code: str = Field(
        description=gettext_noop("Unique code of the offer (letters, digits, - and _).")
    )
    name_nb: str = Field("", max_length=200)
    name_en: str = Field("", max_length=200)
    kind: str = Field(description=gettext_noop("programme, course, module or bransjeprogram."))
    level: str = Field(description=gettext_noop("Education level code, or evu."))
    target_level: str = Field(
        "", description=gettext_noop("For EVU: the level its participants count at.")
    )
    study_places: Int | None = None
    candidates: Int | None = None
    first_intake: Int
    duration_years: Number | None = None
    ects: Number | None = None
    region: str = Field(description=gettext_noop("Region (county) code of the location."))
    mode: str = Field("campus", description=gettext_noop("campus, online or gatherings."))
    status: str = Field(description=gettext_noop("exists, under_development or planned."))
    completion_rate: Number | None = Field(
        None, ge=0, le=1, description=gettext_noop("Share who complete, 0–1.")
    )
    capture_share: Number | None = Field(
        None,
        ge=0,
        le=1,
        description=gettext_noop("Share of graduates the battery industry attracts, 0–1."),
    )
    source: str = ""


class OfferIn(OfferFields):
    name: str = Field(
        "",
        max_length=200,
        description=gettext_noop(
            "The name in the caller's language (kept for older clients): sets that language's "
            "name unless name_nb or name_en is given. One name is required."
        ),
    )
    areas: list[AreaWeight]


class OfferUpdateIn(OfferIn):
    based_on: Int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description=gettext_noop(
            "The `version` of the offer you changed, as you read it. When someone saved the "
            "offer since, nothing is written and the answer is 409 with where the stored offer "
            "differs. Left out, the save is not checked."
        ),
    )


class OfferCreateIn(OfferIn):
    institution: Int | None = Field(
        None,
        description=gettext_noop(
            "The institution's id. Editors may leave it out (their own institution)."
        ),
    )


class OfferOut(OfferFields):
    name: str = Field(
        description=gettext_noop(
            "The name in the caller's language, or in the other language when it has none."
        )
    )
    kind_name: str = name_field()
    level_name: str = name_field()
    target_level_name: str = name_field()
    region_name: str = name_field()
    mode_name: str = name_field()
    status_name: str = name_field()
    id: int
    institution: Ref
    areas: list[AreaWeightOut]
    updated_at: dt.datetime
    version: int = Field(
        description=gettext_noop(
            "1 when registered, one more on every save; send it as `based_on` when you change "
            "the offer."
        )
    )


class OfferPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OfferOut]


# --- education offers ----------------------------------------------------------------------

offers_router = Router(tags=["offers"])


class OfferFilter(Schema):
    institution: int | None = id_filter(gettext_noop("The institution's id."))
    level: str | None = None
    area: str | None = None
    status: str | None = None
    kind: str | None = None


def offer_out(offer: Offer) -> dict[str, Any]:
    out = {name: getattr(offer, name) for name in OFFER_FIELDS}
    out.update(
        {
            "name": str(offer.name),
            "kind_name": choice_name(OfferKind.choices, offer.kind),
            "level_name": code_name("level_or_evu", offer.level),
            "target_level_name": code_name("level", offer.target_level),
            "region_name": code_name("region", offer.region),
            "mode_name": choice_name(OfferMode.choices, offer.mode),
            "status_name": code_name("offer_status", offer.status),
            "id": offer.pk,
            "institution": ref(offer.institution),
            "areas": [
                {"area": a.area, "area_name": code_name("area", a.area), "weight": a.weight}
                for a in sorted(offer.areas.all(), key=lambda a: (-a.weight, a.area))
            ],
            "updated_at": offer.updated_at,
            "version": offer.version,
        }
    )
    return out


def _offer_queryset() -> QuerySet[Offer]:
    return Offer.objects.select_related("institution").prefetch_related("areas")


def _offer_args(payload: OfferIn) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    data = payload.model_dump(include={*OFFER_FIELDS, "name"})
    return data, [(a.area, a.weight) for a in payload.areas]


@offers_router.get(
    "",
    auth=None,
    response=OfferPage,
    summary=gettext_noop("List education offers"),
    description=gettext_noop(
        "Public: anyone may read offers. Filter by institution id and by codes."
    ),
)
def list_offers(request: HttpRequest, page: Query[PageQuery], filters: Query[OfferFilter]) -> Any:
    qs = _offer_queryset()
    if filters.institution is not None:
        qs = qs.filter(institution_id=filters.institution)
    for name in ("level", "status", "kind"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.area:
        qs = qs.filter(areas__area=filters.area)
    return paged(qs.order_by("institution__name", "name_nb", "name_en", "id"), page, offer_out)


@offers_router.get(
    "/{offer_id}",
    auth=None,
    response={200: OfferOut, 404: Message},
    summary=gettext_noop("One education offer"),
    description=gettext_noop("Public: anyone may read offers."),
)
def get_offer(request: HttpRequest, offer_id: int) -> Any:
    offer = access_offer_for_user(request.user, offer_id, edit=False)
    return offer_out(_offer_queryset().get(pk=offer.pk))


@offers_router.post(
    "",
    response={201: OfferOut, **DENIED, **INVALID},
    summary=gettext_noop("Register an education offer"),
    description=(
        gettext_noop(
            "With its competence areas and weights. The institution's editors (who may leave out "
            "`institution`) and analysts; 404 when the caller may not change the institution's "
            "offers."
        )
    ),
)
def create_offer(request: HttpRequest, payload: OfferCreateIn) -> Any:
    user = caller(request)
    if payload.institution is not None:
        institution = access_institution_for_user(user, payload.institution)
    else:
        institution = own_institution(user)
        if institution is None:
            raise Refused(
                [
                    {
                        "loc": ["body", "institution"],
                        "msg": _("Give the id of the institution the offer belongs to."),
                        "type": "missing",
                    }
                ]
            )
    data, areas = _offer_args(payload)
    try:
        offer = do_save_offer(institution, user, data, areas)
    except DjangoValidationError as exc:
        raise invalid(exc, "body") from None
    return Status(201, offer_out(_offer_queryset().get(pk=offer.pk)))


@offers_router.put(
    "/{offer_id}",
    response={200: OfferOut, 409: ConflictOut, **DENIED, **INVALID},
    summary=gettext_noop("Change an education offer"),
    description=(
        gettext_noop(
            "Replaces the offer's fields and competence areas. Send `based_on` (the `version` "
            "you read): a change based on an older version is refused with 409, the stored "
            "version and where it differs from yours, and nothing is written. The "
            "institution's editors and analysts; 404 for anyone else."
        )
    ),
)
def update_offer(request: HttpRequest, offer_id: int, payload: OfferUpdateIn) -> Any:
    user = caller(request)
    offer = access_offer_for_user(user, offer_id, edit=True)
    data, areas = _offer_args(payload)
    try:
        do_save_offer(offer.institution, user, data, areas, offer=offer, based_on=payload.based_on)
    except DjangoValidationError as exc:
        raise invalid(exc, "body") from None
    except StaleOffer as stale:
        return Status(409, conflict_out(stale))
    return offer_out(_offer_queryset().get(pk=offer.pk))


@offers_router.delete(
    "/{offer_id}",
    response={204: None, **DENIED},
    summary=gettext_noop("Delete an education offer"),
    description=gettext_noop("The institution's editors and analysts; 404 for anyone else."),
)
def delete_offer(request: HttpRequest, offer_id: int) -> Any:
    user = caller(request)
    offer = access_offer_for_user(user, offer_id, edit=True)
    do_delete_offer(offer, user)
    return Status(204, None)
