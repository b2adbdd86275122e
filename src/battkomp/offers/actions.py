"""State changes of education offers. Views, the API, the Excel importer and tests call these.

Every write validates the whole offer first (fields, the level rules, the competence areas and
their weights) and writes nothing when anything is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from battkomp.core.bilingual import legacy_values
from battkomp.core.codes import codes, label, taxonomy
from battkomp.core.plausible import plausible_message, share_message
from battkomp.core.stale import StaleEdit, shown
from battkomp.core.users import UserLike, account_of
from battkomp.engine.numbers import without_group_spaces
from battkomp.engine.quantities import ShareError
from battkomp.engine.quantities import parse_share as engine_parse_share
from battkomp.offers.models import Offer, OfferArea, OfferMode
from battkomp.organisations.models import Organisation, OrganisationKind

# Organisations that can hold education offers.
INSTITUTION_KINDS = frozenset({OrganisationKind.EDUCATION, OrganisationKind.RESEARCH})

_CODE_FIELDS = ("kind", "level", "target_level", "region", "mode", "status")
_TEXT_FIELDS = ("code", "name_nb", "name_en", "source")
_INT_FIELDS = ("study_places", "candidates", "first_intake")
_FLOAT_FIELDS = ("duration_years", "ects")
_SHARE_FIELDS = ("completion_rate", "capture_share")
#: Fields with a plausible maximum (the engine's bounds of education_offers).
_BOUNDED_FIELDS = ("study_places", "candidates")

OFFER_FIELDS: tuple[str, ...] = (
    "code",
    "name_nb",
    "name_en",
    "kind",
    "level",
    "target_level",
    "study_places",
    "candidates",
    "first_intake",
    "duration_years",
    "ects",
    "region",
    "mode",
    "status",
    "completion_rate",
    "capture_share",
    "source",
)
"""The offer's own fields, as keys of the ``data`` and ``rows`` dicts the actions take."""

# Weights must sum to 1 within this (or to 100 within 100 × this, read as percentages).
WEIGHT_SUM_TOLERANCE = 0.001
# Two stored floats closer than this are the same value (idempotent imports).
_SAME = 1e-9

Errors = dict[str, list[str]]


