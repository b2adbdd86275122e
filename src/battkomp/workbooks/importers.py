"""Importing needs and offers from an uploaded workbook or CSV file.

Everything is validated before anything is stored: every problem is reported by sheet, row and
column, and a file with any problem stores nothing. A valid file is imported all-or-nothing through
the owning app's action (:func:`battkomp.survey.actions.do_save_response`,
:func:`battkomp.offers.actions.do_upsert_offers`). Importing the same file twice changes nothing:
needs are compared with the stored lines first (no new revision when they are equal) and the
offers action is idempotent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from battkomp.core.codes import codes, label, taxonomy
from battkomp.core.plausible import plausible_message, share_message
from battkomp.core.users import UserLike
from battkomp.engine.numbers import without_group_spaces
from battkomp.engine.quantities import ShareError, parse_share
from battkomp.offers.actions import do_upsert_offers, parse_number
from battkomp.offers.models import Offer
from battkomp.organisations.access import group_facilities
from battkomp.organisations.models import Organisation
from battkomp.survey.actions import MAX_HEADCOUNT, MAX_TEXT, do_save_response
from battkomp.survey.models import NeedLine, Participant, Revision, RevisionKind, RoundStatus
from battkomp.workbooks.columns import (
    CODES_SHEET,
    NEEDS_COLUMNS,
    NEEDS_SHEET,
    NEEDS_SHEET_COLUMNS,
    OFFERS_COLUMNS,
    OFFERS_OLD_NAME,
    OFFERS_SHEET,
    OFFERS_SHEET_COLUMNS,
    Column,
    format_bound,
    known_code,
    unescape_text,
)
from battkomp.workbooks.reading import ImportRefused, Problem, Table, is_blank, read_table, short

NEED_KEY = ("role", "level", "area", "year")
NEED_VALUES = (
    "new_hires",
    "total_staff",
    "recruit_difficulty",
    "share_abroad",
    "critical_competences",
    "comment",
    "facility",
)
# "12,0" is twelve, but "12.000" may mean twelve thousand: refuse it rather than guess.
_INTEGER = re.compile(r"[+-]?\d{1,15}(?:[.,]0{1,2})?")


class CellError(ValueError):
    """A cell that cannot be read; the message says why, in the user's language."""


# --------------------------------------------------------------------------- reading cells


def int_value(value: Any) -> int:
    """A whole number from a cell: 12, 12.0, "12", " 1 200 ", "12,0" (not "12.000").

    >>> int_value(12.0), int_value(" 1 200 "), int_value("12,0")
    (12, 1200, 12)
    """
    if isinstance(value, bool):
        raise CellError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise CellError(value)
    text = without_group_spaces(str(value).strip())
    if not _INTEGER.fullmatch(text):
        raise CellError(value)
    return int(re.split(r"[.,]", text)[0])


def share_value(value: Any) -> float:
    """A share from 0 to 1 from a cell: 0.25, "0,25", "25 %", or 25 (read as a percentage); a
    number between 1 and 2 without "%" is ambiguous and refused (the rule of every path,
    :func:`battkomp.engine.quantities.parse_share`).

    >>> share_value(0.25), share_value("25 %"), share_value(25), share_value(1)
    (0.25, 0.25, 0.25, 1.0)
    """
    try:
        share = parse_share(value)
    except ShareError as exc:
        raise CellError(share_message(exc, short(value))) from None
    if share is None:
        raise CellError(value)
    return share


