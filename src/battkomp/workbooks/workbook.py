"""Downloadable XLSX templates for needs and offers, prefilled with what is stored.

Each template has an instructions sheet in the user's language, the data sheet (header row frozen,
a dropdown for every code and choice column, number rules for numeric columns, help on each
heading) and a codes sheet listing every code with its name. XlsxWriter writes it with
``strings_to_formulas`` off, and text cells are escaped like the exports, so nothing in a cell can
run as a formula; the importer undoes the escape.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter
from django.utils import formats
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from battkomp.offers.models import Offer
from battkomp.organisations.access import group_facilities
from battkomp.organisations.models import Organisation
from battkomp.survey.models import Participant
from battkomp.workbooks.columns import (
    CODES_SHEET,
    INSTRUCTIONS_SHEET,
    NEEDS_SHEET,
    NEEDS_SHEET_COLUMNS,
    OFFERS_COLUMNS,
    OFFERS_SHEET,
    OFFERS_SHEET_COLUMNS,
    Column,
    code_list,
    code_name,
    display_header,
    escape_text,
    format_bound,
    header,
)
from battkomp.workbooks.importers import stored_lines

#: The column each code list of the codes sheet fills (its heading there).
_LIST_COLUMN = {
    "offer_kind": "kind",
    "offer_mode": "mode",
    "offer_status": "status",
    "level_or_evu": "level",
}

#: Rows below the header that carry the dropdowns and number rules (more if prefilled).
VALIDATED_ROWS = 5000
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)


def write_cell(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """A number as a number, text as (escaped) text, nothing for None."""
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, str(value), fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, escape_text(str(value)), fmt)


def _fit(text: str, limit: int) -> str:
    """Excel limits data-validation titles (32) and messages (255)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Template:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = new_workbook(self.buffer)
        self.bold = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.wrap_bold = self.book.add_format({"text_wrap": True, "valign": "top", "bold": True})
        self.formats = {
            "code": self.book.add_format({"num_format": "@"}),
            "name": self.book.add_format({"num_format": "@"}),
            "area_names": self.book.add_format({"num_format": "@"}),
            "facility": self.book.add_format({"num_format": "@"}),
            "text": self.book.add_format({"num_format": "@"}),
            "areas": self.book.add_format({"num_format": "@"}),
            "int": self.book.add_format({"num_format": "0"}),
            "year": self.book.add_format({"num_format": "0"}),
            "number": self.book.add_format({"num_format": "0.##"}),
            "share": self.book.add_format({"num_format": "0.0%"}),
        }
        self.ranges: dict[str, str] = {}
        #: The range of each list's names on the codes sheet (the name columns' dropdowns).
        self.name_ranges: dict[str, str] = {}
        self.code_columns: dict[str, str] = {}
        self.name_columns: dict[str, str] = {}
        self.code_lists: list[tuple[str, list[tuple[str, str]]]] = []
        self.years: Sequence[int] = ()

    def instructions(
        self, heading: str, paragraphs: Sequence[str], columns: Sequence[Column], data_sheet: str
    ) -> None:
        sheet = self.book.add_worksheet(INSTRUCTIONS_SHEET)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 12)
        sheet.set_column(2, 2, 70)
        sheet.set_column(3, 3, 40)
        sheet.write_string(0, 0, heading, self.title)
        row = 2
        for text in paragraphs:
            sheet.merge_range(row, 0, row, 3, text, self.wrap)
            sheet.set_row(row, 15 * max(1, len(text) // 110 + 1))
            row += 1
        row += 1
        sheet.write_string(
            row, 0, _("The columns of the sheet “%(sheet)s”") % {"sheet": data_sheet}, self.title
        )
        row += 1
        for col, text in enumerate(
            (_("Column"), _("Required"), _("What to enter"), _("Allowed values"))
        ):
            sheet.write_string(row, col, text, self.bold)
        for column in columns:
            row += 1
            sheet.write_string(row, 0, header(column.name), self.wrap_bold)
            sheet.write_string(row, 1, _("yes") if column.required else _("no"), self.wrap)
            sheet.write_string(row, 2, str(column.help), self.wrap)
            sheet.write_string(row, 3, self.allowed(column), self.wrap)
        sheet.activate()

    def allowed(self, column: Column) -> str:
        if column.kind == "name" and column.codes in self.name_columns:
            return _("A name from the sheet “%(sheet)s”, column %(letter)s.") % {
                "sheet": CODES_SHEET,
                "letter": self.name_columns[column.codes],
            }
        if column.codes and column.codes in self.code_columns:
            return _("A code from the sheet “%(sheet)s”, column %(letter)s.") % {
                "sheet": CODES_SHEET,
                "letter": self.code_columns[column.codes],
            }
        if column.kind == "year" and self.years:
            return _("A year from %(first)d to %(last)d.") % {
                "first": self.years[0],
                "last": self.years[-1],
            }
        if column.kind == "share":
            return _("0 to 1, or a percentage (25 %).")
        if column.minimum is not None and column.maximum is not None:
            return _("%(min)s to %(max)s") % {
                "min": format_bound(column.minimum),
                "max": format_bound(column.maximum),
            }
        if column.kind == "facility":
            return _("Blank: your organisation has no facilities registered.")
        if column.kind == "area_names":
            return _("Filled in from the column beside it, for reading; not imported.")
        if column.kind == "areas" and "area" in self.code_columns:
            return _(
                "Codes from the sheet “%(sheet)s”, column %(letter)s, each with its weight: "
                "area:weight; area:weight."
            ) % {"sheet": CODES_SHEET, "letter": self.code_columns["area"]}
        return _("Free text.")

    def codes(
        self, lists: Sequence[str], extra: Sequence[tuple[str, list[tuple[str, str]]]] = ()
    ) -> None:
        """Plan the codes sheet (written last, shown last): for each list a column of codes and
        a column of names, and the range the dropdowns refer to. ``extra``: lists that are not
        fixed code lists (an organisation's facilities), as (name, entries); an empty one is
        left out."""
        planned = [(name, code_list(name)) for name in lists]
        planned += [(name, entries) for name, entries in extra if entries]
        for j, (name, entries) in enumerate(planned):
            letter = xl_col_to_name(3 * j)
            self.code_lists.append((name, entries))
            self.ranges[name] = f"={CODES_SHEET}!${letter}$2:${letter}${len(entries) + 1}"
            names = xl_col_to_name(3 * j + 1)
            self.name_ranges[name] = f"={CODES_SHEET}!${names}$2:${names}${len(entries) + 1}"
            self.code_columns[name] = letter
            self.name_columns[name] = names

    def _write_codes(self) -> None:
        sheet = self.book.add_worksheet(CODES_SHEET)
        for j, (name, entries) in enumerate(self.code_lists):
            col = 3 * j
            heading = header(_LIST_COLUMN.get(name, name))
            sheet.write_string(0, col, heading, self.bold)
            sheet.write_string(0, col + 1, _("name"), self.bold)
            sheet.set_column(col, col, max(12, len(heading) + 2))
            sheet.set_column(col + 1, col + 1, 36)
            for i, (code, text) in enumerate(entries, start=1):
                sheet.write_string(i, col, code)
                sheet.write_string(i, col + 1, escape_text(text))
        sheet.freeze_panes(1, 0)

    def data(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        years: Sequence[int] = (),
    ) -> Any:
        sheet = self.book.add_worksheet(name)
        last = max(VALIDATED_ROWS, len(rows) + 1000)
        for j, (column, heading) in enumerate(zip(columns, display_header(columns), strict=True)):
            sheet.write_string(0, j, heading, self.bold)
            sheet.write_comment(0, j, str(column.help), {"x_scale": 2, "y_scale": 1.5})
            width = (
                40
                if column.kind in {"text", "areas", "area_names"}
                else 30
                if column.kind == "name"
                else max(14, len(heading) + 3)
            )
            sheet.set_column(j, j, width, self.formats[column.kind])
            rule = self.rule(column, years)
            if rule is not None:
                sheet.data_validation(1, j, last, j, rule)
        for i, values in enumerate(rows, start=1):
            for j, (column, value) in enumerate(zip(columns, values, strict=True)):
                write_cell(sheet, i, j, value, self.formats[column.kind])
        sheet.freeze_panes(1, 0)
        return sheet

    def rule(self, column: Column, years: Sequence[int]) -> dict[str, Any] | None:
        """The data validation of a column: a dropdown for codes and choices, bounds for
        numbers, a hint for the areas."""
        title = _fit(header(column.name), 32)
        common: dict[str, Any] = {
            "ignore_blank": True,
            "input_title": title,
            "input_message": _fit(str(column.help), 255),
            "error_title": title,
        }
        if column.kind == "year":
            return {
                **common,
                "validate": "list",
                "source": [str(y) for y in years],
                "error_message": _fit(
                    _("Choose a year from %(first)d to %(last)d.")
                    % {"first": years[0], "last": years[-1]},
                    255,
                ),
            }
        if column.kind == "name":
            return {
                **common,
                "validate": "list",
                "source": self.name_ranges[column.codes],
                "error_message": _fit(
                    _("Choose a name from the list (see the sheet “%(sheet)s”).")
                    % {"sheet": CODES_SHEET},
                    255,
                ),
            }
        if column.codes == "difficulty":
            return {
                **common,
                "validate": "list",
                "source": ["1", "2", "3", "4", "5"],
                "error_message": _("Choose a whole number from 1 to 5."),
            }
        if column.kind == "code" or (column.kind == "facility" and column.codes in self.ranges):
            return {
                **common,
                "validate": "list",
                "source": self.ranges[column.codes],
                "error_message": _fit(
                    _("Choose a code from the list (see the sheet “%(sheet)s”).")
                    % {"sheet": CODES_SHEET},
                    255,
                ),
            }
        if column.kind in {"int", "number", "share"}:
            low, high = column.minimum, column.maximum
            return {
                **common,
                "validate": "integer" if column.kind == "int" else "decimal",
                "criteria": "between",
                "minimum": low,
                "maximum": high,
                "error_message": _fit(
                    _("Enter a number from %(min)s to %(max)s.")
                    % {"min": format_bound(low), "max": format_bound(high)},
                    255,
                ),
            }
        if column.kind == "areas":
            return {**common, "validate": "any"}
        return None

    def close(self) -> bytes:
        self._write_codes()
        self.book.close()
        return self.buffer.getvalue()


def _common_paragraphs(data_sheet: str) -> list[str]:
    return [
        _(
            "Choose codes from the dropdown lists; the sheet “%(sheet)s” lists every code with "
            "its name."
        )
        % {"sheet": CODES_SHEET},
        _(
            "Upload the workbook on battkomp as .xlsx, or save the sheet “%(sheet)s” as CSV "
            "UTF-8 (comma or semicolon separated) and upload that. Keep the header row and every "
            "column; the order of the columns does not matter."
        )
        % {"sheet": data_sheet},
        _(
            "Nothing is saved if anything in the file is wrong: you get a list of each problem "
            "by sheet, row and column. Importing the same file twice changes nothing."
        ),
        _(
            "Text that begins with =, +, - or @ is stored with an apostrophe in front so that "
            "no spreadsheet runs it as a formula; the import removes the apostrophe again."
        ),
    ]


# --------------------------------------------------------------------------- needs


def sheet_value(column: Column, values: dict[str, Any]) -> Any:
    """A cell of a template's or an export's row: a name column gets the name, in the active
    language, of the code beside it."""
    if column.kind == "name":
        return code_name(column.codes, values.get(column.name.removesuffix("_name")))
    return values.get(column.name)


def need_row(line: dict[str, Any]) -> list[Any]:
    """A need line in the template's columns (names beside the codes)."""
    return [sheet_value(c, line) for c in NEEDS_SHEET_COLUMNS]


def needs_template(participant: Participant) -> bytes:
    """A needs workbook for one participant, prefilled with the response's current lines."""
    round_ = participant.round
    years = round_.years
    lines = stored_lines(participant)
    lines.sort(key=lambda n: (n["role"], n["level"], n["area"], n["year"]))
    template = _Template()
    template.years = years
    paragraphs = [
        _(
            "This workbook is for %(organisation)s's answers to the survey round “%(round)s”, "
            "which asks about the years %(first)d–%(last)d (deadline %(deadline)s)."
        )
        % {
            "organisation": participant.organisation.name,
            "round": round_.name,
            "first": round_.first_year,
            "last": round_.last_year,
            "deadline": formats.date_format(round_.deadline, "DATE_FORMAT"),
        },
        _(
            "Fill in the sheet “%(sheet)s”: one row per role × education level × competence "
            "area × year. The rows already there are your current answers."
        )
        % {"sheet": NEEDS_SHEET},
        _(
            "The upload replaces all your need lines with the rows in the file: a row you "
            "delete is removed. Your answers to the general questions stay as they are, and "
            "you submit your answers on the web page after the import."
        ),
        *_common_paragraphs(NEEDS_SHEET),
    ]
    facilities = [
        (f.code, f.name) for f in group_facilities(participant.organisation).order_by("code")
    ]
    template.codes(["role", "level", "area"], extra=[("facility", facilities)])
    template.instructions(
        _("Competence needs: how to fill in this template"),
        paragraphs,
        NEEDS_SHEET_COLUMNS,
        NEEDS_SHEET,
    )
    template.data(NEEDS_SHEET, NEEDS_SHEET_COLUMNS, [need_row(n) for n in lines], years=years)
    return template.close()


# --------------------------------------------------------------------------- offers


def areas_text(pairs: Sequence[tuple[str, float]]) -> str:
    """``area:weight; area:weight`` with enough digits to import as the same weights.

    >>> areas_text([("cell_design", 0.4), ("electrochemistry", 0.6)])
    'electrochemistry:0.6; cell_design:0.4'
    """
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0]))
    return "; ".join(f"{area}:{weight:.12g}" for area, weight in ordered)


