"""State changes of survey rounds. Views, the importer, the API, commands and tests call these.

Rounds are created, opened and closed by analysts; organisations are invited; respondents save
their answers partially, submit them, and may revise them until the round closes. Every save,
import and submission records a :class:`~battkomp.survey.models.Revision` snapshot that is never
changed afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from battkomp.accounts.models import Profile
from battkomp.core.codes import codes, label
from battkomp.core.mail import queue_email
from battkomp.core.plausible import plausible_message
from battkomp.core.users import Role, UserLike, account_of, is_analyst, signed_in
from battkomp.organisations.access import group_facilities
from battkomp.organisations.models import Facility, Organisation, OrganisationKind
from battkomp.survey.models import (
    InterviewNote,
    NeedLine,
    Participant,
    ParticipantStatus,
    Response,
    Revision,
    RevisionKind,
    Round,
    RoundStatus,
)

#: Organisations that answer the needs survey.
INVITABLE_KINDS = (OrganisationKind.COMPANY, OrganisationKind.RESEARCH)
#: The form has one input per year; more than this would not fit a page.
MAX_ROUND_YEARS = 15
MAX_HEADCOUNT = 1_000_000
MAX_TEXT = 5000


# --- rounds ---------------------------------------------------------------------------------


@transaction.atomic
def do_create_round(
    user: UserLike,
    *,
    name: str,
    first_year: int,
    last_year: int,
    opens_on: dt.date,
    deadline: dt.date,
    questionnaire_version: str = "1",
) -> Round:
    """Create a round in draft; it is opened with :func:`do_open_round`."""
    round_ = Round(
        name=name.strip(),
        first_year=first_year,
        last_year=last_year,
        opens_on=opens_on,
        deadline=deadline,
        questionnaire_version=questionnaire_version.strip() or "1",
        created_by=account_of(user),
    )
    round_.full_clean(exclude=["created_by"])
    errors: dict[str, list[str]] = {}
    if last_year < first_year:
        errors["last_year"] = [_("The last year cannot come before the first year.")]
    elif last_year - first_year + 1 > MAX_ROUND_YEARS:
        errors["last_year"] = [
            _("A round can ask about at most %(n)d years.") % {"n": MAX_ROUND_YEARS}
        ]
    if deadline < opens_on:
        errors["deadline"] = [_("The deadline cannot come before the round opens.")]
    if errors:
        raise ValidationError(errors)
    round_.save()
    return round_


@transaction.atomic
def do_open_round(round_: Round, user: UserLike) -> Round:
    """Open a draft round (or reopen a closed one): respondents can answer while it is open."""
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN)
    round_.status = RoundStatus.OPEN
    return round_


@transaction.atomic
def do_close_round(round_: Round, user: UserLike) -> Round:
    """Close an open round: its answers become read-only."""
    current = Round.objects.select_for_update().get(pk=round_.pk)
    if current.status != RoundStatus.OPEN:
        raise ValidationError(_("Only an open round can be closed."))
    current.status = RoundStatus.CLOSED
    current.save(update_fields=["status"])
    round_.status = RoundStatus.CLOSED
    return round_


@transaction.atomic
def do_invite_organisations(
    round_: Round, organisations: Iterable[Organisation], user: UserLike
) -> list[Participant]:
    """Invite organisations to a round. Idempotent: an organisation already invited is left as
    it is. Returns the participants created by this call."""
    if round_.status == RoundStatus.CLOSED:
        raise PermissionError(_("The round is closed."))
    orgs = list(organisations)
    wrong = [o.name for o in orgs if o.kind not in INVITABLE_KINDS]
    if wrong:
        raise ValidationError(
            _("Only companies and research institutes answer the survey: %(names)s.")
            % {"names": ", ".join(wrong)}
        )
    created = []
    for org in orgs:
        participant, was_created = Participant.objects.get_or_create(round=round_, organisation=org)
        if was_created:
            created.append(participant)
    return created


def do_mark_opened(participant: Participant, user: UserLike) -> bool:
    """Record the first time a respondent opens the form. Returns whether anything changed."""
    if participant.opened_at is not None:
        return False  # no write transaction for every later page view
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.opened_at is not None:
            return False
        locked.opened_at = timezone.now()
        if locked.status in {ParticipantStatus.INVITED, ParticipantStatus.REMINDED}:
            locked.status = ParticipantStatus.OPENED
        locked.save(update_fields=["opened_at", "status"])
    participant.opened_at, participant.status = locked.opened_at, locked.status
    return True


# --- answers --------------------------------------------------------------------------------


def _as_int(value: Any) -> int:
    """An integer from an int, an integral float or a string of digits; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(value)


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip().replace(",", "."))
    else:
        number = float(value)  # Decimal
    if number != number or number in {float("inf"), float("-inf")}:
        raise ValueError(value)
    return number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _field_name(name: str, year: int | None = None) -> str:
    names = {
        "role": _("role"),
        "level": _("education level"),
        "area": _("competence area"),
        "year": _("year"),
        "new_hires": _("new hires needed"),
        "total_staff": _("total staff"),
        "recruit_difficulty": _("how hard to recruit (1–5)"),
        "share_abroad": _("share expected from abroad"),
        "critical_competences": _("critical competences"),
        "comment": _("comment"),
        "facility": _("facility"),
    }
    text = names.get(name, name)
    return f"{text} {year}" if year is not None else text