def text_value(value: Any) -> str:
    """A text cell, trimmed, with an exported formula escape (a leading apostrophe) undone."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return unescape_text(str(value).strip())


def code_value(value: Any, list_name: str) -> str:
    """The code a cell names, as the code list spells it (case does not matter)."""
    found = known_code(list_name, value)
    if found is None:
        raise CellError(value)
    return found


def _unknown_code(value: Any) -> str:
    return _("“%(value)s” is not a known code.") % {"value": short(value)}


# --------------------------------------------------------------------------- needs


@dataclass
class NeedChange:
    """One need line that the import adds, removes or changes."""

    action: str  # "added", "removed" or "changed"
    line: dict[str, Any]
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)  # (column, before, after)

    @property
    def values(self) -> list[tuple[str, Any]]:
        """The filled-in values of an added or removed line."""
        return [(n, self.line.get(n)) for n in NEED_VALUES if self.line.get(n) not in (None, "")]

    @property
    def role_label(self) -> str:
        return label("role", self.line["role"])

    @property
    def level_label(self) -> str:
        return label("level", self.line["level"])

    @property
    def area_label(self) -> str:
        return label("area", self.line["area"])


@dataclass
class NeedsResult:
    """What a needs import did: the lines it added, removed and changed, and the revision."""

    lines: int
    changes: list[NeedChange]
    revision: Revision | None

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def removed(self) -> int:
        return self.count("removed")

    @property
    def changed(self) -> int:
        return self.count("changed")


def _need_cell(
    column: Column,
    value: Any,
    years: Sequence[int],
    facilities: Mapping[str, str] | None = None,
) -> Any:
    """A need line's value from a cell; raises :class:`CellError` with the message to show.
    ``facilities``: the codes the answering organisation's lines may name, by lower case."""
    if is_blank(value):
        if column.required:
            raise CellError(_("This column is required."))
        return "" if column.kind == "text" else None
    if column.kind == "facility":
        text = text_value(value)
        found = (facilities or {}).get(text.lower())
        if found is None:
            raise CellError(
                _(
                    "“%(value)s” is not a facility of your organisation: use a code from the "
                    "sheet “%(sheet)s”, or leave the cell blank for the organisation as a whole."
                )
                % {"value": short(value), "sheet": CODES_SHEET}
            )
        return found
    if column.kind == "code":
        try:
            return code_value(value, column.codes)
        except CellError:
            raise CellError(_unknown_code(value)) from None
    if column.kind == "year":
        try:
            year = int_value(value)
        except CellError:
            raise CellError(_("Enter the year as a whole number.")) from None
        if year not in years:
            raise CellError(
                _("The round asks about the years %(first)d–%(last)d.")
                % {"first": years[0], "last": years[-1]}
            )
        return year
    if column.kind == "int":
        low, high = int(column.minimum or 0), int(column.maximum or MAX_HEADCOUNT)
        message = _("Enter a whole number from %(min)s to %(max)s.") % {
            "min": format_bound(low),
            "max": format_bound(high),
        }
        try:
            number = int_value(value)
        except CellError:
            raise CellError(message) from None
        if not low <= number <= high:
            raise CellError(message)
        if column.name in ("new_hires", "total_staff"):
            implausible = plausible_message("survey_needs", column.name, number)
            if implausible is not None:
                raise CellError(implausible)
        return number
    if column.kind == "share":
        return share_value(value)
    text = text_value(value)
    if len(text) > MAX_TEXT:
        raise CellError(_("Use at most %(max)d characters.") % {"max": MAX_TEXT})
    return text


