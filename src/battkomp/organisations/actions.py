"""State changes of organisations and facilities. Views, the API, commands and tests call these.

Every function validates everything before it writes and writes inside one transaction, so a
call either does all it says or nothing. Invalid input raises
:class:`django.core.exceptions.ValidationError` whose messages name the field or row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import formats
from django.utils.translation import gettext as _

from battkomp.core.codes import codes
from battkomp.core.plausible import plausible_message
from battkomp.core.stale import StaleEdit, shown
from battkomp.core.users import UserLike
from battkomp.organisations.models import (
    CapacityPlan,
    CapacityPlanYear,
    Facility,
    FacilityStatus,
    FacilityStatusChoice,
    Organisation,
)

FIRST_YEAR = 1990
LAST_YEAR = 2100

ORGANISATION_FIELDS = (
    "name",
    "org_number",
    "kind",
    "segments",
    "county",
    "parent",
    "battery_staff",
)
FACILITY_FIELDS = (
    "name",
    "code",
    "segment",
    "region",
    "start_year",
    "realisation_probability",
    "delay_min",
    "delay_mode",
    "delay_max",
    "share_low",
    "share_mode",
    "share_high",
    "ramp_offset",
    "intensity",
    "announced_jobs",
    "source",
)


def _actor(user: UserLike) -> Any:
    """The user to record as author, or None for anonymous callers (commands, imports)."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def normalise_org_number(value: object) -> str:
    """Organisation numbers are often written in groups (923 609 016); store the 9 digits."""
    return "".join(str(value or "").split())


def org_number_taken(
    org_number: str, organisation: Organisation | None = None
) -> Organisation | None:
    """The other organisation that already has this number, if any."""
    if not org_number:
        return None
    others = Organisation.objects.filter(org_number=org_number)
    if organisation is not None and organisation.pk is not None:
        others = others.exclude(pk=organisation.pk)
    return others.first()


def clean_segments(values: Iterable[str]) -> list[str]:
    """Known segment codes, each once, in the taxonomy's order."""
    given = list(values)
    unknown = [v for v in given if v not in codes("segment")]
    if unknown:
        raise ValidationError(
            {
                "segments": _("Unknown value-chain segment: %(codes)s.")
                % {"codes": ", ".join(unknown)}
            }
        )
    return [c for c in codes("segment") if c in given]


def delay_errors(delay_min: Any, delay_mode: Any, delay_max: Any) -> dict[str, str]:
    """Errors by field when the delays are not ordered shortest ≤ most likely ≤ longest."""
    errors: dict[str, str] = {}
    if None in (delay_min, delay_mode, delay_max):
        return errors
    if delay_mode < delay_min:
        errors["delay_mode"] = _(
            "The most likely delay (%(mode)s) cannot be shorter than the shortest delay (%(min)s)."
        ) % {"mode": delay_mode, "min": delay_min}
    if delay_max < delay_mode:
        errors["delay_max"] = _(
            "The longest delay (%(max)s) cannot be shorter than the most likely delay (%(mode)s)."
        ) % {"max": delay_max, "mode": delay_mode}
    elif delay_max < delay_min:
        errors["delay_max"] = _(
            "The longest delay (%(max)s) cannot be shorter than the shortest delay (%(min)s)."
        ) % {"max": delay_max, "min": delay_min}
    return errors


def share_errors(low: Any, mode: Any, high: Any) -> dict[str, str]:
    """Errors by field when the built shares given are not ordered lowest ≤ most likely ≤
    highest (a blank share takes the status default, so only the shares given are compared)."""
    errors: dict[str, str] = {}
    if low is not None and mode is not None and mode < low:
        errors["share_mode"] = _("The most likely share built cannot be below the lowest share.")
    if high is not None and mode is not None and high < mode:
        errors["share_high"] = _("The highest share built cannot be below the most likely share.")
    elif high is not None and low is not None and high < low:
        errors["share_high"] = _("The highest share built cannot be below the lowest share.")
    elif high is not None and high <= 0:
        errors["share_high"] = _(
            "The highest share built must be above 0: a plant that is never built has a "
            "realisation probability of 0."
        )
    return errors


