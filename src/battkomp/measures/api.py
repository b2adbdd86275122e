"""The API of measures and the infrastructure register (django-ninja routers, added to the
platform's API in ``battkomp.api.api``).

As everywhere in the API: reads go through ``measures.access``, writes through the
``measures.actions`` ``do_*`` functions, so the API can show and change no more than the pages;
an object outside the caller's access is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from battkomp.api.auth import caller
from battkomp.api.common import DENIED, INVALID, choice_name, code_name, invalid, paged, ref
from battkomp.api.schemas import (
    MAX_ID,
    Int,
    Number,
    PageQuery,
    Ref,
    id_filter,
    name_field,
)
from battkomp.core.users import is_analyst
from battkomp.measures.access import (
    access_measure_for_status_change,
    access_measure_for_user,
    public_infrastructure,
    public_measures,
)
from battkomp.measures.actions import (
    MEASURE_FIELDS,
    do_change_measure_status,
    do_save_measure,
    partner_organisation,
)
from battkomp.measures.gaps import published_area_gaps
from battkomp.measures.models import Infrastructure, InfrastructureKind, Measure
from battkomp.organisations.models import Organisation

# --- schemas -------------------------------------------------------------------------------


class TargetSchema(Schema):
    level: str = Field(description=gettext_noop("Education level code (nkr4–nkr8)."))
    area: str = Field(description=gettext_noop("Competence area code (an area, not a group)."))
    weight: Number = Field(
        description=gettext_noop("Share of the places; the weights sum to 1 (or to 100).")
    )


_IN_CALLERS_LANGUAGE = gettext_noop(
    "In the caller's language: read, the text in that language or, when it has none, in the "
    "other; written, it sets that language's text unless the _nb or _en field is given too."
)


class TargetOut(TargetSchema):
    level_name: str = name_field()
    area_name: str = name_field()


class MeasureFields(Schema):
    title_nb: str = Field("", max_length=200)
    title_en: str = Field("", max_length=200)
    commandment: Int = Field(description=gettext_noop("The commandment it serves, 1–10."))
    lever: str = Field(description=gettext_noop("recruit_abroad, retrain, evu_module or educate."))
    horizon: str = Field(
        "", description=gettext_noop("short, medium or long; empty: the lever's horizon.")
    )
    description_nb: str = ""
    description_en: str = ""
    places_per_year: Number = Field(
        description=gettext_noop(
            "Extra study places (educate), course places (retrain, evu_module) or recruitment "
            "capacity (recruit_abroad) per year."
        )
    )
    start_year: Int
    end_year: Int | None = None
    duration_years: Number | None = None
    completion_rate: Number | None = None
    cost_nok: Number | None = None
    url: str = ""
    source: str = ""


class MeasureIn(MeasureFields):
    title: str = Field(
        "",
        max_length=200,
        description=gettext_noop(
            "The title in the caller's language (kept for older clients): sets that "
            "language's title unless title_nb or title_en is given. One title is required."
        ),
    )
    description: str = Field("", description=_IN_CALLERS_LANGUAGE)
    targets: list[TargetSchema]
    owner: Int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description=gettext_noop(
            "The owner organisation's id. Partners may leave it out (their own organisation)."
        ),
    )
    status: str | None = Field(
        None,
        description=gettext_noop(
            "Analysts only: the first status (default proposed). Partners' measures are proposed."
        ),
    )


class MeasureOut(MeasureFields):
    title: str = Field(description=_IN_CALLERS_LANGUAGE)
    description: str = Field(description=_IN_CALLERS_LANGUAGE)
    id: int
    bundle_id: str = Field(description=gettext_noop("The measure's id in a model input bundle."))
    owner: Ref | None
    status: str = Field(description=gettext_noop("proposed, agreed, running, done or dropped."))
    commandment_name: str = name_field()
    lever_name: str = name_field()
    horizon_name: str = name_field()
    status_name: str = name_field()
    targets: list[TargetOut]
    updated_at: dt.datetime


class MeasurePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MeasureOut]


class StatusIn(Schema):
    status: str = Field(description=gettext_noop("The new status."))
    note: str = Field("", max_length=2000)


class StatusChangeOut(Schema):
    measure: int
    from_status: str
    to_status: str
    changed_at: dt.datetime
    note: str


class InfrastructureOut(Schema):
    id: int
    name: str = Field(description=_IN_CALLERS_LANGUAGE)
    name_nb: str
    name_en: str
    owner: Ref | None
    owner_name: str = Field(description=gettext_noop("The owner's name (registered or not)."))
    kind: str = Field(
        description=gettext_noop("lab, pilot_line, test_facility, training or other.")
    )
    kind_name: str = name_field()
    region: str
    region_name: str = name_field()
    place: str
    areas: list[str] = Field(description=gettext_noop("Competence area codes it serves."))
    area_names: list[str] = Field(
        description=gettext_noop(
            "The names of `areas`, in the same order, in the caller's language (the "
            "Accept-Language header or the language cookie; bokmål otherwise)."
        )
    )
    description: str = Field(description=_IN_CALLERS_LANGUAGE)
    description_nb: str
    description_en: str
    access_terms: str = Field(description=_IN_CALLERS_LANGUAGE)
    access_terms_nb: str
    access_terms_en: str
    url: str
    source: str
    largest_gap: float | None = Field(
        description=gettext_noop(
            "The largest mean shortage of its areas in the latest published snapshot (null if "
            "none is published)."
        )
    )


class InfrastructurePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InfrastructureOut]


class MeasureFilter(Schema):
    commandment: int | None = Field(
        None, ge=1, le=10, description=gettext_noop("The commandment, 1–10.")
    )
    lever: str | None = None
    status: str | None = None
    owner: int | None = id_filter(gettext_noop("The owner organisation's id."))


class InfrastructureFilter(Schema):
    area: str | None = None
    region: str | None = None


# --- helpers -------------------------------------------------------------------------------


def measure_out(measure: Measure) -> dict[str, Any]:
    out = {name: getattr(measure, name) for name in MEASURE_FIELDS}
    out.update(
        {
            "title": str(measure.title),
            "description": str(measure.description),
            "id": measure.pk,
            "bundle_id": measure.bundle_id,
            "owner": ref(measure.owner),
            "status": measure.status,
            "commandment_name": code_name("commandment", str(measure.commandment)),
            "lever_name": code_name("lever", measure.lever),
            "horizon_name": code_name("horizon", measure.horizon),
            "status_name": code_name("measure_status", measure.status),
            "targets": [
                {
                    "level": t.level,
                    "level_name": code_name("level", t.level),
                    "area": t.area,
                    "area_name": code_name("area", t.area),
                    "weight": t.weight,
                }
                for t in measure.targets.all()
            ],
            "updated_at": measure.updated_at,
        }
    )
    return out


# --- measures ------------------------------------------------------------------------------

measures_router = Router(tags=["measures"])


@measures_router.get(
    "",
    auth=None,
    response=MeasurePage,
    summary=gettext_noop("List public measures"),
    description=gettext_noop(
        "Public: the agreed, running and done measures of the catalogue (proposed and dropped "
        "ones are not listed). Filter by commandment, lever, status and owner id."
    ),
)
def list_measures(
    request: HttpRequest, page: Query[PageQuery], filters: Query[MeasureFilter]
) -> Any:
    qs = public_measures().prefetch_related("targets")
    for name in ("commandment", "lever", "status"):
        value = getattr(filters, name)
        if value not in (None, ""):
            qs = qs.filter(**{name: value})
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    return paged(qs.order_by("commandment", "title_nb", "title_en", "pk"), page, measure_out)


@measures_router.get(
    "/{measure_id}",
    response={200: MeasureOut, **DENIED},
    summary=gettext_noop("One measure"),
    description=gettext_noop(
        "Agreed, running and done measures for anyone with an account; proposed and dropped "
        "ones for their owner's members and analysts; 404 for anyone else."
    ),
)
def get_measure(request: HttpRequest, measure_id: int) -> Any:
    measure = access_measure_for_user(caller(request), measure_id)
    return measure_out(measure)


@measures_router.post(
    "",
    response={201: MeasureOut, **DENIED, **INVALID},
    summary=gettext_noop("Register a measure"),
    description=gettext_noop(
        "With its targeted competence areas and levels (weights sum to 1). Partners (company "
        "respondents and institution editors) register for their own organisation, always as "
        "proposed; analysts for any owner and with any first status. 404 for anyone else."
    ),
)
def create_measure(request: HttpRequest, payload: MeasureIn) -> Any:
    user = caller(request)
    if is_analyst(user):
        owner = None
        if payload.owner is not None:
            owner = Organisation.objects.filter(pk=payload.owner).first()
            if owner is None:
                raise Http404
    else:
        owner = partner_organisation(user)
        if owner is None or payload.owner not in (None, owner.pk):
            raise Http404
    data = payload.model_dump(include={*MEASURE_FIELDS, "title", "description"})
    targets = [(t.level, t.area, t.weight) for t in payload.targets]
    try:
        measure = do_save_measure(user, data, targets, owner=owner, status=payload.status)
    except DjangoValidationError as exc:
        raise invalid(exc) from None
    return Status(201, measure_out(measure))


@measures_router.post(
    "/{measure_id}/status",
    response={200: StatusChangeOut, **DENIED, **INVALID},
    summary=gettext_noop("Change a measure's status"),
    description=gettext_noop(
        "Analysts only (404 for anyone else). The change is recorded with who made it and when; "
        "a change the workflow does not allow is 422."
    ),
)
def change_measure_status(request: HttpRequest, measure_id: int, payload: StatusIn) -> Any:
    user = caller(request)
    measure = access_measure_for_status_change(user, measure_id)
    try:
        change = do_change_measure_status(measure, user, payload.status, payload.note)
    except DjangoValidationError as exc:
        raise invalid(exc) from None
    return {
        "measure": measure.pk,
        "from_status": change.from_status,
        "to_status": change.to_status,
        "changed_at": change.changed_at,
        "note": change.note,
    }


# --- infrastructure ------------------------------------------------------------------------

infrastructure_router = Router(tags=["infrastructure"])


@infrastructure_router.get(
    "",
    auth=None,
    response=InfrastructurePage,
    summary=gettext_noop("List research and test infrastructure"),
    description=gettext_noop(
        "Public: the approved, public entries of the register, those serving the competence "
        "areas with the largest published shortage first. Filter by area and region codes."
    ),
)
def list_infrastructure(
    request: HttpRequest, page: Query[PageQuery], filters: Query[InfrastructureFilter]
) -> Any:
    qs = public_infrastructure()
    if filters.region:
        qs = qs.filter(region=filters.region)
    items: list[Infrastructure] = list(qs)
    if filters.area:
        items = [i for i in items if filters.area in (i.areas or [])]
    _publication, gaps = published_area_gaps()

    def largest(item: Infrastructure) -> float | None:
        values = [gaps[a] for a in item.areas or [] if a in gaps]
        return max(values) if values else None

    ranked = sorted(
        ((largest(i), i) for i in items),
        key=lambda p: (p[0] is None, -(p[0] or 0.0), p[1].name.lower()),
    )

    def out(pair: tuple[float | None, Infrastructure]) -> dict[str, Any]:
        gap, item = pair
        return {
            "id": item.pk,
            "name": str(item.name),
            "name_nb": item.name_nb,
            "name_en": item.name_en,
            "owner": ref(item.owner),
            "owner_name": item.owner_label,
            "kind": item.kind,
            "kind_name": choice_name(InfrastructureKind.choices, item.kind),
            "region": item.region,
            "region_name": code_name("region", item.region),
            "place": item.place,
            "areas": list(item.areas or []),
            "area_names": [code_name("area", a) for a in item.areas or []],
            "description": str(item.description),
            "description_nb": item.description_nb,
            "description_en": item.description_en,
            "access_terms": str(item.access_terms),
            "access_terms_nb": item.access_terms_nb,
            "access_terms_en": item.access_terms_en,
            "url": item.url,
            "source": item.source,
            "largest_gap": gap,
        }

    return paged(ranked, page, out)