def area_names_text(pairs: Sequence[tuple[str, float]]) -> str:
    """The areas of :func:`areas_text` by name in the active language, with their weights as
    percentages, for reading: "Elektrokjemi 60 %; Celledesign 40 %"."""
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0]))
    return "; ".join(f"{code_name('area', area)} {_percent(weight)} %" for area, weight in ordered)


def _percent(share: float) -> str:
    value = round(100 * share, 1)
    return str(int(value)) if value.is_integer() else formats.number_format(value)


def offer_row(offer: Offer) -> list[Any]:
    values = {c.name: getattr(offer, c.name, None) for c in OFFERS_COLUMNS if c.name != "areas"}
    pairs = [(a.area, a.weight) for a in offer.areas.all()]
    values["areas"] = areas_text(pairs)
    values["areas_name"] = area_names_text(pairs)
    return [sheet_value(c, values) for c in OFFERS_SHEET_COLUMNS]


def offers_of(institution: Organisation) -> list[Offer]:
    return list(
        Offer.objects.filter(institution=institution).prefetch_related("areas").order_by("code")
    )


def offers_template(institution: Organisation) -> bytes:
    """An offers workbook for one institution, prefilled with its current offers."""
    template = _Template()
    paragraphs = [
        _(
            "This workbook is for the education offers of %(institution)s: programmes, courses "
            "and modules (including bransjeprogram and EVU)."
        )
        % {"institution": institution.name},
        _(
            "Fill in the sheet “%(sheet)s”: one row per offer. The rows already there are your "
            "current offers."
        )
        % {"sheet": OFFERS_SHEET},
        _(
            "A row with the code of one of your offers updates that offer; a row with a new "
            "code registers a new offer. Offers that are not in the file stay as they are "
            "(delete them on the web page)."
        ),
        _(
            "Give the competence areas in the column areas as area:weight; area:weight, with "
            "the weights adding up to 1 (or to 100)."
        ),
        *_common_paragraphs(OFFERS_SHEET),
    ]
    template.codes(
        ["offer_kind", "level_or_evu", "level", "region", "offer_mode", "offer_status", "area"]
    )
    template.instructions(
        _("Education offers: how to fill in this template"),
        paragraphs,
        OFFERS_SHEET_COLUMNS,
        OFFERS_SHEET,
    )
    template.data(
        OFFERS_SHEET, OFFERS_SHEET_COLUMNS, [offer_row(o) for o in offers_of(institution)]
    )
    return template.close()
