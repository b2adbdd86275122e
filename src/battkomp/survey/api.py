"""The API of survey rounds and the needs answers (``/api/rounds``, ``/api/responses``):
django-ninja routers mounted by ``battkomp.api.api``.

Reads go through ``survey.access`` (an analyst's read of a company's answers is logged), writes
through the ``survey.actions`` ``do_*`` functions, as on the needs form; an object outside the
caller's access is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from battkomp.accounts.actions import log_access
from battkomp.api.auth import caller
from battkomp.api.common import DENIED, INVALID, Forbidden, invalid, paged, ref
from battkomp.api.schemas import Int, Message, Number, PageQuery, Ref
from battkomp.core.users import UserLike, is_analyst
from battkomp.survey.access import (
    access_participant_for_user,
    access_round_for_user,
    can_edit_response,
    participants_for_user,
)
from battkomp.survey.actions import (
    NEED_LINE_FIELDS,
    StaleRevision,
    do_mark_opened,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import Participant, Response, Round, RoundStatus

# --- schemas -------------------------------------------------------------------------------


class RoundOut(Schema):
    id: int
    name: str
    first_year: int
    last_year: int
    opens_on: dt.date
    deadline: dt.date
    questionnaire_version: str
    status: str = Field(description=gettext_noop("draft, open or closed."))
    participant_id: int | None = Field(
        None,
        description=(
            gettext_noop(
                "For a company respondent: their organisation's participation in the round (use it "
                "with /api/responses/{participant_id}). Null for analysts."
            )
        ),
    )
    participant_status: str | None = None


class RoundPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RoundOut]


class ParticipantOut(Schema):
    id: int
    organisation: Ref
    status: str = Field(
        description=gettext_noop("invited, opened, in_progress, reminded or submitted.")
    )
    invited_at: dt.datetime
    opened_at: dt.datetime | None
    submitted_at: dt.datetime | None
    reminders_sent: int


class ParticipantPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ParticipantOut]


class NeedLine(Schema):
    role: str
    level: str
    area: str
    year: Int
    new_hires: Int | None = Field(None, description=gettext_noop("New hires needed that year."))
    total_staff: Int | None = Field(
        None, description=gettext_noop("Total staff in the role that year.")
    )
    recruit_difficulty: Int | None = Field(
        None, description=gettext_noop("How hard to recruit, 1–5.")
    )
    share_abroad: Number | None = Field(
        None, ge=0, le=1, description=gettext_noop("Share expected from abroad, 0–1.")
    )
    critical_competences: str = ""
    comment: str = ""
    facility: str | None = Field(
        None,
        max_length=80,
        description=gettext_noop(
            "Code of the organisation's facility (or a subsidiary's) the line is for; null: "
            "the organisation as a whole. An answer for a planned plant counts at its "
            "probability of being built."
        ),
    )


class ResponseOut(Schema):
    participant_id: int
    round: Ref
    round_status: str
    years: list[int]
    organisation: Ref
    status: str
    submitted_at: dt.datetime | None
    editable: bool = Field(
        description=gettext_noop("Whether this caller may change the answers now.")
    )
    access_is_challenge: bool | None
    comments: str
    lines: list[NeedLine]
    revision: int | None = Field(
        description=gettext_noop("The latest revision number (null: no answers yet).")
    )
    updated_at: dt.datetime | None


#: The largest revision number a client may name (a larger one is 422, not a database error).
MAX_REVISION = 2**31 - 1

BASED_ON_HELP = gettext_noop(
    "The revision the answers you changed were read at: the `revision` of GET "
    "/api/responses/{participant_id} (0 when it was null). When someone saved since, nothing "
    "is written and the answer is 409 with what changed. Left out, the save is not checked."
)


class ResponseIn(Schema):
    """Replaces the need lines. Leave out a general answer to keep its stored value."""

    access_is_challenge: bool | None = None
    comments: str = ""
    lines: list[NeedLine]
    based_on: Int | None = Field(None, ge=0, le=MAX_REVISION, description=BASED_ON_HELP)


class SubmitQuery(Schema):
    based_on: int | None = Field(None, ge=0, le=MAX_REVISION, description=BASED_ON_HELP)


class StaleOut(Schema):
    """409: the save was refused (the round is not open, or the answers were changed since the
    revision the caller named)."""

    detail: str
    revision: int | None = Field(
        None,
        description=gettext_noop(
            "When the answers changed since `based_on`: the stored revision (send it as "
            "`based_on` to replace it deliberately)."
        ),
    )
    changes: list[str] = Field(
        default_factory=list,
        description=gettext_noop("What the other saves changed since `based_on`."),
    )


# --- survey rounds -------------------------------------------------------------------------

rounds_router = Router(tags=["rounds"])


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


@rounds_router.get(
    "",
    response={200: RoundPage, **DENIED},
    summary=gettext_noop("List survey rounds"),
    description=(
        gettext_noop(
            "Analysts: every round. Company respondents: the open and closed rounds their "
            "organisation takes part in, with their participation's id and status. Others: none."
        )
    ),
)
def list_rounds(request: HttpRequest, page: Query[PageQuery]) -> Any:
    user = caller(request)
    if is_analyst(user):
        return paged(Round.objects.order_by("-opens_on", "-id"), page, round_out)
    mine = participants_for_user(user).order_by("-round__opens_on", "-round_id")
    return paged(mine, page, lambda p: round_out(p.round, p))


def participant_out(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "organisation": ref(participant.organisation),
        "status": participant.status,
        "invited_at": participant.invited_at,
        "opened_at": participant.opened_at,
        "submitted_at": participant.submitted_at,
        "reminders_sent": participant.reminders_sent,
    }


@rounds_router.get(
    "/{round_id}/participants",
    response={200: ParticipantPage, **DENIED},
    summary=gettext_noop("A round's participants"),
    description=gettext_noop(
        "Who is invited and how far each has come. Analysts only (404 for anyone else)."
    ),
)
def list_participants(request: HttpRequest, round_id: int, page: Query[PageQuery]) -> Any:
    round_ = access_round_for_user(caller(request), round_id)
    qs = round_.participants.select_related("organisation").order_by("organisation__name", "id")
    return paged(qs, page, participant_out)


# --- responses (needs) ---------------------------------------------------------------------

responses_router = Router(tags=["responses"])


def response_out(participant: Participant, user: UserLike) -> dict[str, Any]:
    answers = (
        Response.objects.filter(participant=participant).prefetch_related("lines__facility").first()
    )
    latest = answers.revisions.order_by("-number").first() if answers else None
    round_ = participant.round
    return {
        "participant_id": participant.pk,
        "round": ref(round_),
        "round_status": round_.status,
        "years": round_.years,
        "organisation": ref(participant.organisation),
        "status": participant.status,
        "submitted_at": participant.submitted_at,
        "editable": can_edit_response(user, participant),
        "access_is_challenge": answers.access_is_challenge if answers else None,
        "comments": answers.comments if answers else "",
        "lines": [
            {
                **{name: getattr(line, name) for name in NEED_LINE_FIELDS},
                "facility": line.facility.code if line.facility is not None else None,
            }
            for line in sorted(answers.lines.all(), key=lambda n: n.pk)
        ]
        if answers
        else [],
        "revision": latest.number if latest else None,
        "updated_at": answers.updated_at if answers else None,
    }


def _editable_participant(user: UserLike, participant_id: int) -> Participant:
    """The participation, if this caller may change its answers now.

    As on the web page: only the organisation's own respondents, and only while the round is
    open (409 otherwise); analysts read but do not change a company's answers (403, since they
    may see the participation).
    """
    participant = access_participant_for_user(user, participant_id)
    if not can_edit_response(user, participant):
        if participant.round.status != RoundStatus.OPEN:
            raise PermissionError(_("The round is not open: answers cannot be changed."))
        raise Forbidden(_("Only the organisation's respondents can change its answers."))
    return participant


@responses_router.get(
    "/{participant_id}",
    response={200: ResponseOut, **DENIED},
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


def _general(payload: ResponseIn) -> dict[str, Any] | None:
    given: dict[str, Any] = {
        name: getattr(payload, name)
        for name in ("access_is_challenge", "comments")
        if name in payload.model_fields_set
    }
    return given or None


@responses_router.put(
    "/{participant_id}",
    response={200: ResponseOut, 403: Message, 409: StaleOut, **DENIED, **INVALID},
    summary=gettext_noop("Save a participant's answers"),
    description=(
        gettext_noop(
            "Replaces the need lines (and the general answers given) and records a revision; the "
            "answers need not be complete. Send `based_on` (the `revision` you read): a save based "
            "on an older revision is refused with 409, what changed and the stored revision, and "
            "nothing is written. The organisation's own respondents while the round is open (409 "
            "when it is not; 403 for analysts, who read but do not change answers); 404 for "
            "anyone else."
        )
    ),
)
def save_response(request: HttpRequest, participant_id: int, payload: ResponseIn) -> Any:
    user = caller(request)
    participant = _editable_participant(user, participant_id)
    lines = [line.model_dump() for line in payload.lines]
    try:
        do_save_response(
            participant,
            user,
            lines=lines,
            general=_general(payload),
            kind="save",
            based_on=payload.based_on,
        )
    except DjangoValidationError as exc:
        raise invalid(exc, "body", "lines") from None
    except StaleRevision as stale:
        return Status(409, stale_out(stale))
    return response_out(participant, user)


def stale_out(stale: StaleRevision) -> dict[str, Any]:
    return {"detail": stale.message(), "revision": stale.current_number, "changes": stale.changes}


@responses_router.post(
    "/{participant_id}/submit",
    response={200: ResponseOut, 403: Message, 409: StaleOut, **DENIED, **INVALID},
    summary=gettext_noop("Submit a participant's answers"),
    description=(
        gettext_noop(
            "Checks the stored answers are complete (every line has new hires and total staff for "
            "every year of the round) and marks the participant submitted; 422 lists what is "
            "missing. With `based_on` (the `revision` you read), refused with 409 and what "
            "changed when someone saved since. Same access as saving."
        )
    ),
)
def submit_response(request: HttpRequest, participant_id: int, query: Query[SubmitQuery]) -> Any:
    user = caller(request)
    participant = _editable_participant(user, participant_id)
    try:
        do_submit_response(participant, user, based_on=query.based_on)
    except DjangoValidationError as exc:
        raise invalid(exc, "response", "lines") from None
    except StaleRevision as stale:
        return Status(409, stale_out(stale))
    return response_out(participant, user)
