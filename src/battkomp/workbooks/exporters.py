"""Exports of what a user may see, as XLSX or CSV.

Numbers are written as numbers; every text cell that a spreadsheet could run as a formula (it
starts with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, in both formats.
CSV is UTF-8 with a byte-order mark, so Excel opens it with the right characters. The needs and
offers exports have the template's columns, so an export can be edited and uploaded again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.timezone import localtime

from battkomp.core.terms import column_code, column_name
from battkomp.offers.models import Offer
from battkomp.survey.models import Participant, ParticipantStatus, Round
from battkomp.workbooks.columns import (
    NEEDS_COLUMNS,
    NEEDS_SHEET_COLUMNS,
    OFFERS_COLUMNS,
    OFFERS_SHEET_COLUMNS,
    column_names,
    display_header,
    escape_text,
)
from battkomp.workbooks.importers import stored_lines
from battkomp.workbooks.workbook import need_row, new_workbook, offer_row, write_cell

FORMATS = ("xlsx", "csv")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHARE_COLUMNS = {c.name for c in (*NEEDS_COLUMNS, *OFFERS_COLUMNS) if c.kind == "share"}


def csv_cell(value: Any) -> str:
    """A value as CSV text: numbers in full precision with a decimal point, text escaped.

    >>> csv_cell(12), csv_cell(0.625), csv_cell(None), csv_cell("=HYPERLINK()"), csv_cell("@x")
    ('12', '0.625', '', "'=HYPERLINK()", "'@x")
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return repr(value)
    return escape_text(str(value))


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], sheet_name: str) -> bytes:
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    sheet = book.add_worksheet(sheet_name)
    for j, name in enumerate(header):
        sheet.write_string(0, j, escape_text(name), bold)
        share = name in _SHARE_COLUMNS or column_code(name) in _SHARE_COLUMNS
        sheet.set_column(j, j, max(12, len(name) + 3), percent if share else None)
    count = 0
    for i, row in enumerate(rows, start=1):
        count = i
        for j, value in enumerate(row):
            if isinstance(value, bool):  # a yes/no column (e.g. suppressed) as Excel's TRUE/FALSE
                sheet.write_boolean(i, j, value)
            else:
                write_cell(sheet, i, j, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, count, max(len(header) - 1, 0))
    book.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------- tables for reading

#: Columns whose numbers are shares or probabilities (0–1): three decimals, shown as percentages.
_SHARE_ENDINGS = ("share", "probability", "coverage", "_rate")
#: Whole-number columns written without a thousands separator.
_PLAIN_INTS = ("year", "version", "rank", "commandment", "years")


def _is_share(column: str) -> bool:
    return column.endswith(_SHARE_ENDINGS)


def _readable(column: str, value: Any) -> Any:
    """A cell as a person reads it: floats rounded (three decimals for a share, one otherwise),
    lists of level codes or channel ids as their names, joined by "; "."""
    from battkomp.core.codes import label

    if isinstance(value, float) and not isinstance(value, bool):
        return round(value, 3 if _is_share(column) else 1)
    if column in ("levels", "channels"):
        items = value if isinstance(value, list | tuple) else re.split(r"[;,]\s*", str(value or ""))
        kind = "level_or_evu" if column == "levels" else "channel"
        return "; ".join(label(kind, str(i)) for i in items if i)
    return value


def name_plan(header: Sequence[str]) -> list[tuple[int, str | None]]:
    """How to name a table's code columns: per column of the named table, the index of its
    column in ``header`` and None (the column itself) or the kind of :func:`battkomp.core.codes.
    label` that names it (a ``<column>_name`` column beside each column of codes, see
    ``terms.CODE_KIND``, that has no name column yet)."""
    from battkomp.core.terms import CODE_KIND

    plan: list[tuple[int, str | None]] = []
    for j, column in enumerate(header):
        plan.append((j, None))
        if column in CODE_KIND and f"{column}_name" not in header:
            plan.append((j, CODE_KIND[column]))
    return plan


def readable_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> tuple[list[str], list[list[Any]]]:
    """A table for reading: beside each column of codes (``level``, ``metric``...; see
    ``terms.CODE_KIND``) without its name column, a ``<column>_name`` column with the names
    in the active language; numbers rounded; lists of codes named. The column codes stay: the
    writers turn them into headers (:func:`battkomp.core.terms.column_name`)."""
    from battkomp.core.codes import label

    plan = name_plan(header)
    out_header = [header[j] if kind is None else f"{header[j]}_name" for j, kind in plan]
    out_rows = [
        [
            _readable(header[j], row[j])
            if kind is None
            else (label(kind, str(row[j])) if row[j] not in (None, "") else "")
            for j, kind in plan
        ]
        for row in rows
    ]
    return out_header, out_rows


