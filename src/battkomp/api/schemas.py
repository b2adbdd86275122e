"""The API's request and response bodies (pydantic, via django-ninja).

Codes (segments, regions, roles, levels, areas, statuses) are the codes of the engine's taxonomy
(see ``battkomp.core.codes``); the actions check them, so a wrong code gives 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop
from ninja import Field, Schema

MAX_PAGE = 500


class PageQuery(Schema):
    limit: int = Field(
        100, ge=1, le=MAX_PAGE, description=gettext_noop("How many items to return.")
    )
    offset: int = Field(0, ge=0, description=gettext_noop("How many items to skip."))


class Message(Schema):
    detail: str


class Ref(Schema):
    """Another object, by id and name."""

    id: int
    name: str


# --- organisations and facilities ----------------------------------------------------------


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
    year: int = Field(ge=1990, le=2100)
    capacity: float = Field(
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
    ramp_offset: int = Field(
        description=gettext_noop("Staffing-ramp years ahead of the default ramp.")
    )
    intensity: float | None = Field(
        description=gettext_noop("Jobs per GWh/yr; null: the segment default.")
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


# --- survey --------------------------------------------------------------------------------


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
    year: int
    new_hires: int | None = Field(None, description=gettext_noop("New hires needed that year."))
    total_staff: int | None = Field(
        None, description=gettext_noop("Total staff in the role that year.")
    )
    recruit_difficulty: int | None = Field(
        None, description=gettext_noop("How hard to recruit, 1–5.")
    )
    share_abroad: float | None = Field(
        None, ge=0, le=1, description=gettext_noop("Share expected from abroad, 0–1.")
    )
    critical_competences: str = ""
    comment: str = ""


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


class ResponseIn(Schema):
    """Replaces the need lines. Leave out a general answer to keep its stored value."""

    access_is_challenge: bool | None = None
    comments: str = ""
    lines: list[NeedLine]


# --- offers --------------------------------------------------------------------------------


class AreaWeight(Schema):
    area: str = Field(description=gettext_noop("Competence area code (a leaf of the taxonomy)."))
    weight: float = Field(
        description=gettext_noop("Share of the offer in this area; weights sum to 1.")
    )


class OfferFields(Schema):
    code: str = Field(
        description=gettext_noop("Unique code of the offer (letters, digits, - and _).")
    )
    name: str
    kind: str = Field(description=gettext_noop("programme, course, module or bransjeprogram."))
    level: str = Field(description=gettext_noop("Education level code, or evu."))
    target_level: str = Field(
        "", description=gettext_noop("For EVU: the level its participants count at.")
    )
    study_places: int | None = None
    candidates: int | None = None
    first_intake: int
    duration_years: float | None = None
    ects: float | None = None
    region: str = Field(description=gettext_noop("Region (county) code of the location."))
    mode: str = Field("campus", description=gettext_noop("campus, online or gatherings."))
    status: str = Field(description=gettext_noop("exists, under_development or planned."))
    completion_rate: float | None = Field(
        None, ge=0, le=1, description=gettext_noop("Share who complete, 0–1.")
    )
    capture_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description=gettext_noop("Share of graduates the battery industry attracts, 0–1."),
    )
    source: str = ""


class OfferIn(OfferFields):
    areas: list[AreaWeight]


class OfferCreateIn(OfferIn):
    institution: int | None = Field(
        None,
        description=gettext_noop(
            "The institution's id. Editors may leave it out (their own institution)."
        ),
    )


class OfferOut(OfferFields):
    id: int
    institution: Ref
    areas: list[AreaWeight]
    updated_at: dt.datetime


class OfferPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OfferOut]


# --- published snapshots ---------------------------------------------------------------------


class PublicationOut(Schema):
    version: int
    title: str
    published_at: dt.datetime
    input_hash: str = Field(description=gettext_noop("The input hash of the published model run."))
    seed: int | None
    draws: int | None
    scenario: str
    round: str = Field(description=gettext_noop("The survey round's name, or empty."))


class PublicationDetailOut(PublicationOut):
    tables: list[str] = Field(description=gettext_noop("The names of the snapshot's tables."))


class PublicationTableOut(Schema):
    version: int
    name: str
    columns: list[str]
    rows: list[dict[str, str | int | float | bool | None]] = Field(
        description=gettext_noop(
            "One object per row, keyed by column. Suppressed numbers are null and the row's "
            "`suppressed` is true."
        )
    )


class ValidationProblem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ValidationProblem]