@transaction.atomic
def do_save_organisation(
    user: UserLike,
    data: Mapping[str, Any],
    organisation: Organisation | None = None,
    *,
    synthetic: bool | None = None,
) -> Organisation:
    """Create an organisation, or change the given one, from ``data`` (name, org_number, kind,
    segments, county; keys left out keep their value). ``synthetic`` marks demo data and is only
    set by loaders, never by the forms."""
    org = organisation if organisation is not None else Organisation()
    for field in ORGANISATION_FIELDS:
        if field in data:
            setattr(org, field, data[field])
    org.name = str(org.name or "").strip()
    org.org_number = normalise_org_number(org.org_number)
    org.county = org.county or ""
    if synthetic is not None:
        org.synthetic = synthetic
    errors: dict[str, list[str]] = {}
    try:
        org.segments = clean_segments(org.segments or [])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    # a parent may not lead back to the organisation (the survey's groups must be trees)
    up, seen = org.parent, set()
    while up is not None and up.pk not in seen:
        if org.pk is not None and up.pk == org.pk:
            errors.setdefault("parent", []).append(
                _("%(name)s cannot be its own parent, directly or through others.")
                % {"name": org.name}
            )
            break
        seen.add(up.pk)
        up = up.parent
    other = org_number_taken(org.org_number, org)
    if other is not None:
        errors.setdefault("org_number", []).append(
            _("Organisation number %(number)s already belongs to %(name)s.")
            % {"number": org.org_number, "name": other.name}
        )
    try:
        org.full_clean(exclude=["segments", *errors], validate_constraints=not errors)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    org.save()
    return org


