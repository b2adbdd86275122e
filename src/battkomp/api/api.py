"""The OpenAPI 3 API under /api/ (django-ninja).

Every operation reads through the apps' ``access_*`` functions and writes through their ``do_*``
actions, exactly as the web pages do, so the API can never show or change more than the pages.
Anonymous callers may only read education offers, published snapshots, retraining pathways, public
measures and the research-infrastructure register (401 elsewhere); an object outside the caller's
access is 404, never 403, so a request cannot learn that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from battkomp.accounts.access import access_organisation_for_user, is_analyst, log_access
from battkomp.analysis.publishing.api import router as publications_router
from battkomp.api import schemas as s
from battkomp.api.auth import AUTH, caller
from battkomp.api.docs import ServerRenderedDocs
from battkomp.measures.api import infrastructure_router, measures_router
from battkomp.offers.access import (
    access_institution_for_user,
    access_offer_for_user,
    own_institution,
)
from battkomp.offers.actions import OFFER_FIELDS, do_delete_offer, do_save_offer
from battkomp.offers.models import Offer
from battkomp.organisations.access import (
    access_facility_for_user,
    facilities_for_user,
    organisations_for_user,
)
from battkomp.organisations.actions import do_save_capacity_plan
from battkomp.organisations.models import CapacityPlan, Facility, Organisation
from battkomp.pathways.api import router as pathways_router
from battkomp.survey.access import (
    access_participant_for_user,
    access_round_for_user,
    can_edit_response,
    participants_for_user,
)
from battkomp.survey.actions import do_mark_opened, do_save_response, do_submit_response
from battkomp.survey.models import Participant, Response, Round, RoundStatus


class BattkompAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """Short ids (``list_offers``) for generated clients, not module paths."""
        return str(operation.view_func.__name__)


api = BattkompAPI(
    title="battkomp API",
    version="1",
    description=(
        gettext_noop(
            "Organisations, facilities, survey rounds, needs, education offers, published "
            "snapshots, retraining pathways, measures and research infrastructure of the "
            "battkomp platform. Machine clients authenticate with `Authorization: Bearer <key>` "
            "(keys are made on /api/tokens/); browsers use their session and send the CSRF "
            "token on unsafe methods. Anonymous callers may only read education offers, "
            "published snapshots, retraining pathways, public measures and the "
            "research-infrastructure register. An object outside the caller's access is 404."
        )
    ),
    urls_namespace="api",
    auth=AUTH,
    docs=ServerRenderedDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

#: Documented on every operation that needs an account.
DENIED = {401: s.Message, 404: s.Message}
INVALID = {422: s.ValidationErrorOut}

# --- errors --------------------------------------------------------------------------------


def _problems(exc: DjangoValidationError, where: tuple[str, ...]) -> list[dict[str, Any]]:
    """A Django ValidationError as 422 details: ``loc`` names the field when the action keyed
    its messages by field, otherwise ``where``."""
    problems: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            loc = [*where[:1], field] if field != "__all__" else list(where[:1])
            problems.extend({"loc": loc, "msg": str(m), "type": "value_error"} for m in messages)
    else:
        problems.extend(
            {"loc": list(where), "msg": str(m), "type": "value_error"} for m in exc.messages
        )
    return problems


def invalid(exc: DjangoValidationError, *where: str) -> NinjaValidationError:
    return NinjaValidationError(_problems(exc, where or ("body",)))


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _problems(exc, ("body",))}, status=422)


@api.exception_handler(PermissionError)
def _not_now(request: HttpRequest, exc: PermissionError) -> HttpResponse:
    """An action refused a change the caller may see (e.g. the round is not open): 409."""
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": _("Authentication required: a bearer token or a session.")}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="battkomp"'
    return response


# --- helpers -------------------------------------------------------------------------------


def paged(
    items: QuerySet[Any] | list[Any], page: s.PageQuery, serialise: Callable[[Any], Any]
) -> dict[str, Any]:
    count = items.count() if isinstance(items, QuerySet) else len(items)
    window = items[page.offset : page.offset + page.limit]
    return {
        "count": count,
        "limit": page.limit,
        "offset": page.offset,
        "items": [serialise(item) for item in window],
    }


def _ref(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "name": obj.name}


# --- organisations -------------------------------------------------------------------------

organisations = Router(tags=["organisations"])


def organisation_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "org_number": org.org_number,
        "kind": org.kind,
        "segments": list(org.segments or []),
        "county": org.county,
    }


@organisations.get(
    "",
    response={200: s.OrganisationPage, **DENIED},
    summary=gettext_noop("List organisations"),
    description=gettext_noop(
        "Analysts: every organisation. Respondents and editors: their own. Others: none."
    ),
)
def list_organisations(request: HttpRequest, page: Query[s.PageQuery]) -> Any:
    return paged(
        organisations_for_user(caller(request)).order_by("name", "id"), page, organisation_out
    )


@organisations.get(
    "/{organisation_id}",
    response={200: s.OrganisationOut, **DENIED},
    summary=gettext_noop("One organisation"),
    description=gettext_noop("Analysts, and the organisation's own members; 404 for anyone else."),
)
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return organisation_out(access_organisation_for_user(caller(request), organisation_id))


# --- facilities ----------------------------------------------------------------------------

facilities = Router(tags=["facilities"])


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
        "organisation": _ref(facility.organisation),
        "code": facility.code,
        "name": facility.name,
        "segment": facility.segment,
        "region": facility.region,
        "start_year": facility.start_year,
        "realisation_probability": facility.realisation_probability,
        "delay_min": facility.delay_min,
        "delay_mode": facility.delay_mode,
        "delay_max": facility.delay_max,
        "ramp_offset": facility.ramp_offset,
        "intensity": facility.intensity,
        "source": facility.source,
        "status": _status_out(statuses[0]) if statuses else None,
        "plan": _plan_out(plans[0]) if plans else None,
    }
    if detail:
        out["status_history"] = [_status_out(x) for x in statuses]
        out["plan_versions"] = [p.version for p in plans]
    return out


@facilities.get(
    "",
    response={200: s.FacilityPage, **DENIED},
    summary=gettext_noop("List facilities"),
    description=(
        gettext_noop(
            "With the current status and the current capacity plan. Analysts: every facility. "
            "Members of an organisation: their organisation's. Others: none."
        )
    ),
)
def list_facilities(request: HttpRequest, page: Query[s.PageQuery]) -> Any:
    qs = _facility_queryset(facilities_for_user(caller(request))).order_by("name", "id")
    return paged(qs, page, facility_out)


@facilities.get(
    "/{facility_id}",
    response={200: s.FacilityDetailOut, **DENIED},
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


@facilities.post(
    "/{facility_id}/plans",
    response={201: s.PlanOut, **DENIED, **INVALID},
    summary=gettext_noop("Add a capacity plan version"),
    description=(
        gettext_noop(
            "Records version n + 1 of the facility's capacity plan; earlier versions are kept. "
            "Analysts only (404 for anyone else)."
        )
    ),
)
def add_plan(request: HttpRequest, facility_id: int, payload: s.PlanIn) -> Any:
    user = caller(request)
    facility = access_facility_for_user(user, facility_id, edit=True)
    try:
        plan = do_save_capacity_plan(
            facility, user, [(y.year, y.capacity) for y in payload.years], note=payload.note
        )
    except DjangoValidationError as exc:
        raise invalid(exc, "body", "years") from None
    plan = CapacityPlan.objects.prefetch_related("years").get(pk=plan.pk)
    return Status(201, _plan_out(plan))


# --- survey rounds -------------------------------------------------------------------------

rounds = Router(tags=["rounds"])


def round_out(round_: Round, participant: Participant | None = None) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "name": round_.name,
        "first_year": round_.first_year,
        "last_year": round_.last_year,
        "opens_on": round_.opens_on,
        "deadline": round_.deadline,
        "questionnaire_version": round_.questionnaire_version,
        "status": round_.status,
        "participant_id": participant.pk if participant else None,
        "participant_status": participant.status if participant else None,
    }


@rounds.get(
    "",
    response={200: s.RoundPage, **DENIED},
    summary=gettext_noop("List survey rounds"),
    description=(
        gettext_noop(
            "Analysts: every round. Company respondents: the open and closed rounds their "
            "organisation takes part in, with their participation's id and status. Others: none."
        )
    ),
)
def list_rounds(request: HttpRequest, page: Query[s.PageQuery]) -> Any:
    user = caller(request)
    if is_analyst(user):
        return paged(Round.objects.order_by("-opens_on", "-id"), page, round_out)
    mine = participants_for_user(user).order_by("-round__opens_on", "-round_id")
    return paged(mine, page, lambda p: round_out(p.round, p))


def participant_out(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "organisation": _ref(participant.organisation),
        "status": participant.status,
        "invited_at": participant.invited_at,
        "opened_at": participant.opened_at,
        "submitted_at": participant.submitted_at,
        "reminders_sent": participant.reminders_sent,
    }


@rounds.get(
    "/{round_id}/participants",
    response={200: s.ParticipantPage, **DENIED},
    summary=gettext_noop("A round's participants"),
    description=gettext_noop(
        "Who is invited and how far each has come. Analysts only (404 for anyone else)."
    ),
)
def list_participants(request: HttpRequest, round_id: int, page: Query[s.PageQuery]) -> Any:
    round_ = access_round_for_user(caller(request), round_id)
    qs = round_.participants.select_related("organisation").order_by("organisation__name", "id")
    return paged(qs, page, participant_out)


# --- responses (needs) ---------------------------------------------------------------------

responses = Router(tags=["responses"])

_LINE_FIELDS = (
    "role",
    "level",
    "area",
    "year",
    "new_hires",
    "total_staff",
    "recruit_difficulty",
    "share_abroad",
    "critical_competences",
    "comment",
)


def response_out(participant: Participant, user: Any) -> dict[str, Any]:
    answers = Response.objects.filter(participant=participant).prefetch_related("lines").first()
    latest = answers.revisions.order_by("-number").first() if answers else None
    round_ = participant.round
    return {
        "participant_id": participant.pk,
        "round": _ref(round_),
        "round_status": round_.status,
        "years": round_.years,
        "organisation": _ref(participant.organisation),
        "status": participant.status,
        "submitted_at": participant.submitted_at,
        "editable": can_edit_response(user, participant),
        "access_is_challenge": answers.access_is_challenge if answers else None,
        "comments": answers.comments if answers else "",
        "lines": [
            {name: getattr(line, name) for name in _LINE_FIELDS}
            for line in sorted(answers.lines.all(), key=lambda n: n.pk)
        ]
        if answers
        else [],
        "revision": latest.number if latest else None,
        "updated_at": answers.updated_at if answers else None,
    }


def _editable_participant(user: Any, participant_id: int) -> Participant:
    """The participation, if this caller may change its answers now.

    As on the web page: only the organisation's own respondents, and only while the round is
    open (409 otherwise); analysts read but do not change a company's answers (403, since they
    may see the participation).
    """
    participant = access_participant_for_user(user, participant_id)
    if not can_edit_response(user, participant):
        if participant.round.status != RoundStatus.OPEN:
            raise PermissionError(_("The round is not open: answers cannot be changed."))
        raise _Forbidden
    return participant


class _Forbidden(Exception):  # noqa: N818 (an answer, not a programming error)
    pass


@api.exception_handler(_Forbidden)
def _forbidden(request: HttpRequest, exc: _Forbidden) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Only the organisation's respondents can change its answers.")},
        status=403,
    )


@responses.get(
    "/{participant_id}",
    response={200: s.ResponseOut, **DENIED},
    summary=gettext_noop("A participant's answers"),
    description=(
        gettext_noop(
            "The general answers and the need lines. The organisation's own respondents (the "
            "first read marks the form opened), and analysts (every analyst read is logged); "
            "404 for anyone else."
        )
    ),
)
def get_response(request: HttpRequest, participant_id: int) -> Any:
    user = caller(request)
    participant = access_participant_for_user(user, participant_id)
    if is_analyst(user):
        log_access(
            user,
            "view_response",
            participant,
            participant.organisation,
            detail=f"API: {participant.round.name}",
        )
    elif can_edit_response(user, participant):
        do_mark_opened(participant, user)
    return response_out(participant, user)


def _general(payload: s.ResponseIn) -> dict[str, Any] | None:
    given = {
        name: getattr(payload, name)
        for name in ("access_is_challenge", "comments")
        if name in payload.model_fields_set
    }
    return given or None


@responses.put(
    "/{participant_id}",
    response={200: s.ResponseOut, 403: s.Message, 409: s.Message, **DENIED, **INVALID},
    summary=gettext_noop("Save a participant's answers"),
    description=(
        gettext_noop(
            "Replaces the need lines (and the general answers given) and records a revision; the "
            "answers need not be complete. The organisation's own respondents while the round is "
            "open (409 when it is not; 403 for analysts, who read but do not change answers); 404 "
            "for anyone else."
        )
    ),
)
def save_response(request: HttpRequest, participant_id: int, payload: s.ResponseIn) -> Any:
    user = caller(request)
    participant = _editable_participant(user, participant_id)
    lines = [line.model_dump() for line in payload.lines]
    try:
        do_save_response(participant, user, lines=lines, general=_general(payload), kind="save")
    except DjangoValidationError as exc:
        raise invalid(exc, "body", "lines") from None
    return response_out(participant, user)


@responses.post(
    "/{participant_id}/submit",
    response={200: s.ResponseOut, 403: s.Message, 409: s.Message, **DENIED, **INVALID},
    summary=gettext_noop("Submit a participant's answers"),
    description=(
        gettext_noop(
            "Checks the stored answers are complete (every line has new hires and total staff for "
            "every year of the round) and marks the participant submitted; 422 lists what is "
            "missing. Same access as saving."
        )
    ),
)
def submit_response(request: HttpRequest, participant_id: int) -> Any:
    user = caller(request)
    participant = _editable_participant(user, participant_id)
    try:
        do_submit_response(participant, user)
    except DjangoValidationError as exc:
        raise invalid(exc, "response", "lines") from None
    return response_out(participant, user)


# --- education offers ----------------------------------------------------------------------

offers = Router(tags=["offers"])


class OfferFilter(Schema):
    institution: int | None = None
    level: str | None = None
    area: str | None = None
    status: str | None = None
    kind: str | None = None


def offer_out(offer: Offer) -> dict[str, Any]:
    out = {name: getattr(offer, name) for name in OFFER_FIELDS}
    out.update(
        {
            "id": offer.pk,
            "institution": _ref(offer.institution),
            "areas": [
                {"area": a.area, "weight": a.weight}
                for a in sorted(offer.areas.all(), key=lambda a: (-a.weight, a.area))
            ],
            "updated_at": offer.updated_at,
        }
    )
    return out


def _offer_queryset() -> QuerySet[Offer]:
    return Offer.objects.select_related("institution").prefetch_related("areas")


def _offer_args(payload: s.OfferIn) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    data = payload.model_dump(include=set(OFFER_FIELDS))
    return data, [(a.area, a.weight) for a in payload.areas]


@offers.get(
    "",
    auth=None,
    response=s.OfferPage,
    summary=gettext_noop("List education offers"),
    description=gettext_noop(
        "Public: anyone may read offers. Filter by institution id and by codes."
    ),
)
def list_offers(request: HttpRequest, page: Query[s.PageQuery], filters: Query[OfferFilter]) -> Any:
    qs = _offer_queryset()
    if filters.institution is not None:
        qs = qs.filter(institution_id=filters.institution)
    for name in ("level", "status", "kind"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.area:
        qs = qs.filter(areas__area=filters.area)
    return paged(qs.order_by("institution__name", "name", "id"), page, offer_out)


@offers.get(
    "/{offer_id}",
    auth=None,
    response={200: s.OfferOut, 404: s.Message},
    summary=gettext_noop("One education offer"),
    description=gettext_noop("Public: anyone may read offers."),
)
def get_offer(request: HttpRequest, offer_id: int) -> Any:
    offer = access_offer_for_user(request.user, offer_id, edit=False)
    return offer_out(_offer_queryset().get(pk=offer.pk))


@offers.post(
    "",
    response={201: s.OfferOut, **DENIED, **INVALID},
    summary=gettext_noop("Register an education offer"),
    description=(
        gettext_noop(
            "With its competence areas and weights. The institution's editors (who may leave out "
            "`institution`) and analysts; 404 when the caller may not change the institution's "
            "offers."
        )
    ),
)
def create_offer(request: HttpRequest, payload: s.OfferCreateIn) -> Any:
    user = caller(request)
    if payload.institution is not None:
        institution = access_institution_for_user(user, payload.institution)
    else:
        institution = own_institution(user)
        if institution is None:
            raise NinjaValidationError(
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


@offers.put(
    "/{offer_id}",
    response={200: s.OfferOut, **DENIED, **INVALID},
    summary=gettext_noop("Change an education offer"),
    description=(
        gettext_noop(
            "Replaces the offer's fields and competence areas. The institution's editors and "
            "analysts; 404 for anyone else."
        )
    ),
)
def update_offer(request: HttpRequest, offer_id: int, payload: s.OfferIn) -> Any:
    user = caller(request)
    offer = access_offer_for_user(user, offer_id, edit=True)
    data, areas = _offer_args(payload)
    try:
        do_save_offer(offer.institution, user, data, areas, offer=offer)
    except DjangoValidationError as exc:
        raise invalid(exc, "body") from None
    return offer_out(_offer_queryset().get(pk=offer.pk))


@offers.delete(
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


api.add_router("/organisations", organisations)
api.add_router("/facilities", facilities)
api.add_router("/rounds", rounds)
api.add_router("/responses", responses)
api.add_router("/offers", offers)
api.add_router("/publications", publications_router)
api.add_router("/measures", measures_router)
api.add_router("/infrastructure", infrastructure_router)
api.add_router("/pathways", pathways_router)