def needs_lines(
    table: Table, years: Sequence[int], facilities: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The need lines of a sheet, each with ``line`` = its row; raises :class:`ImportRefused`
    listing every problem by sheet, row and column. ``facilities``: the facility codes the
    lines may name (the answering organisation's)."""
    by_lower = {code.lower(): code for code in facilities}
    problems: list[Problem] = []
    lines: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in table.rows:
        line: dict[str, Any] = {"line": row.number}
        ok = True
        for column in NEEDS_COLUMNS:
            try:
                line[column.name] = _need_cell(column, row.values.get(column.name), years, by_lower)
            except CellError as error:
                problems.append(table.problem(str(error), row.number, column.name))
                ok = False
        if ok:
            key = tuple(line[k] for k in NEED_KEY)
            if key in seen:
                problems.append(
                    table.problem(
                        _("The row repeats row %(other)s (the same role, level, area and year).")
                        % {"other": seen[key]},
                        row.number,
                    )
                )
            else:
                seen[key] = row.number
        lines.append(line)
    if problems:
        raise ImportRefused(problems)
    return lines


def _comparable(line: Mapping[str, Any]) -> tuple[Any, ...]:
    share = line.get("share_abroad")
    return (
        line.get("new_hires"),
        line.get("total_staff"),
        line.get("recruit_difficulty"),
        None if share is None else round(float(share), 9),
        (line.get("critical_competences") or "").strip(),
        (line.get("comment") or "").strip(),
        line.get("facility") or None,
    )


def stored_lines(participant: Participant) -> list[dict[str, Any]]:
    """The response's current need lines as dicts (empty when nothing is saved)."""
    return [
        {
            **{name: getattr(n, name) for name in (*NEED_KEY, *NEED_VALUES) if name != "facility"},
            "facility": n.facility.code if n.facility is not None else None,
        }
        for n in NeedLine.objects.filter(response__participant=participant)
        .select_related("facility")
        .order_by("id")
    ]


def need_changes(
    before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]
) -> list[NeedChange]:
    """What replacing the lines ``before`` with ``after`` adds, removes and changes."""
    old = {tuple(line[k] for k in NEED_KEY): line for line in before}
    new = {tuple(line[k] for k in NEED_KEY): line for line in after}
    changes: list[NeedChange] = []
    for key, line in new.items():
        current = old.get(key)
        if current is None:
            changes.append(NeedChange("added", dict(line)))
            continue
        fields = [
            (name, a, b)
            for name, a, b in zip(NEED_VALUES, _comparable(current), _comparable(line), strict=True)
            if a != b
        ]
        if fields:
            changes.append(NeedChange("changed", dict(line), fields))
    changes.extend(NeedChange("removed", dict(line)) for key, line in old.items() if key not in new)
    order = {code: i for i, code in enumerate(codes("role"))}
    changes.sort(key=lambda c: (order.get(c.line["role"], 0), *(c.line[k] for k in NEED_KEY[1:])))
    return changes


def _round_not_open() -> ImportRefused:
    return ImportRefused([_("The round is not open: answers can no longer be changed.")])


def import_needs(participant: Participant, user: UserLike, upload: UploadedFile) -> NeedsResult:
    """Replace a response's need lines with those of an uploaded file (all or nothing).

    Raises :class:`ImportRefused` (and stores nothing) when the file has any problem or the
    round is not open. A file equal to the stored lines records no revision.
    """
    round_ = participant.round
    if round_.status != RoundStatus.OPEN:
        raise _round_not_open()
    table = read_table(upload, sheet=NEEDS_SHEET, columns=NEEDS_SHEET_COLUMNS)
    codes_allowed = group_facilities(participant.organisation).values_list("code", flat=True)
    lines = needs_lines(table, round_.years, codes_allowed)
    with transaction.atomic():
        # Lock the participant so the comparison and the save see the same stored lines.
        locked = (
            Participant.objects.select_for_update().select_related("round").get(pk=participant.pk)
        )
        if locked.round.status != RoundStatus.OPEN:
            raise _round_not_open()
        changes = need_changes(stored_lines(locked), lines)
        if not changes:
            return NeedsResult(len(lines), [], None)
        try:
            revision = do_save_response(participant, user, lines=lines, kind=RevisionKind.IMPORT)
        except ValidationError as error:
            raise ImportRefused([table.problem(m) for m in error.messages]) from None
        except PermissionError as error:
            raise ImportRefused([str(error)]) from None
    return NeedsResult(len(lines), changes, revision)


# --------------------------------------------------------------------------- offers


@dataclass
class OffersResult:
    """What an offers import did, by offer code."""

    counts: dict[str, int]
    created: list[str]
    updated: list[str]
    unchanged: list[str]

    @property
    def changed(self) -> int:
        return self.counts.get("created", 0) + self.counts.get("updated", 0)


def areas_value(value: Any) -> list[tuple[str, float]]:
    """Competence areas with weights from ``area:weight; area:weight`` (a lone area weighs 1).

    Raises :class:`CellError` whose message lists what is wrong."""
    text = text_value(value)
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    tax = taxonomy()
    leaves = {code.lower(): code for code in codes("area")}
    groups = {g.lower() for g in tax.area_parent.values()}
    problems: list[str] = []
    pairs: list[tuple[str, float]] = []
    seen: set[str] = set()
    for part in parts:
        if ":" in part:
            raw_area, raw_weight = (s.strip() for s in part.rsplit(":", 1))
        elif len(parts) == 1:
            raw_area, raw_weight = part, "1"
        else:
            problems.append(_("“%(part)s” is not of the form area:weight.") % {"part": short(part)})
            continue
        area = leaves.get(raw_area.lower())
        if area is None:
            if raw_area.lower() in groups:
                problems.append(
                    _("“%(area)s” is a group of areas; name one of its areas.")
                    % {"area": short(raw_area)}
                )
            else:
                problems.append(
                    _("“%(area)s” is not a known competence area.") % {"area": short(raw_area)}
                )
            continue
        if area in seen:
            problems.append(_("“%(area)s” is listed twice.") % {"area": area})
            continue
        seen.add(area)
        try:
            weight = parse_number(raw_weight)
        except (TypeError, ValueError, ArithmeticError):
            problems.append(_("The weight of “%(area)s” is not a number.") % {"area": area})
            continue
        if weight <= 0:
            problems.append(_("The weight of “%(area)s” must be more than 0.") % {"area": area})
            continue
        pairs.append((area, weight))
    if problems:
        raise CellError(" ".join(problems))
    return pairs


def offer_rows(table: Table) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows for :func:`do_upsert_offers` and the problems found in the cells.

    Codes and the competence areas are checked here; the offer's other rules (numbers, ranges,
    EVU needs a target level, study places or candidates) are the action's to check."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        data: dict[str, Any] = {}
        for column in (*OFFERS_COLUMNS, OFFERS_OLD_NAME):
            value = row.values.get(column.name)
            if is_blank(value):
                if column.required:
                    problems.append(
                        table.problem(_("This column is required."), row.number, column.name)
                    )
                data[column.name] = [] if column.kind == "areas" else ""
                continue
            if column.kind == "code":
                try:
                    data[column.name] = code_value(value, column.codes)
                except CellError:
                    problems.append(table.problem(_unknown_code(value), row.number, column.name))
                    data[column.name] = text_value(value)
            elif column.kind == "areas":
                try:
                    data[column.name] = areas_value(value)
                except CellError as error:
                    problems.append(table.problem(str(error), row.number, column.name))
                    data[column.name] = []
            elif column.kind == "text":
                data[column.name] = text_value(value)
            else:
                data[column.name] = value  # numbers: the action parses and checks them
                outside = _outside(column, value)
                if outside:
                    problems.append(table.problem(outside, row.number, column.name))
        code = data["code"]
        if code and code in first_row:
            problems.append(
                table.problem(
                    _("The code is also used in row %(other)s.") % {"other": first_row[code]},
                    row.number,
                    "code",
                )
            )
        elif code:
            first_row[code] = row.number
        rows.append(data)
    return rows, problems