@transaction.atomic
def do_save_facility(
    organisation: Organisation,
    user: UserLike,
    data: Mapping[str, Any],
    facility: Facility | None = None,
) -> Facility:
    """Create a facility of ``organisation``, or change the given one, from ``data`` (name, code,
    segment, region, start_year, realisation_probability, delay_min/mode/max,
    share_low/mode/high, ramp_offset, intensity, announced_jobs, source; keys left out keep their
    value). Delays must satisfy shortest ≤ most likely ≤ longest, and built shares lowest ≤ most
    likely ≤ highest."""
    fac = facility if facility is not None else Facility(organisation=organisation)
    if facility is not None and facility.organisation_id != organisation.pk:
        msg = "the facility belongs to another organisation"
        raise ValueError(msg)
    for field in FACILITY_FIELDS:
        if field in data:
            setattr(fac, field, data[field])
    fac.name = str(fac.name or "").strip()
    fac.source = str(fac.source or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        fac.full_clean()
    except ValidationError as exc:
        errors.update({f: list(m) for f, m in exc.message_dict.items()})
    for field, message in delay_errors(fac.delay_min, fac.delay_mode, fac.delay_max).items():
        if field not in errors:
            errors[field] = [message]
    for field, message in share_errors(fac.share_low, fac.share_mode, fac.share_high).items():
        if field not in errors:
            errors[field] = [message]
    implausible = plausible_message("facilities", "intensity", fac.intensity)
    if implausible is not None and "intensity" not in errors:
        errors["intensity"] = [implausible]
    if errors:
        raise ValidationError(errors)
    fac.save()
    return fac


def plan_row_errors(years: Iterable[tuple[Any, Any]]) -> list[str]:
    """Every problem in a capacity plan's (year, capacity) rows, each naming its row (1-based)."""
    errors: list[str] = []
    seen: dict[int, int] = {}
    for number, row in enumerate(years, start=1):
        try:
            year, capacity = row
        except (TypeError, ValueError):
            errors.append(_("Row %(row)s: give a year and a capacity.") % {"row": number})
            continue
        if isinstance(year, bool) or not isinstance(year, int):
            errors.append(_("Row %(row)s: the year must be a whole number.") % {"row": number})
        elif not FIRST_YEAR <= year <= LAST_YEAR:
            errors.append(
                _("Row %(row)s: the year %(year)s is outside %(first)s–%(last)s.")
                % {"row": number, "year": year, "first": FIRST_YEAR, "last": LAST_YEAR}
            )
        elif year in seen:
            errors.append(
                _("Row %(row)s: the year %(year)s is already given in row %(other)s.")
                % {"row": number, "year": year, "other": seen[year]}
            )
        else:
            seen[year] = number
        if (
            isinstance(capacity, bool)
            or not isinstance(capacity, int | float)
            or not math.isfinite(capacity)
        ):
            errors.append(_("Row %(row)s: the capacity must be a number.") % {"row": number})
        elif capacity < 0:
            errors.append(
                _("Row %(row)s: the capacity cannot be negative (%(capacity)s).")
                % {"row": number, "capacity": formats.number_format(capacity)}
            )
        elif (message := plausible_message("capacity_plans", "capacity", capacity)) is not None:
            errors.append(_("Row %(row)s: %(problem)s") % {"row": number, "problem": message})
    return errors


class StalePlan(StaleEdit):
    """A new plan version based on an older version than the latest: someone added a version in
    between. Nothing was written; ``changes`` lists the years the other versions changed."""

    def __init__(self, current: CapacityPlan, based_on: int, changes: list[str]) -> None:
        super().__init__(
            _(
                "The capacity plan was changed by %(who)s (%(when)s) after you opened it: you "
                "worked on version %(based_on)d, the latest is version %(current)d. Nothing of "
                "yours was saved. Look at what changed, then save again to record what is in "
                "your form as the next version."
            ),
            based_on=based_on,
            current=current.version,
            who=current.created_by,
            when=current.created_at,
            changes=changes,
        )


def plan_changes(before: CapacityPlan | None, after: CapacityPlan) -> list[str]:
    """What changed from one version of a capacity plan to a later one (``before`` None: no
    plan), one sentence per year, and the later version's note, in the active language."""
    old = {y.year: y.capacity for y in before.years.all()} if before is not None else {}
    new = {y.year: y.capacity for y in after.years.all()}
    changes = []
    for year in sorted(set(old) | set(new)):
        if year not in old:
            changes.append(
                _("%(year)s: added, %(capacity)s GWh/yr")
                % {"year": year, "capacity": shown(new[year])}
            )
        elif year not in new:
            changes.append(
                _("%(year)s: removed (was %(capacity)s GWh/yr)")
                % {"year": year, "capacity": shown(old[year])}
            )
        elif old[year] != new[year]:
            changes.append(
                _("%(year)s: %(old)s → %(new)s GWh/yr")
                % {"year": year, "old": shown(old[year]), "new": shown(new[year])}
            )
    if after.note:
        changes.append(
            _("Note of version %(version)s: %(note)s")
            % {"version": after.version, "note": after.note}
        )
    return changes


@transaction.atomic
def do_save_capacity_plan(
    facility: Facility,
    user: UserLike,
    years: list[tuple[int, float]],
    note: str = "",
    *,
    based_on: int | None = None,
) -> CapacityPlan:
    """Record a new version of the facility's capacity plan (GWh/yr, or GWh-equivalent, by year).

    Earlier versions are never changed: each call adds version n + 1 with its own rows. Years are
    1990–2100, each at most once, capacities ≥ 0; a plan has at least one year. All or nothing.
    With ``based_on`` (the version the editor's form showed, 0 for none), raises
    :class:`StalePlan` when someone added a version since.
    """
    rows = list(years)
    # Lock the facility so two simultaneous edits get versions n + 1 and n + 2, and two edits
    # based on the same version cannot both pass.
    locked = Facility.objects.select_for_update().get(pk=facility.pk)
    latest = locked.plans.aggregate(latest=Max("version"))["latest"] or 0
    if based_on is not None and based_on != latest and latest > 0:
        plans = {
            p.version: p
            for p in locked.plans.filter(version__in=[based_on, latest])
            .select_related("created_by")
            .prefetch_related("years")
        }
        raise StalePlan(plans[latest], based_on, plan_changes(plans.get(based_on), plans[latest]))
    errors = plan_row_errors(rows)
    if not rows:
        errors.append(_("A capacity plan needs at least one year."))
    if errors:
        raise ValidationError(errors)
    plan = CapacityPlan.objects.create(
        facility=locked, version=latest + 1, note=str(note or "").strip(), created_by=_actor(user)
    )
    CapacityPlanYear.objects.bulk_create(
        CapacityPlanYear(plan=plan, year=year, capacity=float(capacity))
        for year, capacity in sorted(rows)
    )
    return plan


@transaction.atomic
def do_add_status(
    facility: Facility,
    user: UserLike,
    status: str,
    date: dt.date,
    note: str = "",
) -> FacilityStatus:
    """Add a dated status (announced, fid, construction, operating, paused, cancelled) to the
    facility's history. The history is never edited; the current status is the latest by date."""
    errors: dict[str, str] = {}
    if status not in FacilityStatusChoice.values:
        errors["status"] = _("“%(status)s” is not a facility status.") % {"status": status}
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors["date"] = _("Give the date of the status.")
    elif not FIRST_YEAR <= date.year <= LAST_YEAR:
        errors["date"] = _("The date must lie in %(first)s–%(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if errors:
        raise ValidationError(errors)
    return FacilityStatus.objects.create(
        facility=facility,
        status=status,
        date=date,
        note=str(note or "").strip(),
        recorded_by=_actor(user),
    )