# --------------------------------------------------------------------------- parsing


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any) -> float:
    """A number from a form or a spreadsheet cell: accepts ``0,5`` and ``0.5``, spaces, ``%``.

    >>> parse_number("0,25"), parse_number(" 1 200 "), parse_number(3)
    (0.25, 1200.0, 3.0)
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        text = without_group_spaces(str(value).strip()).rstrip("%")
        number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def parse_share(value: Any) -> float | None:
    """A share given as 0–1 or as a percentage (``85``, ``85 %``, ``0,85`` are all 0.85); a number
    between 1 and 2 without ``%`` is ambiguous and refused (the one rule of
    :func:`battkomp.engine.quantities.parse_share`).

    >>> parse_share("85 %"), parse_share(0.85), parse_share("85"), parse_share(""), parse_share(1)
    (0.85, 0.85, 0.85, None, 1.0)
    """
    return engine_parse_share(value)


def _parse_int(value: Any) -> int | None:
    if _blank(value):
        return None
    number = parse_number(value)
    if number != int(number):
        raise ValueError(value)
    return int(number)


def _fmt(number: float) -> str:
    return formats.number_format(round(number, 4))


def clean_offer_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """Typed values of the offer's fields, and messages per field for what could not be read.

    Missing keys count as blank; a blank mode means campus. A single ``name`` (an older API
    client, a file from an older template) is the name in the active language.
    """
    values: dict[str, Any] = {}
    errors: Errors = {}
    data = legacy_values(dict(data), "name")
    for field in _TEXT_FIELDS:
        raw = data.get(field)
        values[field] = "" if raw is None else str(raw).strip()
    for field in _CODE_FIELDS:
        raw = data.get(field)
        values[field] = "" if raw is None else str(raw).strip().lower()
    if "region" in values:
        # county numbers have no case; country codes are upper case (SE, DK, FI, IS)
        values["region"] = values["region"].upper()
    if not values["mode"]:
        values["mode"] = OfferMode.CAMPUS
    for field in _INT_FIELDS:
        try:
            values[field] = _parse_int(data.get(field))
        except (TypeError, ValueError, OverflowError):
            values[field] = None
            errors.setdefault(field, []).append(_("Enter a whole number."))
            continue
        if field in _BOUNDED_FIELDS:
            message = plausible_message("education_offers", field, values[field])
            if message is not None:
                errors.setdefault(field, []).append(message)
    for field in _FLOAT_FIELDS:
        raw = data.get(field)
        try:
            values[field] = None if _blank(raw) else parse_number(raw)
        except (TypeError, ValueError, ArithmeticError):
            values[field] = None
            errors.setdefault(field, []).append(_("Enter a number."))
    for field in _SHARE_FIELDS:
        raw = data.get(field)
        try:
            values[field] = parse_share(raw)
        except ShareError as exc:
            values[field] = None
            errors.setdefault(field, []).append(share_message(exc, raw))
    return values, errors


def clean_areas(
    areas: Iterable[tuple[Any, Any]], rows: Iterable[int] | None = None
) -> tuple[list[tuple[str, float]], list[str]]:
    """Competence areas with their weights, normalised to sum to exactly 1.

    ``areas`` are (area, weight) pairs (or ``{"area", "weight"}`` dicts); ``rows`` the row
    numbers to name in messages (default 1, 2, 3, ...). Weights must sum to 1 ± 0.001, or to
    100 ± 0.1 (percentages). Returns the cleaned pairs and the messages (empty when all is
    well).
    """
    pairs = list(areas)
    numbers = list(rows) if rows is not None else list(range(1, len(pairs) + 1))
    tax = taxonomy()
    leaves = set(codes("area"))
    groups = set(tax.area_parent.values())
    problems: list[str] = []
    seen: dict[str, int] = {}
    cleaned: list[tuple[str, float]] = []
    for row, pair in zip(numbers, pairs, strict=True):
        try:
            if isinstance(pair, Mapping):
                raw_area, raw_weight = pair.get("area"), pair.get("weight")
            else:
                raw_area, raw_weight = pair
        except (TypeError, ValueError):
            problems.append(_("Row %(row)s: give a competence area and a weight.") % {"row": row})
            continue
        area = "" if raw_area is None else str(raw_area).strip()
        ok = True
        if not area:
            problems.append(_("Row %(row)s: choose a competence area.") % {"row": row})
            ok = False
        elif area in groups:
            problems.append(
                _("Row %(row)s: “%(area)s” is a group of areas; choose one of its areas.")
                % {"row": row, "area": label("area", area)}
            )
            ok = False
        elif area not in leaves:
            problems.append(
                _("Row %(row)s: “%(area)s” is not a known competence area.")
                % {"row": row, "area": area}
            )
            ok = False
        elif area in seen:
            problems.append(
                _("Row %(row)s: “%(area)s” is already listed in row %(first)s.")
                % {"row": row, "area": label("area", area), "first": seen[area]}
            )
            ok = False
        else:
            seen[area] = row
        try:
            if _blank(raw_weight):
                problems.append(_("Row %(row)s: give a weight.") % {"row": row})
                continue
            weight = parse_number(raw_weight)
        except (TypeError, ValueError, ArithmeticError):
            problems.append(_("Row %(row)s: the weight must be a number.") % {"row": row})
            continue
        if weight <= 0:
            problems.append(_("Row %(row)s: the weight must be more than 0.") % {"row": row})
            continue
        if ok:
            cleaned.append((area, weight))
    if not pairs:
        problems.append(_("Give at least one competence area with its weight."))
    if problems:
        return cleaned, problems
    total = sum(w for _a, w in cleaned)
    if not (
        abs(total - 1.0) <= WEIGHT_SUM_TOLERANCE or abs(total - 100.0) <= 100 * WEIGHT_SUM_TOLERANCE
    ):
        problems.append(
            _(
                "The weights add up to %(total)s; they must add up to 1 (or to 100 if you give "
                "percentages)."
            )
            % {"total": _fmt(total)}
        )
        return cleaned, problems
    # Store fractions that sum to exactly 1 (within float precision): the model needs that.
    return [(a, w / total) for a, w in cleaned], problems


def _check_offer(
    institution: Organisation,
    values: dict[str, Any],
    errors: Errors,
    offer_pk: int | None,
    *,
    check_code: bool = True,
) -> None:
    """The offer's rules beyond single fields; adds to ``errors``."""
    if values["level"] == "evu" and not values["target_level"]:
        errors.setdefault("target_level", []).append(
            _("Required when the level is EVU: the level the participants count at.")
        )
    if (
        values["study_places"] is None
        and values["candidates"] is None
        and ("study_places" not in errors and "candidates" not in errors)
    ):
        errors.setdefault("study_places", []).append(
            _("Give study places or candidates per year (at least one).")
        )
    probe = Offer(institution=institution, **values)
    probe.pk = offer_pk
    try:
        probe.full_clean(
            exclude=["institution", "updated_by", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if check_code and values["code"] and "code" not in errors:
        clash = Offer.objects.filter(code=values["code"])
        if offer_pk is not None:
            clash = clash.exclude(pk=offer_pk)
        if clash.exists():
            errors.setdefault("code", []).append(
                _("Another offer already has the code “%(code)s”.") % {"code": values["code"]}
            )


def _check_institution(institution: Organisation) -> None:
    if institution.kind not in INSTITUTION_KINDS:
        msg = _("%(name)s is not an education or research institution.") % {
            "name": institution.name
        }
        raise ValidationError({"__all__": [msg]})


def _write_areas(offer: Offer, areas: list[tuple[str, float]]) -> None:
    offer.areas.all().delete()
    OfferArea.objects.bulk_create(OfferArea(offer=offer, area=a, weight=w) for a, w in areas)


# --------------------------------------------------------------------------- lost updates


class StaleOffer(StaleEdit):
    """An edit of an offer based on an older version than the stored one: someone saved the
    offer in between. Nothing was written; ``changes`` lists where the stored offer differs from
    the edit."""

    def __init__(self, stored: Offer, based_on: int, changes: list[str]) -> None:
        super().__init__(
            _(
                "This offer was changed by %(who)s (%(when)s) after you opened it: you worked on "
                "version %(based_on)d, the stored offer is version %(current)d. Nothing of yours "
                "was saved. Look at where the stored offer differs from yours, then save again "
                "to replace it with what is in your form."
            ),
            based_on=based_on,
            current=stored.version,
            who=stored.updated_by,
            when=stored.updated_at,
            changes=changes,
        )


def _areas_text(areas: Mapping[str, float]) -> str:
    parts = sorted(areas.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{label('area', a)} {_fmt(w * 100)} %" for a, w in parts) or "–"


def _field_name(name: str) -> str:
    """The offer field's verbose name, capitalised, in the active language."""
    field = Offer._meta.get_field(name)
    return str(getattr(field, "verbose_name", name)).capitalize()


def offer_differences(
    stored: Offer, values: Mapping[str, Any], areas: list[tuple[str, float]]
) -> list[str]:
    """Where the stored offer differs from an edit's values and areas, one sentence per field
    (the field's name, the stored value and the edit's), in the active language."""
    changes = []
    for field in OFFER_FIELDS:
        if field not in values:
            continue
        mine, theirs = values[field], getattr(stored, field)
        if isinstance(mine, float) or isinstance(theirs, float):
            same = (mine is None) == (theirs is None) and (
                mine is None or abs(float(mine) - float(theirs)) <= _SAME
            )
        else:
            same = mine == theirs
        if not same:
            changes.append(
                _("%(field)s: stored %(stored)s, yours %(yours)s")
                % {
                    "field": _field_name(field),
                    "stored": shown(theirs),
                    "yours": shown(mine),
                }
            )
    stored_areas = {a.area: a.weight for a in stored.areas.all()}
    given = dict(areas)
    if stored_areas.keys() != given.keys() or any(
        abs(stored_areas[a] - given[a]) > _SAME for a in given
    ):
        changes.append(
            _("%(field)s: stored %(stored)s, yours %(yours)s")
            % {
                "field": _("Competence areas"),
                "stored": _areas_text(stored_areas),
                "yours": _areas_text(given),
            }
        )
    return changes


# --------------------------------------------------------------------------- actions


@transaction.atomic
def do_save_offer(
    institution: Organisation,
    user: UserLike,
    data: Mapping[str, Any],
    areas: list[tuple[str, float]],
    offer: Offer | None = None,
    *,
    based_on: int | None = None,
) -> Offer:
    """Create (``offer=None``) or update an offer of ``institution`` with its competence areas.

    ``data`` holds the offer's fields (see :data:`OFFER_FIELDS`; missing keys count as blank);
    ``areas`` the (area, weight) pairs, weights summing to 1 (or 100 as percentages), stored
    normalised. Raises :class:`ValidationError` whose ``message_dict`` maps field names (and
    ``"areas"`` for the competence areas, ``"__all__"`` otherwise) to messages; nothing is saved.
    Every save adds one to the offer's ``version``. With ``based_on`` (the version the editor's
    form or GET showed), an update raises :class:`StaleOffer` when someone saved since.
    """
    _check_institution(institution)
    if offer is not None and offer.institution_id != institution.pk:
        msg = "the offer belongs to another institution"
        raise ValueError(msg)
    values, errors = clean_offer_values(data)
    cleaned_areas, area_problems = clean_areas(areas)
    if offer is not None:
        # The row is locked until the end of the transaction: two saves based on the same
        # version cannot both pass.
        stored = (
            Offer.objects.select_for_update(of=("self",))  # PostgreSQL: not the nullable join
            .select_related("updated_by")
            .prefetch_related("areas")
            .get(pk=offer.pk)
        )
        if based_on is not None and based_on != stored.version:
            ok = {f: v for f, v in values.items() if f not in errors}
            raise StaleOffer(
                stored,
                based_on,
                offer_differences(stored, ok, [] if area_problems else cleaned_areas),
            )
        offer.version = stored.version + 1
    _check_offer(institution, values, errors, offer.pk if offer else None)
    if area_problems:
        errors["areas"] = area_problems
    if errors:
        raise ValidationError(errors)
    if offer is None:
        offer = Offer(institution=institution)
    for field, value in values.items():
        setattr(offer, field, value)
    offer.updated_by = account_of(user)
    offer.save()
    _write_areas(offer, cleaned_areas)
    return offer


@transaction.atomic
def do_delete_offer(offer: Offer, user: UserLike) -> None:
    """Delete an offer and its competence areas. (Access is checked by the caller.)"""
    del user  # part of the signature so every state change names who made it
    offer.delete()


def _same(offer: Offer, values: dict[str, Any], areas: list[tuple[str, float]]) -> bool:
    for field, value in values.items():
        current = getattr(offer, field)
        if isinstance(value, float) or isinstance(current, float):
            if (value is None) != (current is None):
                return False
            if value is not None and abs(float(value) - float(current)) > _SAME:
                return False
        elif current != value:
            return False
    stored = {a.area: a.weight for a in offer.areas.all()}
    given = dict(areas)
    if stored.keys() != given.keys():
        return False
    return all(abs(stored[a] - given[a]) <= _SAME for a in given)


def _row_error(row: int, field: str, message: str, code: str) -> ValidationError:
    return ValidationError(
        _("Row %(row)s (%(code)s), %(field)s: %(problem)s"),
        code="offer_row",
        params={"row": row, "field": field, "problem": message, "code": code or "–"},
    )


@transaction.atomic
def do_upsert_offers(
    institution: Organisation, user: UserLike, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Create or update ``institution``'s offers from rows; all or nothing, idempotent.

    Each row is a dict of the offer's fields (:data:`OFFER_FIELDS`; ``code`` identifies the offer
    within the institution; missing keys count as blank) and ``"areas"``: (area, weight) pairs.
    Offers not in ``rows`` are left alone. An offer whose stored values already equal its row is
    not written (its ``updated_at`` stays). Returns ``{"created", "updated", "unchanged"}``.

    Raises :class:`ValidationError` listing every problem, each with ``params`` ``row`` (1-based
    position in ``rows``), ``field`` (a field name or ``"areas"``) and ``code``; nothing is saved.
    """
    _check_institution(institution)
    errors: list[ValidationError] = []
    plans: list[tuple[dict[str, Any], list[tuple[str, float]], Offer | None]] = []
    wanted = [str(r.get("code") or "").strip() for r in rows if isinstance(r, Mapping)]
    # Locked until the end of the transaction, so each update adds one to the stored version.
    existing = {
        o.code: o
        for o in Offer.objects.select_for_update().filter(code__in=[c for c in wanted if c])
    }
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            errors.append(_row_error(number, "-", _("not a row of offer fields."), ""))
            continue
        values, field_errors = clean_offer_values(row)
        code = values["code"]
        current = existing.get(code) if code else None
        if code in first_row:
            field_errors.setdefault("code", []).append(
                _("the code is also used in row %(first)s.") % {"first": first_row[code]}
            )
        elif code:
            first_row[code] = number
        if current is not None and current.institution_id != institution.pk:
            field_errors.setdefault("code", []).append(
                _("the code “%(code)s” belongs to another institution's offer.") % {"code": code}
            )
            current = None
        _check_offer(
            institution, values, field_errors, current.pk if current else None, check_code=False
        )
        raw_areas = row.get("areas") or []
        try:
            raw_areas = list(raw_areas)
        except TypeError:
            raw_areas = []
            field_errors.setdefault("areas", []).append(_("not a list of (area, weight) pairs."))
        cleaned_areas, area_problems = clean_areas(raw_areas)
        field_errors.setdefault("areas", []).extend(area_problems)
        for field, messages in field_errors.items():
            errors.extend(_row_error(number, field, m, code) for m in messages)
        plans.append((values, cleaned_areas, current))
    if errors:
        raise ValidationError(errors)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    editor = account_of(user)
    for values, cleaned_areas, current in plans:
        if current is not None and _same(current, values, cleaned_areas):
            counts["unchanged"] += 1
            continue
        offer = current if current is not None else Offer(institution=institution)
        for field, value in values.items():
            setattr(offer, field, value)
        if current is not None:
            offer.version = current.version + 1
        offer.updated_by = editor
        offer.save()
        _write_areas(offer, cleaned_areas)
        counts["updated" if current is not None else "created"] += 1
    return counts