def _outside(column: Column, value: Any) -> str:
    """Why a number is outside the template's bounds (blank when it is not, or is no number:
    the action says what is wrong then)."""
    if column.kind not in {"int", "number"} or column.minimum is None or column.maximum is None:
        return ""
    try:
        number = parse_number(value)
    except (TypeError, ValueError, ArithmeticError):
        return ""
    if column.minimum <= number <= column.maximum:
        return ""
    return _("Enter a number from %(min)s to %(max)s.") % {
        "min": format_bound(column.minimum),
        "max": format_bound(column.maximum),
    }


class _DryRun(Exception):  # noqa: N818  (control flow: undo a trial run)
    pass


def _action_problems(
    error: ValidationError, table: Table, skip: set[tuple[int | None, str]]
) -> list[Problem]:
    """The offers action's problems, placed at sheet row and column via their ``params``."""
    if hasattr(error, "error_dict"):
        errors = [e for items in error.error_dict.values() for e in items]
    else:
        errors = list(error.error_list)
    names = {c.name for c in (*OFFERS_COLUMNS, OFFERS_OLD_NAME)}
    problems: list[Problem] = []
    for item in errors:
        params = item.params if isinstance(item.params, Mapping) else {}
        position = params.get("row")
        if isinstance(position, int) and 1 <= position <= len(table.rows):
            number = table.rows[position - 1].number
            column = str(params.get("field", ""))
            column = column if column in names else ""
            if (number, column) in skip:
                continue
            problems.append(table.problem(str(params.get("problem", "")), number, column))
        else:
            problems.extend(table.problem(m) for m in item.messages)
    return problems


def _sorted(problems: list[Problem]) -> list[Problem]:
    order = {c.name: i for i, c in enumerate(OFFERS_COLUMNS)}
    return sorted(problems, key=lambda p: (p.row or 0, order.get(p.column, -1)))


def _updated_at(institution: Organisation, wanted: Iterable[str]) -> dict[str, Any]:
    return dict(
        Offer.objects.filter(institution=institution, code__in=list(wanted)).values_list(
            "code", "updated_at"
        )
    )


def import_offers(institution: Organisation, user: UserLike, upload: UploadedFile) -> OffersResult:
    """Create and update an institution's offers from an uploaded file (all or nothing).

    Raises :class:`ImportRefused` (and stores nothing) when the file has any problem. Offers not
    in the file are left alone; importing the same file again changes nothing.
    """
    table = read_table(upload, sheet=OFFERS_SHEET, columns=(*OFFERS_SHEET_COLUMNS, OFFERS_OLD_NAME))
    rows, problems = offer_rows(table)
    wanted = [str(r.get("code") or "") for r in rows]
    if problems:
        # Let the action check the rest of every row too, so one report lists everything, and
        # undo the trial whatever it did.
        skip = {(p.row, p.column) for p in problems}
        try:
            with transaction.atomic():
                do_upsert_offers(institution, user, rows)
                raise _DryRun
        except ValidationError as error:
            problems.extend(_action_problems(error, table, skip))
        except _DryRun:
            pass
        raise ImportRefused(_sorted(problems))
    with transaction.atomic():
        before = _updated_at(institution, wanted)
        try:
            counts = do_upsert_offers(institution, user, rows)
        except ValidationError as error:
            raise ImportRefused(_sorted(_action_problems(error, table, set()))) from None
        after = _updated_at(institution, wanted)
    created = [c for c in wanted if c not in before]
    updated = [c for c in wanted if c in before and after.get(c) != before[c]]
    unchanged = [c for c in wanted if c in before and after.get(c) == before[c]]
    return OffersResult(counts, created, updated, unchanged)