def _problem(line: Any, field_: str, message: str, year: int | None = None) -> str:
    return _("Line %(line)s, %(field)s: %(message)s") % {
        "line": line,
        "field": _field_name(field_, year),
        "message": message,
    }


def validate_lines(
    round_: Round,
    lines: Sequence[Mapping[str, Any]],
    *,
    organisation: Organisation | None = None,
) -> list[dict[str, Any]]:
    """Check the types and ranges of need lines (not completeness) and return them normalised.

    Each line is a dict with role, level, area, year, new_hires, total_staff and optionally
    recruit_difficulty, share_abroad (0–1), critical_competences, comment, facility (the code of
    a facility of ``organisation`` or of its subsidiaries; blank: the organisation as a whole)
    and ``line`` (how the caller numbers the line in error messages; default: its position,
    from 1). Raises :class:`ValidationError` listing every problem by line and field. Without
    ``organisation`` no line may name a facility. A clean line's ``facility`` is the
    :class:`~battkomp.organisations.models.Facility` (or None).
    """
    problems: list[str] = []
    clean: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str, int], Any] = {}
    years = set(round_.years)
    allowed: dict[str, Facility] | None = None
    for index, raw in enumerate(lines):
        ref = raw.get("line", index + 1)
        row: dict[str, Any] = {"line": ref}
        ok = True
        for kind in ("role", "level", "area"):
            value = raw.get(kind)
            if _blank(value):
                problems.append(_problem(ref, kind, _("This field is required.")))
                ok = False
            elif str(value).strip() not in codes(kind):
                problems.append(
                    _problem(ref, kind, _("“%(value)s” is not a known code.") % {"value": value})
                )
                ok = False
            else:
                row[kind] = str(value).strip()
        try:
            year = _as_int(raw.get("year"))
        except (ValueError, TypeError):
            problems.append(_problem(ref, "year", _("Enter a whole number.")))
            ok = False
            year = None
        else:
            if year not in years:
                problems.append(
                    _problem(
                        ref,
                        "year",
                        _("The round asks about %(first)d–%(last)d.")
                        % {"first": round_.first_year, "last": round_.last_year},
                    )
                )
                ok = False
            row["year"] = year
        for name in ("new_hires", "total_staff"):
            value = raw.get(name)
            if _blank(value):
                row[name] = None
                continue
            try:
                number = _as_int(value)
            except (ValueError, TypeError):
                problems.append(_problem(ref, name, _("Enter a whole number."), year))
                ok = False
                continue
            if not 0 <= number <= MAX_HEADCOUNT:
                problems.append(
                    _problem(
                        ref,
                        name,
                        _("Enter a number from 0 to %(max)d.") % {"max": MAX_HEADCOUNT},
                        year,
                    )
                )
                ok = False
            else:
                message = plausible_message("survey_needs", name, number)
                if message is not None:
                    problems.append(_problem(ref, name, message, year))
                    ok = False
            row[name] = number
        value = raw.get("recruit_difficulty")
        row["recruit_difficulty"] = None
        if not _blank(value):
            try:
                difficulty = _as_int(value)
            except (ValueError, TypeError):
                difficulty = 0
            if not 1 <= difficulty <= 5:
                problems.append(
                    _problem(ref, "recruit_difficulty", _("Choose a whole number from 1 to 5."))
                )
                ok = False
            row["recruit_difficulty"] = difficulty
        value = raw.get("share_abroad")
        row["share_abroad"] = None
        if not _blank(value):
            try:
                share = _as_number(value)
            except (ValueError, TypeError, ArithmeticError):
                share = -1.0
            if not 0.0 <= share <= 1.0:
                problems.append(
                    _problem(
                        ref, "share_abroad", _("Enter a share between 0 and 1 (0 % to 100 %).")
                    )
                )
                ok = False
            row["share_abroad"] = share
        for name in ("critical_competences", "comment"):
            value = raw.get(name)
            text = "" if value is None else str(value).strip()
            if len(text) > MAX_TEXT:
                problems.append(
                    _problem(ref, name, _("Use at most %(max)d characters.") % {"max": MAX_TEXT})
                )
                ok = False
            row[name] = text
        value = raw.get("facility")
        row["facility"] = None
        if not _blank(value):
            if allowed is None:
                found = group_facilities(organisation) if organisation is not None else []
                allowed = {f.code.lower(): f for f in found}
            facility = allowed.get(str(value).strip().lower())
            if facility is None:
                # The same words for an unknown code and another organisation's facility: a
                # respondent cannot learn which codes other organisations use.
                problems.append(
                    _problem(
                        ref,
                        "facility",
                        _(
                            "“%(value)s” is not a facility of your organisation. Choose one of "
                            "its facilities, or leave it blank for the organisation as a whole."
                        )
                        % {"value": str(value).strip()[:80]},
                    )
                )
                ok = False
            row["facility"] = facility
        if ok:
            key = (row["role"], row["level"], row["area"], row["year"])
            if key in seen:
                problems.append(
                    _(
                        "Line %(line)s repeats line %(other)s (same role, education "
                        "level, competence area and year)."
                    )
                    % {"line": ref, "other": seen[key]}
                )
            else:
                seen[key] = ref
        clean.append(row)
    if problems:
        raise ValidationError(problems)
    return clean


