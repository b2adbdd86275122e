"""The API of organisations and their facilities (``/api/organisations``, ``/api/facilities``):
django-ninja routers mounted by ``battkomp.api.api``.

Reads go through ``organisations.access``, the one write (a capacity plan
version) through ``organisations.actions``; an object outside the caller's access is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from battkomp.api.auth import caller
from battkomp.api.common import DENIED, INVALID, invalid, paged, ref
from battkomp.api.schemas import ConflictOut, Int, Number, PageQuery, Ref, conflict_out
from battkomp.core.stale import MAX_VERSION
from battkomp.organisations.access import (
    access_facility_for_user,
    access_organisation_for_user,
    facilities_for_user,
    organisations_for_user,
)
from battkomp.organisations.actions import StalePlan, do_save_capacity_plan
from battkomp.organisations.models import CapacityPlan, Facility, Organisation

# --- schemas -------------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    org_number: str = Field(
        description=gettext_noop("Norwegian organisation number (9 digits), or empty.")
    )
    kind: str = Field(
        description=gettext_noop("company, education, research, cluster, union or authority."),
    )
    segments: list[str] = Field(description=gettext_noop("Value-chain segment codes."))
    county: str = Field(description=gettext_noop("County code, or empty."))


class OrganisationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrganisationOut]


class PlanYear(Schema):
    year: Int = Field(ge=1990, le=2100)
    capacity: Number = Field(
        ge=0, description=gettext_noop("GWh/yr (or GWh-equivalent) in that year.")
    )


class PlanOut(Schema):
    version: int
    note: str
    created_at: dt.datetime
    years: list[PlanYear]


class StatusOut(Schema):
    status: str = Field(
        description=gettext_noop("announced, fid, construction, operating, paused, cancelled.")
    )
    date: dt.date
    note: str


class FacilityOut(Schema):
    id: int
    organisation: Ref
    code: str
    name: str
    segment: str
    region: str
    start_year: int
    realisation_probability: float | None = Field(
        description=gettext_noop("Null: the default of the facility's status.")
    )
    delay_min: int | None
    delay_mode: int | None
    delay_max: int | None
    share_low: float | None = Field(
        description=gettext_noop(
            "Lowest share of the planned capacity built; null: the status default."
        )
    )
    share_mode: float | None = Field(
        description=gettext_noop("Most likely share built; null: the status default.")
    )
    share_high: float | None = Field(
        description=gettext_noop("Highest share built; null: the status default.")
    )
    ramp_offset: int = Field(
        description=gettext_noop("Staffing-ramp years ahead of the default ramp.")
    )
    intensity: float | None = Field(
        description=gettext_noop("Jobs per GWh/yr; null: the segment default.")
    )
    announced_jobs: float | None = Field(
        description=gettext_noop(
            "Direct jobs the owner announced for the full plan (not used by the model)."
        )
    )
    source: str
    status: StatusOut | None = Field(
        description=gettext_noop("The current status (the latest by date).")
    )
    plan: PlanOut | None = Field(
        description=gettext_noop("The current (latest) capacity plan version.")
    )


class FacilityDetailOut(FacilityOut):
    status_history: list[StatusOut] = Field(description=gettext_noop("Every status, newest first."))
    plan_versions: list[int] = Field(
        description=gettext_noop("Every plan version number, newest first.")
    )


class FacilityPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FacilityOut]


class PlanIn(Schema):
    years: list[PlanYear] = Field(
        description=gettext_noop("One row per year; each year at most once.")
    )
    note: str = Field("", max_length=5000)
    based_on: Int | None = Field(
        None,
        ge=0,
        le=MAX_VERSION,
        description=gettext_noop(
            "The plan version the new one replaces, as you read it (the first of the "
            "facility's `plan_versions`, 0 when it has none). When someone added a version "
            "since, nothing is written and the answer is 409 with what changed. Left out, the "
            "save is not checked."
        ),
    )


# --- organisations -------------------------------------------------------------------------

organisations_router = Router(tags=["organisations"])


def organisation_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "org_number": org.org_number,
        "kind": org.kind,
        "segments": list(org.segments or []),
        "county": org.county,
    }


@organisations_router.get(
    "",
    response={200: OrganisationPage, **DENIED},
    summary=gettext_noop("List organisations"),
    description=gettext_noop(
        "Analysts: every organisation. Respondents and editors: their own. Others: none."
    ),
)
def list_organisations(request: HttpRequest, page: Query[PageQuery]) -> Any:
    return paged(
        organisations_for_user(caller(request)).order_by("name", "id"), page, organisation_out
    )


@organisations_router.get(
    "/{organisation_id}",
    response={200: OrganisationOut, **DENIED},
    summary=gettext_noop("One organisation"),
    description=gettext_noop("Analysts, and the organisation's own members; 404 for anyone else."),
)
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return organisation_out(access_organisation_for_user(caller(request), organisation_id))


# --- facilities ----------------------------------------------------------------------------

facilities_router = Router(tags=["facilities"])


def _facility_queryset(qs: QuerySet[Facility]) -> QuerySet[Facility]:
    return qs.select_related("organisation").prefetch_related(
        "statuses", Prefetch("plans", queryset=CapacityPlan.objects.prefetch_related("years"))
    )


def _status_out(status: Any) -> dict[str, Any]:
    return {"status": status.status, "date": status.date, "note": status.note}


def _plan_out(plan: CapacityPlan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "note": plan.note,
        "created_at": plan.created_at,
        "years": [
            {"year": y.year, "capacity": y.capacity}
            for y in sorted(plan.years.all(), key=lambda y: y.year)
        ],
    }


def facility_out(facility: Facility, *, detail: bool = False) -> dict[str, Any]:
    statuses = sorted(facility.statuses.all(), key=lambda x: (x.date, x.pk), reverse=True)
    plans = sorted(facility.plans.all(), key=lambda p: p.version, reverse=True)
    out = {
        "id": facility.pk,
        "organisation": ref(facility.organisation),
        "code": facility.code,
        "name": facility.name,
        "segment": facility.segment,
        "region": facility.region,
        "start_year": facility.start_year,
        "realisation_probability": facility.realisation_probability,
        "delay_min": facility.delay_min,
        "delay_mode": facility.delay_mode,
        "delay_max": facility.delay_max,
        "share_low": facility.share_low,
        "share_mode": facility.share_mode,
        "share_high": facility.share_high,
        "ramp_offset": facility.ramp_offset,
        "intensity": facility.intensity,
        "announced_jobs": facility.announced_jobs,
        "source": facility.source,
        "status": _status_out(statuses[0]) if statuses else None,
        "plan": _plan_out(plans[0]) if plans else None,
    }
    if detail:
        out["status_history"] = [_status_out(x) for x in statuses]
        out["plan_versions"] = [p.version for p in plans]
    return out


@facilities_router.get(
    "",
    response={200: FacilityPage, **DENIED},
    summary=gettext_noop("List facilities"),
    description=(
        gettext_noop(
            "With the current status and the current capacity plan. Analysts: every facility. "
            "Members of an organisation: their organisation's. Others: none."
        )
    ),
)
def list_facilities(request: HttpRequest, page: Query[PageQuery]) -> Any:
    qs = _facility_queryset(facilities_for_user(caller(request))).order_by("name", "id")
    return paged(qs, page, facility_out)


@facilities_router.get(
    "/{facility_id}",
    response={200: FacilityDetailOut, **DENIED},
    summary=gettext_noop("One facility"),
    description=(
        gettext_noop(
            "With its status history and plan versions. Analysts, and the owning organisation's "
            "members; 404 for anyone else."
        )
    ),
)
def get_facility(request: HttpRequest, facility_id: int) -> Any:
    facility = access_facility_for_user(caller(request), facility_id, edit=False)
    facility = _facility_queryset(Facility.objects.filter(pk=facility.pk)).get()
    return facility_out(facility, detail=True)


@facilities_router.post(
    "/{facility_id}/plans",
    response={201: PlanOut, 409: ConflictOut, **DENIED, **INVALID},
    summary=gettext_noop("Add a capacity plan version"),
    description=(
        gettext_noop(
            "Records version n + 1 of the facility's capacity plan; earlier versions are kept. "
            "With `based_on`, refused with 409 and what changed when a version was added since "
            "(nothing is written). Analysts only (404 for anyone else)."
        )
    ),
)
def add_plan(request: HttpRequest, facility_id: int, payload: PlanIn) -> Any:
    user = caller(request)
    facility = access_facility_for_user(user, facility_id, edit=True)
    try:
        plan = do_save_capacity_plan(
            facility,
            user,
            [(y.year, y.capacity) for y in payload.years],
            note=payload.note,
            based_on=payload.based_on,
        )
    except DjangoValidationError as exc:
        raise invalid(exc, "body", "years") from None
    except StalePlan as stale:
        return Status(409, conflict_out(stale))
    plan = CapacityPlan.objects.prefetch_related("years").get(pk=plan.pk)
    return Status(201, _plan_out(plan))
