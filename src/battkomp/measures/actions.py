"""State changes of measures and infrastructure. Views, the API, the demo loader and tests call
these; each validates everything first and writes nothing when anything is wrong.

Who may do what (the views and the API check access first; these functions check again):

- analysts and administrators register and change any measure, with any status, and change
  statuses (each change is recorded: who, when, from → to);
- partners (company respondents and institution editors) register measures for their own
  organisation as PROPOSED only, and may change them while they are still proposed;
- infrastructure registered by an analyst is approved at once; registered (or changed) by an
  organisation's own people it waits for an analyst's approval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from battkomp.core.bilingual import lang_of, legacy_values
from battkomp.core.codes import codes, label, taxonomy
from battkomp.core.plausible import plausible_message
from battkomp.core.users import Role, UserLike, account_of, is_analyst, role_of
from battkomp.measures.catalogue import commandment, lever
from battkomp.measures.models import (
    Horizon,
    Infrastructure,
    InfrastructureKind,
    Measure,
    MeasureStatus,
    MeasureStatusChange,
    MeasureTarget,
)
from battkomp.offers.actions import parse_number
from battkomp.organisations.access import own_organisation
from battkomp.organisations.models import Organisation

Errors = dict[str, list[str]]

#: Weights must sum to 1 within this (or to 100 within 100 × this, read as percentages).
WEIGHT_SUM_TOLERANCE = 0.001

#: Roles that may propose measures and register infrastructure for their own organisation.
PARTNER_ROLES = frozenset({Role.RESPONDENT, Role.EDITOR})

#: The status changes an analyst may make (anything else is refused with a clear message).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    MeasureStatus.PROPOSED: (MeasureStatus.AGREED, MeasureStatus.DROPPED),
    MeasureStatus.AGREED: (
        MeasureStatus.RUNNING,
        MeasureStatus.DONE,
        MeasureStatus.DROPPED,
        MeasureStatus.PROPOSED,
    ),
    MeasureStatus.RUNNING: (MeasureStatus.DONE, MeasureStatus.DROPPED, MeasureStatus.AGREED),
    MeasureStatus.DONE: (MeasureStatus.RUNNING,),
    MeasureStatus.DROPPED: (MeasureStatus.PROPOSED,),
}

MEASURE_FIELDS: tuple[str, ...] = (
    "title_nb",
    "title_en",
    "commandment",
    "horizon",
    "lever",
    "description_nb",
    "description_en",
    "places_per_year",
    "start_year",
    "end_year",
    "duration_years",
    "completion_rate",
    "cost_nok",
    "url",
    "source",
)
INFRASTRUCTURE_FIELDS: tuple[str, ...] = (
    "name_nb",
    "name_en",
    "owner_name",
    "kind",
    "region",
    "place",
    "areas",
    "description_nb",
    "description_en",
    "access_terms_nb",
    "access_terms_en",
    "url",
    "public",
    "source",
)


def partner_organisation(user: UserLike) -> Organisation | None:
    """The organisation a respondent or editor acts for (None for everyone else)."""
    if role_of(user) not in PARTNER_ROLES:
        return None
    return own_organisation(user)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


# --------------------------------------------------------------------------- targets


def clean_targets(
    targets: Iterable[Any], lever_code: str = ""
) -> tuple[list[tuple[str, str, float]], list[str]]:
    """Competence areas × levels with weights, normalised to sum to exactly 1.

    ``targets`` are (level, area, weight) triples or ``{"level", "area", "weight"}`` dicts.
    Weights must sum to 1 ± 0.001, or to 100 ± 0.1 (percentages). A level must be one the lever
    can deliver at (``levers.csv``). Returns the cleaned triples and the messages (empty when
    all is well), each naming the row.
    """
    tax = taxonomy()
    leaves, groups, levels = set(codes("area")), set(tax.area_parent.values()), set(codes("level"))
    the_lever = lever(lever_code) if lever_code else None
    problems: list[str] = []
    cleaned: list[tuple[str, str, float]] = []
    seen: set[tuple[str, str]] = set()
    rows = list(targets)
    for row_number, item in enumerate(rows, start=1):
        try:
            if isinstance(item, Mapping):
                raw_level, raw_area, raw_weight = (
                    item.get("level"),
                    item.get("area"),
                    item.get("weight"),
                )
            else:
                raw_level, raw_area, raw_weight = item
        except (TypeError, ValueError):
            problems.append(
                _("Row %(row)s: give an education level, a competence area and a weight.")
                % {"row": row_number}
            )
            continue
        level = str(raw_level or "").strip().lower()
        area = str(raw_area or "").strip()
        ok = True
        if level not in levels:
            problems.append(
                _("Row %(row)s: “%(level)s” is not an education level (NKR 4–8).")
                % {"row": row_number, "level": level or "—"}
            )
            ok = False
        elif the_lever is not None and level not in the_lever.levels:
            problems.append(
                _("Row %(row)s: the lever “%(lever)s” does not deliver at level %(level)s.")
                % {"row": row_number, "lever": the_lever.name, "level": label("level", level)}
            )
            ok = False
        if area in groups:
            problems.append(
                _("Row %(row)s: “%(area)s” is a group of areas; choose one of its areas.")
                % {"row": row_number, "area": label("area", area)}
            )
            ok = False
        elif area not in leaves:
            problems.append(
                _("Row %(row)s: “%(area)s” is not a known competence area.")
                % {"row": row_number, "area": area or "—"}
            )
            ok = False
        try:
            weight = parse_number(raw_weight)
        except (TypeError, ValueError, ArithmeticError):
            problems.append(
                _("Row %(row)s: the weight must be a number, e.g. 0.5 or 50.") % {"row": row_number}
            )
            continue
        if weight <= 0:
            problems.append(_("Row %(row)s: the weight must be more than 0.") % {"row": row_number})
            continue
        if ok and (level, area) in seen:
            problems.append(
                _("Row %(row)s: this level and area are given twice.") % {"row": row_number}
            )
            continue
        if ok:
            seen.add((level, area))
            cleaned.append((level, area, weight))
    if not rows:
        problems.append(_("Give at least one competence area and education level."))
    if problems:
        return [], problems
    total = sum(w for _l, _a, w in cleaned)
    as_shares = math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE)
    as_percent = math.isclose(total, 100.0, abs_tol=100 * WEIGHT_SUM_TOLERANCE)
    if not (as_shares or as_percent):
        return [], [
            _(
                "The weights sum to %(total)s; they must sum to 1 (or to 100 if you give "
                "percentages)."
            )
            % {"total": formats.number_format(round(total, 4))}
        ]
    return [(lv, a, w / total) for lv, a, w in cleaned], []


# --------------------------------------------------------------------------- measures


def _measure_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    values: dict[str, Any] = {}
    errors: Errors = {}
    # a single title or description (an older API client) is in the caller's language
    data = legacy_values(legacy_values(dict(data), "title"), "description")
    for field in ("title_nb", "title_en", "description_nb", "description_en", "url", "source"):
        raw = data.get(field)
        values[field] = "" if raw is None else str(raw).strip()
    for field in ("horizon", "lever"):
        values[field] = str(data.get(field) or "").strip().lower()
    for field in ("commandment", "start_year", "end_year"):
        raw = data.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[field] = None
            continue
        try:
            number = parse_number(raw)
            if number != int(number):
                raise ValueError(raw)
            values[field] = int(number)
        except (TypeError, ValueError, ArithmeticError, OverflowError):
            values[field] = None
            _add(errors, field, _("Enter a whole number."))
    for field in ("places_per_year", "duration_years", "completion_rate", "cost_nok"):
        raw = data.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[field] = None
            continue
        try:
            values[field] = parse_number(raw)
        except (TypeError, ValueError, ArithmeticError):
            values[field] = None
            _add(errors, field, _("Enter a number."))
            continue
        if field in ("places_per_year", "cost_nok"):
            message = plausible_message("measures", field, values[field])
            if message is not None:
                _add(errors, field, message)
    if values.get("places_per_year") is None and "places_per_year" not in errors:
        _add(errors, "places_per_year", _("Give the places (or people) per year, 0 or more."))
    if values.get("commandment") is not None and commandment(values["commandment"]) is None:
        _add(errors, "commandment", _("Choose one of the ten commandments (1–10)."))
    if values["lever"] and lever(values["lever"]) is None:
        _add(
            errors,
            "lever",
            _("“%(value)s” is not a known lever.") % {"value": values["lever"]},
        )
    if not values["horizon"] and values["lever"] and lever(values["lever"]) is not None:
        values["horizon"] = lever(values["lever"]).horizon  # type: ignore[union-attr]
    if values["horizon"] and values["horizon"] not in Horizon.values:
        _add(errors, "horizon", _("Choose short, medium or long term."))
    start, end = values.get("start_year"), values.get("end_year")
    if start is not None and end is not None and end < start:
        _add(errors, "end_year", _("The end year must not be before the start year."))
    return values, errors


def _validate_instance(obj: Any, errors: Errors, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field in errors:
                continue  # already said in plainer words
            for message in messages:
                _add(errors, field, message)


@transaction.atomic
def do_save_measure(
    user: UserLike,
    data: Mapping[str, Any],
    targets: Iterable[Any],
    *,
    owner: Organisation | None = None,
    measure: Measure | None = None,
    status: str | None = None,
    synthetic: bool = False,
) -> Measure:
    """Register a measure (``measure=None``) or change one, with its targets.

    Analysts may give any ``owner`` and (on registration) any ``status`` (default proposed).
    Partners may only register for their own organisation, as proposed, and change their
    organisation's measures while they are proposed. ``user=None`` is the system (the demo
    loader) and acts as an analyst. Raises ValidationError with messages per field
    (``targets`` for the areas and levels); nothing is written then.
    """
    analyst = user is None or is_analyst(user)
    errors: Errors = {}
    if not analyst:
        own = partner_organisation(user)
        if own is None:
            raise PermissionError(_("Only analysts and partners can register measures."))
        if owner is not None and owner.pk != own.pk:
            raise PermissionError(_("Partners register measures for their own organisation."))
        owner = own
        if measure is not None and (
            measure.owner_id != own.pk or measure.status != MeasureStatus.PROPOSED
        ):
            raise PermissionError(_("Only a proposed measure of your own can be changed."))
        if status not in (None, "", MeasureStatus.PROPOSED):
            _add(
                errors,
                "status",
                _("Partners register measures as proposed; an analyst agrees them."),
            )
        status = MeasureStatus.PROPOSED
    elif measure is None:
        status = status or MeasureStatus.PROPOSED
        if status not in MeasureStatus.values:
            _add(errors, "status", _("“%(value)s” is not a known status.") % {"value": status})
    values, value_errors = _measure_values(data)
    for field, messages in value_errors.items():
        errors.setdefault(field, []).extend(messages)
    cleaned, problems = clean_targets(targets, values.get("lever") or "")
    if problems:
        errors["targets"] = problems
    obj = measure or Measure(created_by=account_of(user))
    for field, value in values.items():
        if field not in errors:
            setattr(obj, field, value)
    if measure is None:
        obj.owner = owner
        obj.status = status if status in MeasureStatus.values else MeasureStatus.PROPOSED
        obj.synthetic = synthetic
    elif analyst:
        obj.owner = owner
    obj.updated_by = account_of(user)
    _validate_instance(obj, errors, exclude=[f for f in errors if hasattr(obj, f)])
    if errors:
        raise ValidationError(errors)
    obj.save()
    obj.targets.all().delete()
    MeasureTarget.objects.bulk_create(
        MeasureTarget(measure=obj, level=lv, area=a, weight=w) for lv, a, w in cleaned
    )
    if measure is None:
        MeasureStatusChange.objects.create(
            measure=obj,
            from_status="",
            to_status=obj.status,
            changed_by=account_of(user),
        )
    return obj


@transaction.atomic
def do_change_measure_status(
    measure: Measure, user: UserLike, to_status: str, note: str = ""
) -> MeasureStatusChange:
    """An analyst moves a measure to another status; the change is recorded (who, when, from →
    to). Raises PermissionError for anyone else, ValidationError for a change not allowed."""
    if user is not None and not is_analyst(user):
        raise PermissionError(_("Only analysts change the status of a measure."))
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    current = measure.status
    if to_status not in MeasureStatus.values:
        raise ValidationError(
            {"status": [_("“%(value)s” is not a known status.") % {"value": to_status}]}
        )
    if to_status not in TRANSITIONS.get(current, ()):
        raise ValidationError(
            {
                "status": [
                    _("A measure that is %(current)s cannot become %(new)s.")
                    % {
                        "current": MeasureStatus(current).label,
                        "new": MeasureStatus(to_status).label,
                    }
                ]
            }
        )
    measure.status = to_status
    measure.updated_by = account_of(user)
    measure.save(update_fields=["status", "updated_by", "updated_at"])
    return MeasureStatusChange.objects.create(
        measure=measure,
        from_status=current,
        to_status=to_status,
        changed_by=account_of(user),
        note=(note or "").strip()[:2000],
    )


#: What an institution's committed study places are: more capacity in existing education.
COMMIT_COMMANDMENT = 6
COMMIT_LEVER = "educate"


def do_commit_places(institution: Organisation, user: UserLike, data: Mapping[str, Any]) -> Measure:
    """An institution commits new study places: a PROPOSED measure of the institution
    (commandment 6, lever educate, long term), its areas weighted equally at the chosen level.

    ``data``: level, areas (list of area codes), places_per_year, start_year, optional title (in
    the active language) and duration_years. An analyst confirms it (status → agreed); from then
    on the model counts it.
    """
    level = str(data.get("level") or "")
    areas = [str(a) for a in (data.get("areas") or []) if str(a)]
    errors: Errors = {}
    if not areas:
        _add(errors, "areas", _("Choose at least one competence area."))
    if level not in codes("level"):
        _add(errors, "level", _("Choose an education level."))
    if errors:
        raise ValidationError(errors)
    title = str(data.get("title") or "").strip() or _(
        "%(institution)s: %(places)s more study places at %(level)s from %(year)s"
    ) % {
        "institution": institution.name,
        "places": data.get("places_per_year"),
        "level": label("level", level),
        "year": data.get("start_year"),
    }
    weight = 1.0 / len(areas)
    return do_save_measure(
        user,
        {
            f"title_{lang_of()}": title[:200],
            "commandment": COMMIT_COMMANDMENT,
            "lever": COMMIT_LEVER,
            "horizon": Horizon.LONG,
            "places_per_year": data.get("places_per_year"),
            "start_year": data.get("start_year"),
            "duration_years": data.get("duration_years"),
            "source": _("Committed by %(institution)s in battkomp.")
            % {"institution": institution.name},
        },
        [(level, area, weight) for area in areas],
        owner=institution,
        status=MeasureStatus.PROPOSED,
    )


# --------------------------------------------------------------------------- infrastructure


_INFRASTRUCTURE_TEXTS = (
    "name_nb",
    "name_en",
    "owner_name",
    "place",
    "description_nb",
    "description_en",
    "access_terms_nb",
    "access_terms_en",
    "url",
    "source",
)


def _infrastructure_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    values: dict[str, Any] = {}
    errors: Errors = {}
    data = dict(data)
    for base in ("name", "description", "access_terms"):  # single texts: the caller's language
        data = legacy_values(data, base)
    for field in _INFRASTRUCTURE_TEXTS:
        raw = data.get(field)
        values[field] = "" if raw is None else str(raw).strip()
    values["kind"] = str(data.get("kind") or "").strip().lower()
    values["region"] = str(data.get("region") or "").strip().upper()
    raw_areas = data.get("areas") or []
    if isinstance(raw_areas, str):
        raw_areas = raw_areas.replace(",", ";").split(";")
    areas = [str(a).strip() for a in raw_areas if str(a).strip()]
    leaves = set(codes("area"))
    unknown = [a for a in areas if a not in leaves]
    if unknown:
        _add(
            errors,
            "areas",
            _("Not known competence areas: %(codes)s.") % {"codes": ", ".join(unknown)},
        )
    values["areas"] = [a for a in codes("area") if a in set(areas)]
    values["public"] = bool(data.get("public", True))
    if values["kind"] and values["kind"] not in InfrastructureKind.values:
        _add(errors, "kind", _("“%(value)s” is not a known kind.") % {"value": values["kind"]})
    return values, errors


@transaction.atomic
def do_save_infrastructure(
    user: UserLike,
    data: Mapping[str, Any],
    *,
    owner: Organisation | None = None,
    infrastructure: Infrastructure | None = None,
    synthetic: bool = False,
) -> Infrastructure:
    """Register or change a research or test facility.

    Analysts (and ``user=None``, the system) may give any owner, registered or as free text, and
    their entries are approved at once. An organisation's respondents and editors register their
    own organisation's facilities; their registrations and changes wait for approval.
    """
    analyst = user is None or is_analyst(user)
    if not analyst:
        own = partner_organisation(user)
        if own is None:
            raise PermissionError(_("Only analysts and partners can register infrastructure."))
        if infrastructure is not None and infrastructure.owner_id != own.pk:
            raise PermissionError(_("Only your own organisation's infrastructure can be changed."))
        owner = own
    values, errors = _infrastructure_values(data)
    if not analyst:
        values["owner_name"] = ""
    obj = infrastructure or Infrastructure(created_by=account_of(user), synthetic=synthetic)
    for field, value in values.items():
        if field not in errors:
            setattr(obj, field, value)
    obj.owner = owner
    if obj.owner is None and not obj.owner_name:
        _add(errors, "owner_name", _("Give the owner: a registered organisation or a name."))
    if analyst:
        if not obj.approved:
            obj.approved, obj.approved_by, obj.approved_at = True, account_of(user), timezone.now()
    else:
        obj.approved, obj.approved_by, obj.approved_at = False, None, None
    _validate_instance(obj, errors, exclude=[f for f in errors if hasattr(obj, f)])
    if errors:
        raise ValidationError(errors)
    obj.save()
    return obj


@transaction.atomic
def do_approve_infrastructure(infrastructure: Infrastructure, user: UserLike) -> Infrastructure:
    """An analyst approves a partner's registration: it is listed from now on (if public)."""
    if user is not None and not is_analyst(user):
        raise PermissionError(_("Only analysts approve infrastructure."))
    infrastructure.approved = True
    infrastructure.approved_by = account_of(user)
    infrastructure.approved_at = timezone.now()
    infrastructure.save(update_fields=["approved", "approved_by", "approved_at", "updated_at"])
    return infrastructure


@transaction.atomic
def do_delete_infrastructure(infrastructure: Infrastructure, user: UserLike) -> None:
    if user is not None and not is_analyst(user):
        own = partner_organisation(user)
        if own is None or infrastructure.owner_id != own.pk:
            raise PermissionError(_("Only your own organisation's infrastructure can be deleted."))
    infrastructure.delete()