def completeness_problems(round_: Round, lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """What stops a (type-checked) response from being submitted: no lines at all, or a role ×
    level × area without both numbers for every year of the round."""
    if not lines:
        return [_("There are no need lines. Add at least one line before submitting.")]
    groups: dict[tuple[str, str, str], dict[int, Mapping[str, Any]]] = {}
    refs: dict[tuple[str, str, str], Any] = {}
    for line in lines:
        key = (line["role"], line["level"], line["area"])
        groups.setdefault(key, {})[line["year"]] = line
        refs.setdefault(key, line.get("line"))
    problems = []
    for key, by_year in groups.items():
        ref = refs[key]
        if ref is None:
            ref = " / ".join(
                label(kind, code) for kind, code in zip(("role", "level", "area"), key, strict=True)
            )
        for year in round_.years:
            line = by_year.get(year, {})
            for name in ("new_hires", "total_staff"):
                if line.get(name) is None:
                    problems.append(_problem(ref, name, _("This field is required."), year))
    return problems


def _clean_general(general: Mapping[str, Any] | None) -> dict[str, Any]:
    if not general:
        return {}
    clean: dict[str, Any] = {}
    if "access_is_challenge" in general:
        value = general["access_is_challenge"]
        if value is not None and not isinstance(value, bool):
            raise ValidationError(
                _("“Is access to battery competence a challenge?” must be yes, no or blank.")
            )
        clean["access_is_challenge"] = value
    if "comments" in general:
        text = "" if general["comments"] is None else str(general["comments"]).strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(
                _("Comments: use at most %(max)d characters.") % {"max": MAX_TEXT}
            )
        clean["comments"] = text
    return clean


def _lock_open(participant: Participant, *, organisation: bool = True) -> Participant:
    """The participant's row, locked until the end of the transaction, with its round (and
    organisation); PermissionError when the round is not open."""
    related = ("round", "organisation") if organisation else ("round",)
    locked = Participant.objects.select_for_update().select_related(*related).get(pk=participant.pk)
    if locked.round.status != RoundStatus.OPEN:
        raise PermissionError(_("The round is not open: answers cannot be changed."))
    return locked


def _store(
    locked: Participant, user: UserLike, lines: list[dict[str, Any]], general: dict[str, Any]
) -> Response:
    response, _created = Response.objects.get_or_create(participant=locked)
    for name, value in general.items():
        setattr(response, name, value)
    response.updated_by = account_of(user)
    response.save()
    response.lines.all().delete()
    # Lines kept as they were stored name their facility by code (see _stored_lines).
    codes_named = {line["facility"] for line in lines if isinstance(line.get("facility"), str)}
    by_code = (
        {f.code: f for f in Facility.objects.filter(code__in=codes_named)} if codes_named else {}
    )
    NeedLine.objects.bulk_create(
        [
            NeedLine(
                response=response,
                **{
                    k: (by_code.get(v) if k == "facility" and isinstance(v, str) else v)
                    for k, v in line.items()
                    if k != "line"
                },
            )
            for line in lines
        ]
    )
    return response


def _stored_lines(response: Response) -> list[dict[str, Any]]:
    """The stored need lines as plain values (a facility by its code), as a revision keeps them."""
    return [
        {
            "role": n.role,
            "level": n.level,
            "area": n.area,
            "year": n.year,
            "new_hires": n.new_hires,
            "total_staff": n.total_staff,
            "recruit_difficulty": n.recruit_difficulty,
            "share_abroad": n.share_abroad,
            "critical_competences": n.critical_competences,
            "comment": n.comment,
            "facility": n.facility.code if n.facility is not None else None,
        }
        for n in response.lines.select_related("facility").order_by("id")
    ]


# A need line's fields as a revision's snapshot and the API show them (the facility apart).
NEED_LINE_FIELDS = (
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


def _snapshot_lines(clean: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines just checked by :func:`validate_lines` and stored by :func:`_store`, as
    :func:`_stored_lines` would read them back (same keys, order and values), without reading
    them back."""
    return [
        {
            **{name: line.get(name) for name in NEED_LINE_FIELDS},
            "facility": line["facility"].code if line.get("facility") is not None else None,
        }
        for line in clean
    ]


def _record_revision(
    locked: Participant,
    response: Response,
    kind: str,
    user: UserLike,
    draft: list[dict[str, str]] | None = None,
    *,
    number: int | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> Revision:
    """Record revision ``number`` (default: the latest + 1) of ``response``, its snapshot
    holding ``lines`` (default: the stored lines, read back)."""
    if number is None:
        number = (response.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    snapshot: dict[str, Any] = {
        "round": locked.round_id,
        "organisation": locked.organisation_id,
        "status": locked.status,
        "general": {
            "access_is_challenge": response.access_is_challenge,
            "comments": response.comments,
        },
        "lines": _stored_lines(response) if lines is None else lines,
    }
    if draft:
        snapshot["draft"] = draft
    return Revision.objects.create(
        response=response,
        number=number,
        kind=kind,
        snapshot=snapshot,
        created_by=account_of(user),
    )


# --- lost updates: every save names the revision it was based on ----------------------------


class StaleRevision(Exception):  # noqa: N818 (a state, not a programming error)
    """A save or submission was based on an older revision than the stored one: someone else
    saved in between. Nothing was written. ``changes`` lists, in the active language, what the
    other saves changed since ``based_on``."""

    def __init__(self, *, based_on: int, current: Revision | None, changes: list[str]) -> None:
        self.based_on = based_on
        self.current = current
        self.current_number = current.number if current else 0
        self.changes = changes
        super().__init__(self.message())

    def message(self) -> str:
        current = self.current
        who = ""
        if current is not None and current.created_by is not None:
            who = current.created_by.get_full_name() or current.created_by.get_username()
        when = (
            formats.date_format(timezone.localtime(current.created_at), "DATETIME_FORMAT")
            if current is not None
            else ""
        )
        return _(
            "These answers were changed by %(who)s (%(when)s) after you opened them: you worked "
            "on revision %(based_on)d, the stored answers are revision %(current)d. Nothing of "
            "yours was saved. Look at what changed, then save again to replace it with what is "
            "in your form."
        ) % {
            "who": who or _("someone else"),
            "when": when,
            "based_on": self.based_on,
            "current": self.current_number,
        }


def latest_revision(participant: Participant) -> Revision | None:
    return (
        Revision.objects.filter(response__participant=participant)
        .select_related("created_by")
        .order_by("-number")
        .first()
    )


def saved_draft(revision: Revision | None) -> list[dict[str, str]] | None:
    """The form's lines as typed, if ``revision`` (the latest) was a save with flagged lines."""
    if revision is None or revision.kind != RevisionKind.SAVE:
        return None
    draft = revision.snapshot.get("draft")
    return draft if isinstance(draft, list) and draft else None


def revision_number(participant: Participant) -> int:
    """The number of the latest revision of a participant's answers (0: nothing saved yet).
    Forms and API clients send it back as ``based_on`` with their next save."""
    latest = latest_revision(participant)
    return latest.number if latest else 0


_LINE_KEY = ("role", "level", "area", "year")
_LINE_VALUES = (
    "new_hires",
    "total_staff",
    "recruit_difficulty",
    "share_abroad",
    "critical_competences",
    "comment",
    "facility",
)
MAX_CHANGES_LISTED = 25


def _line_name(key: tuple[Any, ...]) -> str:
    role, level, area, year = key
    return f"{label('role', role)}, {label('level', level)}, {label('area', area)}, {year}"


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What changed from one snapshot of a response (``general`` and ``lines``, as stored in a
    revision) to another, one sentence per change, in the active language."""
    changes: list[str] = []
    general_names = {
        "access_is_challenge": _("Is access to battery competence a challenge?"),
        "comments": _("comments"),
    }
    old_general = before.get("general") or {}
    new_general = after.get("general") or {}
    for name, text in general_names.items():
        if old_general.get(name) != new_general.get(name):
            changes.append(
                _("%(field)s: %(old)s → %(new)s")
                % {
                    "field": text,
                    "old": _shown(old_general.get(name)),
                    "new": _shown(new_general.get(name)),
                }
            )

    def index(snapshot: Mapping[str, Any]) -> dict[tuple[Any, ...], Mapping[str, Any]]:
        return {tuple(line[k] for k in _LINE_KEY): line for line in snapshot.get("lines") or []}

    old_lines, new_lines = index(before), index(after)
    for key in sorted(set(old_lines) | set(new_lines), key=lambda k: tuple(map(str, k))):
        old, new = old_lines.get(key), new_lines.get(key)
        if old is None:
            changes.append(_("Added: %(line)s") % {"line": _line_name(key)})
        elif new is None:
            changes.append(_("Removed: %(line)s") % {"line": _line_name(key)})
        else:
            for name in _LINE_VALUES:
                if old.get(name) != new.get(name):
                    changes.append(
                        _("%(line)s, %(field)s: %(old)s → %(new)s")
                        % {
                            "line": _line_name(key),
                            "field": _field_name(name),
                            "old": _shown(old.get(name)),
                            "new": _shown(new.get(name)),
                        }
                    )
    if len(changes) > MAX_CHANGES_LISTED:
        rest = len(changes) - MAX_CHANGES_LISTED
        changes = [*changes[:MAX_CHANGES_LISTED], _("… and %(n)d more changes.") % {"n": rest}]
    return changes


def _check_based_on(locked: Participant, based_on: int | None) -> int:
    """Refuse (:class:`StaleRevision`) a save based on another revision than the latest. Called
    with the participant row locked, so two saves based on the same revision cannot both pass.
    Returns the number of the latest revision (0: none)."""
    current_number = (
        Revision.objects.filter(response__participant=locked).aggregate(n=Max("number"))["n"] or 0
    )
    if based_on is None or based_on == current_number:
        return current_number
    current = latest_revision(locked)
    base = (
        Revision.objects.filter(response__participant=locked, number=based_on).first()
        if based_on > 0
        else None
    )
    before = base.snapshot if base is not None else {"general": {}, "lines": []}
    after = current.snapshot if current is not None else {"general": {}, "lines": []}
    raise StaleRevision(based_on=based_on, current=current, changes=describe_changes(before, after))


def _sync(participant: Participant, locked: Participant) -> None:
    if participant is not locked:
        for name in ("status", "opened_at", "submitted_at"):
            setattr(participant, name, getattr(locked, name))


def do_save_response(
    participant: Participant,
    user: UserLike,
    *,
    lines: list[dict[str, Any]],
    general: dict[str, Any] | None = None,
    kind: str = "save",
    based_on: int | None = None,
    draft: list[dict[str, str]] | None = None,
) -> Revision:
    """Replace a response's need lines (and general answers, if given) and record a revision.

    ``draft`` (from the needs form, see :meth:`battkomp.survey.forms.NeedsForm.draft`): every
    line of the form as typed, when some of them have a problem that keeps them out of
    ``lines`` (a repeat, no role, a wrong value). It is kept in the revision's snapshot, so an
    unfinished form can always be saved; :func:`saved_draft` gives it back while it is the
    latest revision. Readers of answers never see it: they read the lines or a submission.

    Checks types and ranges only, so an unfinished response can be kept; see
    :func:`do_submit_response` for completeness. Sets the participant in progress unless it has
    already submitted. Raises :class:`ValidationError` naming line and field, or
    :class:`PermissionError` when the round is not open. With ``based_on`` (the revision number
    the caller's form or GET showed), raises :class:`StaleRevision` when someone saved since.
    All or nothing.
    """
    if kind not in {RevisionKind.SAVE, RevisionKind.IMPORT}:
        msg = f"kind must be save or import, not {kind!r}"
        raise ValueError(msg)
    # The answers are checked before the write lock is taken, so that the lock is held only to
    # write: a crowd's saves take turns on it (one writer at a time on SQLite; see
    # docs/performance.md). A problem is reported after the round and revision checks, as if it
    # had been found under the lock.
    try:
        clean = validate_lines(participant.round, lines, organisation=participant.organisation)
        general_clean = _clean_general(general)
        invalid: ValidationError | None = None
    except ValidationError as error:
        clean, general_clean, invalid = [], {}, error
    with transaction.atomic():
        locked = _lock_open(participant, organisation=False)
        current = _check_based_on(locked, based_on)
        if invalid is not None:
            raise invalid
        response = _store(locked, user, clean, general_clean)
        if locked.status not in {ParticipantStatus.SUBMITTED, ParticipantStatus.IN_PROGRESS}:
            locked.status = ParticipantStatus.IN_PROGRESS
            locked.save(update_fields=["status"])
        _sync(participant, locked)
        return _record_revision(
            locked, response, kind, user, draft, number=current + 1, lines=_snapshot_lines(clean)
        )


@transaction.atomic
def do_submit_response(
    participant: Participant,
    user: UserLike,
    *,
    lines: list[dict[str, Any]] | None = None,
    general: dict[str, Any] | None = None,
    based_on: int | None = None,
) -> Revision:
    """Submit a response: check it is complete, mark the participant submitted and record a
    revision. Given ``lines``/``general``, they replace the stored answers first (one revision,
    not two). Raises :class:`ValidationError` (and changes nothing) when incomplete, or
    :class:`PermissionError` when the round is not open, or :class:`StaleRevision` when
    ``based_on`` is given and someone saved since. Resubmitting a revised response is allowed
    while the round is open."""
    locked = _lock_open(participant)
    _check_based_on(locked, based_on)
    if lines is not None:
        clean = validate_lines(locked.round, lines, organisation=locked.organisation)
        response = _store(locked, user, clean, _clean_general(general))
        problems = completeness_problems(locked.round, clean)
    else:
        found = Response.objects.filter(participant=locked).first()
        if found is None:
            response = _store(locked, user, [], _clean_general(general))
        elif general:
            response = _store(locked, user, _stored_lines(found), _clean_general(general))
        else:
            response = found
        problems = completeness_problems(locked.round, _stored_lines(response))
    if problems:
        raise ValidationError(problems)
    locked.status = ParticipantStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_at"])
    _sync(participant, locked)
    return _record_revision(locked, response, RevisionKind.SUBMIT, user)


# --- interview notes ------------------------------------------------------------------------


@transaction.atomic
def do_record_note(
    organisation: Organisation,
    user: UserLike,
    *,
    text: str,
    areas: Sequence[str] = (),
    round_: Round | None = None,
) -> InterviewNote:
    """An analyst's interview note, tagged with competence areas. Only analysts record notes."""
    if not is_analyst(user):
        raise PermissionError(_("Only analysts record interview notes."))
    text = (text or "").strip()
    problems = []
    if not text:
        problems.append(_("Note: this field is required."))
    unknown = [a for a in areas if a not in codes("area")]
    if unknown:
        problems.append(
            _("Competence areas: unknown codes %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if problems:
        raise ValidationError(problems)
    ordered = [a for a in codes("area") if a in set(areas)]
    return InterviewNote.objects.create(
        organisation=organisation, round=round_, author=signed_in(user), text=text, areas=ordered
    )


# --- reminders ------------------------------------------------------------------------------


@dataclass
class Reminder:
    """What :func:`do_send_reminders` did (or would do) for one participant."""

    participant: Participant
    recipients: list[str] = field(default_factory=list)
    sent: bool = False
    skipped: str = ""  # why nothing was sent, if nothing was


def _respondents(organisation_id: int) -> list[Profile]:
    return list(
        Profile.objects.select_related("user")
        .filter(role=Role.RESPONDENT, organisation_id=organisation_id, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
    )


def _queue_reminder(participant: Participant, profile: Profile) -> None:
    """Queue one reminder e-mail (a mail task, written in the caller's transaction), in the
    respondent's language."""
    with translation.override(profile.language or settings.LANGUAGE_CODE):
        url = settings.SITE_URL.rstrip("/") + reverse("survey:response", args=[participant.pk])
        values = {
            "organisation": participant.organisation.name,
            "round": participant.round.name,
            "deadline": formats.date_format(participant.round.deadline, "DATE_FORMAT"),
            "url": url,
        }
        subject = _("Reminder: %(round)s") % values
        body = (
            _(
                "Hello,\n\n"
                "%(organisation)s is invited to the survey round “%(round)s” on competence "
                "needs in the battery value chain. We have not yet received your "
                "organisation's answers. The deadline is %(deadline)s.\n\n"
                "You can continue where you left off: %(url)s\n\n"
                "Your answers are confidential: other companies never see them.\n\n"
                "Thank you,\nbattkomp"
            )
            % values
        )
    queue_email(subject, body, [profile.user.email])


def _reminded_lately(participant: Participant, now: dt.datetime, min_days: int) -> bool:
    last = participant.last_reminded_at
    return last is not None and now - last < dt.timedelta(days=min_days)


def reminders_due(*, min_days: int = 7, now: dt.datetime | None = None) -> bool:
    """Whether :func:`do_send_reminders` would e-mail anyone now: a participant of an open round
    that has not submitted, was not reminded in the last ``min_days`` days, and has a respondent
    with an e-mail address. One query."""
    now = now or timezone.now()
    respondents = Profile.objects.filter(
        role=Role.RESPONDENT, user__is_active=True, organisation_id=OuterRef("organisation_id")
    ).exclude(user__email="")
    return (
        Participant.objects.filter(round__status=RoundStatus.OPEN)
        .exclude(status=ParticipantStatus.SUBMITTED)
        .filter(
            Q(last_reminded_at__isnull=True)
            | Q(last_reminded_at__lte=now - dt.timedelta(days=min_days))
        )
        .filter(Exists(respondents))
        .exists()
    )


def do_send_reminders(
    *,
    round_: Round | None = None,
    min_days: int = 7,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> list[Reminder]:
    """E-mail the respondents of every participant of open rounds that has not submitted,
    at most once every ``min_days`` days, and mark those participants reminded.

    The e-mails are mail tasks, queued in the same transaction that marks the participant
    reminded (the worker sends them, and tries a failed one again later). Safe to run twice at
    once: each participant is checked again with its row locked. With ``dry_run`` nothing is
    sent or changed; the result says what would have been sent. Run by the task
    :func:`battkomp.survey.tasks.send_reminders`, which the worker queues when reminders are due.
    """
    now = now or timezone.now()
    rounds = Round.objects.filter(status=RoundStatus.OPEN)
    if round_ is not None:
        rounds = rounds.filter(pk=round_.pk)
    participants = (
        Participant.objects.filter(round__in=rounds)
        .exclude(status=ParticipantStatus.SUBMITTED)
        .select_related("round", "organisation")
        .order_by("round_id", "organisation__name", "id")
    )
    results: list[Reminder] = []
    for participant in participants:
        result = Reminder(participant)
        results.append(result)
        if _reminded_lately(participant, now, min_days):
            result.skipped = _("reminded less than %(days)d days ago") % {"days": min_days}
            continue
        profiles = _respondents(participant.organisation_id)
        result.recipients = [p.user.email for p in profiles]
        if not profiles:
            result.skipped = _("no respondent accounts")
            continue
        if dry_run:
            continue
        with transaction.atomic():
            locked = Participant.objects.select_for_update().get(pk=participant.pk)
            if locked.status == ParticipantStatus.SUBMITTED:
                result.skipped = _("submitted meanwhile")
                continue
            if _reminded_lately(locked, now, min_days):  # by another run meanwhile
                result.skipped = _("reminded less than %(days)d days ago") % {"days": min_days}
                continue
            for profile in profiles:
                _queue_reminder(participant, profile)
            locked.status = ParticipantStatus.REMINDED
            locked.reminders_sent += 1
            locked.last_reminded_at = now
            locked.save(update_fields=["status", "reminders_sent", "last_reminded_at"])
            participant.status = locked.status
            participant.reminders_sent = locked.reminders_sent
            participant.last_reminded_at = locked.last_reminded_at
        result.sent = True
    return results