def _csv_for_reading(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from django.utils.translation import gettext

    from battkomp.core.terms import column_name

    yes, no = gettext("yes"), gettext("no")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_text(column_name(h)) for h in header])
    for row in rows:
        writer.writerow([(yes if v else no) if isinstance(v, bool) else csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _xlsx_for_reading(header: Sequence[str], rows: list[list[Any]], sheet_name: str) -> bytes:
    from battkomp.core.terms import column_name

    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    number_formats = {
        "plain": book.add_format({"num_format": "0"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "float": book.add_format({"num_format": "#,##0.0"}),
        "share": book.add_format({"num_format": "0.0%"}),
    }
    sheet = book.add_worksheet(sheet_name[:31])
    for j, code in enumerate(header):
        name = column_name(code)
        values = [r[j] for r in rows if r[j] is not None and r[j] != ""]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        kind = None
        if numbers and len(numbers) == len(values):
            if _is_share(code):
                kind = "share"
            elif all(isinstance(v, int) for v in numbers):
                kind = "plain" if code in _PLAIN_INTS else "int"
            else:
                kind = "float"
        sheet.write_string(0, j, escape_text(name), bold)
        width = max([len(name) + 2, *(len(str(v)) + 2 for v in values[:200])])
        sheet.set_column(j, j, min(max(10, width), 60), number_formats.get(kind or ""))
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(i, j, value)
            else:
                write_cell(sheet, i, j, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), max(len(header) - 1, 0))
    book.close()
    return buffer.getvalue()


def table_file(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> bytes:
    """A table download for people (the dashboards' views, a publication's tables): headers in
    the active language, a name column beside each code column, figures rounded, in XLSX with
    number formats and real booleans. (The needs and offers exports keep the template's
    columns instead, so that they can be uploaded again.)"""
    header, table = readable_table(header, rows)
    if fmt == "csv":
        return _csv_for_reading(header, table)
    return _xlsx_for_reading(header, table, sheet)


def render(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> bytes:
    if fmt == "csv":
        return to_csv(header, rows)
    return to_xlsx(header, rows, sheet)


# --------------------------------------------------------------------------- tables


def needs_table(participant: Participant) -> tuple[list[str], list[list[Any]]]:
    """A participant's current need lines, in the template's columns."""
    lines = stored_lines(participant)
    lines.sort(key=lambda n: (n["role"], n["level"], n["area"], n["year"]))
    return display_header(NEEDS_SHEET_COLUMNS), [need_row(n) for n in lines]


def offers_table(offers: Iterable[Offer], *, with_institution: bool) -> tuple[list[str], list]:
    """Offers in the template's columns (led by the institution's name for a list of many)."""
    header = display_header(OFFERS_SHEET_COLUMNS)
    rows = []
    for offer in offers:
        row = offer_row(offer)
        rows.append([offer.institution.name, *row] if with_institution else row)
    return ([column_name("institution"), *header] if with_institution else header), rows


#: The round export's columns before a need line's: the participant's status as code and name.
ROUND_COLUMNS = ["organisation", "org_number", "status", "status_name", "submitted_at", "revision"]


def submitted_participants(round_: Round) -> list[Participant]:
    return list(
        round_.participants.filter(status=ParticipantStatus.SUBMITTED)
        .select_related("organisation", "response")
        .order_by("organisation__name", "id")
    )


def round_table(participants: Iterable[Participant]) -> tuple[list[str], list[list[Any]]]:
    """The submitted answers of a round: each organisation's last submission, line by line, in
    the template's columns (a name beside each code) after the organisation's; headed by column
    codes, which :func:`table_file` turns into headings in the reader's language."""
    rows: list[list[Any]] = []
    for participant in participants:
        response = getattr(participant, "response", None)
        revision = response.submitted_revision() if response is not None else None
        if revision is None:
            continue
        lines = sorted(
            revision.snapshot.get("lines", []),
            key=lambda n: (n["role"], n["level"], n["area"], n["year"]),
        )
        lead = [
            participant.organisation.name,
            participant.organisation.org_number,
            participant.status,
            participant.get_status_display(),
            # in Oslo, as every date the platform shows (with its offset, so it stays exact)
            localtime(participant.submitted_at).isoformat(timespec="seconds")
            if participant.submitted_at
            else "",
            revision.number,
        ]
        rows.extend([*lead, *need_row(line)] for line in lines)
    return [*ROUND_COLUMNS, *column_names(NEEDS_SHEET_COLUMNS)], rows
