"""Reading an uploaded file into a table of cells, safely.

The content decides what a file is, not its name: a ZIP archive holding an Excel workbook is read
as XLSX, anything else must be UTF-8 text and is read as CSV (``,`` or ``;``). Before anything is
parsed the upload is checked against the size limit, an XLSX archive against zip bombs (member
count, unpacked size, compression ratio) and its XML parts against XML bombs (any DOCTYPE or
ENTITY declaration is refused; openpyxl itself parses with defusedxml). Every refusal is an
:class:`ImportRefused` carrying :class:`Problem` s with a clear, translated message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from battkomp.engine.bundle import uncached_formulas
from battkomp.workbooks.columns import (
    CODES_SHEET,
    INSTRUCTIONS_SHEET,
    Column,
    code_for_name,
    code_name,
    header_aliases,
    known_code,
)

#: More rows than any real answer or offer list has; keeps a single upload's work bounded.
MAX_ROWS = 20_000
#: Columns read per row: the template's columns and room for a few unknown ones to report.
MAX_COLUMNS = 64
#: Excel's own row limit: a sheet claiming rows beyond it is not a real workbook.
EXCEL_MAX_ROWS = 1_048_576
#: An XLSX archive with more members than this is not a spreadsheet from a normal tool.
MAX_MEMBERS = 2_000
#: A member that unpacks to more than this is checked against :data:`MAX_RATIO`.
RATIO_FLOOR = 1024 * 1024
#: Spreadsheet XML packs 5–30 times; far more means a zip bomb.
MAX_RATIO = 200
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_XML_DECLARATIONS = (b"<!doctype", b"<!entity")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload, and where: sheet (blank for CSV), row, column."""

    problem: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    letter: str = ""

    def __str__(self) -> str:
        values = {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "problem": self.problem,
        }
        if self.sheet and self.row is not None and self.column:
            return _("Sheet %(sheet)s, row %(row)s, column %(column)s: %(problem)s") % values
        if self.sheet and self.row is not None:
            return _("Sheet %(sheet)s, row %(row)s: %(problem)s") % values
        if self.sheet and self.column:
            return _("Sheet %(sheet)s, column %(column)s: %(problem)s") % values
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(problem)s") % values
        if self.row is not None:
            return _("Row %(row)s: %(problem)s") % values
        if self.column:
            return _("Column %(column)s: %(problem)s") % values
        if self.sheet:
            return _("Sheet %(sheet)s: %(problem)s") % values
        return self.problem


class ImportRefused(Exception):  # noqa: N818  (a refusal, reported to the user, not a bug)
    """The upload cannot be imported; ``problems`` says why and where. Nothing was stored."""

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass
class Row:
    """A data row: its number in the sheet (as the spreadsheet shows it) and its cells."""

    number: int
    values: dict[str, Any]


@dataclass
class Table:
    """The data of one sheet (or CSV file): known columns with their letters, non-blank rows."""

    format: str  # "xlsx" or "csv"
    sheet: str  # the sheet's name; blank for CSV
    letters: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    header_row: int = 0

    def problem(self, message: str, row: int | None = None, column: str = "") -> Problem:
        return Problem(message, self.sheet, row, column, self.letters.get(column, ""))


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def max_upload_bytes() -> int:
    return int(settings.BATTKOMP_MAX_UPLOAD_BYTES)


def max_unpacked_bytes() -> int:
    """The most an XLSX upload may unpack to: generous for real workbooks, far below a bomb."""
    return max(50 * 1024 * 1024, 20 * max_upload_bytes())


# --------------------------------------------------------------------------- the entry point


def read_table(upload: UploadedFile, *, sheet: str, columns: Sequence[Column]) -> Table:
    """The data rows of ``sheet`` (XLSX) or of the whole file (CSV), by column name.

    Raises :class:`ImportRefused` when the file is too large, empty, not really XLSX or CSV, a
    zip or XML bomb, or when its header row lacks a column, repeats one or has unknown ones.
    """
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise too_large()
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large()
    return read_bytes(data, upload.name or "", sheet=sheet, columns=columns)


def too_large() -> ImportRefused:
    return ImportRefused(
        [
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(max_upload_bytes())}
        ]
    )


def read_bytes(data: bytes, name: str, *, sheet: str, columns: Sequence[Column]) -> Table:
    """:func:`read_table` for bytes already read (``name`` is the file's name as uploaded)."""
    if not data.strip():
        raise ImportRefused([_("The file is empty.")])
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(_OLE_MAGIC):
        raise ImportRefused(
            [
                _(
                    "This is an old Excel file (.xls) or a password-protected workbook. Save it "
                    "as an Excel workbook (.xlsx) or as CSV UTF-8 and upload that."
                )
            ]
        )
    if data.startswith(_ZIP_MAGIC):
        if suffix == "csv":
            raise ImportRefused(
                [
                    _(
                        "The file is called .csv but is not a text file: it is a ZIP archive "
                        "(such as an Excel workbook). Upload it as .xlsx, or save it as CSV UTF-8."
                    )
                ]
            )
        return _read_xlsx(data, sheet, columns)
    if suffix in {"xlsx", "xlsm", "xltx"}:
        raise ImportRefused(
            [
                _(
                    "The file is called .%(suffix)s but is not an Excel workbook. Upload the "
                    "workbook as Excel saves it, or a CSV UTF-8 file."
                )
                % {"suffix": suffix}
            ]
        )
    return _read_csv(data, columns)


# --------------------------------------------------------------------------- XLSX


def _damaged() -> ImportRefused:
    return ImportRefused(
        [
            _(
                "The workbook could not be read: it is damaged or not a real Excel workbook. "
                "Open it in a spreadsheet program, save it as .xlsx and try again."
            )
        ]
    )


def _zip_bomb() -> ImportRefused:
    return ImportRefused(
        [
            _(
                "The file unpacks to far more data than a workbook of its size can hold (a "
                "“zip bomb”), so it was refused."
            )
        ]
    )


def _xml_bomb() -> ImportRefused:
    return ImportRefused(
        [
            _(
                "The workbook contains XML declarations (DOCTYPE or ENTITY) that spreadsheets "
                "never need and that can be used to overload a server (an “XML bomb”), so it "
                "was refused."
            )
        ]
    )


_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,  # unsupported compression
    RuntimeError,  # encrypted member
    OSError,
    EOFError,
    ValueError,
    KeyError,
    zlib.error,
)


def check_archive(data: bytes) -> None:
    """Refuse a ZIP that is a bomb, is not an Excel workbook, or whose XML declares a DOCTYPE
    or entities, before any XML parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ARCHIVE_ERRORS:
        raise _damaged() from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _zip_bomb()
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise _zip_bomb()
        if total > max_unpacked_bytes():
            raise _zip_bomb()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise ImportRefused(
                [
                    _(
                        "The file is a ZIP archive but not an Excel workbook (.xlsx). Save the "
                        "sheet as an Excel workbook or as CSV UTF-8."
                    )
                ]
            )
        for info in infos:
            if info.flag_bits & 0x1:
                raise _damaged()  # encrypted
            if info.filename.lower().endswith(_XML_SUFFIXES):
                try:
                    _scan_xml(archive, info)
                except ImportRefused:
                    raise
                except _ARCHIVE_ERRORS:
                    raise _damaged() from None


def _scan_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse DOCTYPE and ENTITY declarations, and XML in encodings a byte scan cannot read.

    zipfile never unpacks more than a member's declared size (checked above), so this reads a
    bounded amount."""
    tail = b""
    first = True
    with archive.open(info) as member:
        while True:
            chunk = member.read(1024 * 1024)
            if not chunk:
                break
            if first:
                start = chunk.lstrip(b" \t\r\n")
                if start.startswith(_UTF8_BOM):
                    start = start[len(_UTF8_BOM) :]
                # UTF-16/32 parts would hide declarations from the scan; Excel writes UTF-8.
                if start and (not start.startswith(b"<") or b"\x00" in start[:64]):
                    raise _damaged()
                first = False
            window = (tail + chunk).lower()
            if any(mark in window for mark in _XML_DECLARATIONS):
                raise _xml_bomb()
            tail = window[-16:]


def _read_xlsx(data: bytes, sheet: str, columns: Sequence[Column]) -> Table:
    check_archive(data)
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
        msg = "openpyxl must parse with defusedxml: install defusedxml"
        raise RuntimeError(msg)
    with warnings.catch_warnings():
        # openpyxl warns about parts it skips (extensions, styles); they do not matter here.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except Exception:  # openpyxl raises many kinds of errors for broken workbooks
            raise _damaged() from None
        try:
            worksheet = _choose_sheet(workbook.worksheets, sheet)
            # A generator: padding rows openpyxl makes up for gaps are dropped one by one.
            table = _table(_xlsx_records(worksheet), "xlsx", str(worksheet.title), columns)
            _refuse_uncached_formulas(data, table)
            return table
        except ImportRefused:
            raise
        except Exception:
            raise _damaged() from None
        finally:
            workbook.close()


def _refuse_uncached_formulas(data: bytes, table: Table) -> None:
    """Refuse a sheet whose data cells hold a formula without a saved value: openpyxl reads such
    a cell as blank (the workbook was written by a program that does not calculate), and a blank
    stored for a formula would be silently wrong. The same rule as the bundle reader's
    (:func:`battkomp.engine.bundle.uncached_formulas`)."""
    cells = uncached_formulas(io.BytesIO(data)).get(table.sheet, set())
    names = {letter: name for name, letter in table.letters.items()}
    problems = [
        Problem(
            _(
                "The cell holds a formula without a saved value (the file was saved by a program "
                "that does not calculate formulas): open and save it in Excel or LibreOffice, or "
                "type the value."
            ),
            table.sheet,
            row,
            names[xl_col_to_name(index)],
            xl_col_to_name(index),
        )
        for row, index in sorted(cells)
        if row > table.header_row and xl_col_to_name(index) in names
    ]
    if problems:
        raise ImportRefused(problems)


def _choose_sheet(worksheets: Sequence[Any], wanted: str) -> Any:
    by_name = {str(ws.title).strip().lower(): ws for ws in worksheets}
    if wanted in by_name:
        return by_name[wanted]
    others = [
        ws
        for ws in worksheets
        if str(ws.title).strip().lower() not in {INSTRUCTIONS_SHEET, CODES_SHEET}
    ]
    if len(others) == 1:
        return others[0]
    raise ImportRefused(
        [
            _("The workbook has no sheet called “%(sheet)s”. Use the template's sheet.")
            % {"sheet": wanted}
        ]
    )


def _xlsx_records(worksheet: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    rows = worksheet.iter_rows(max_col=MAX_COLUMNS, max_row=EXCEL_MAX_ROWS, values_only=True)
    for number, values in enumerate(rows, start=1):
        if values.count(None) == len(values):
            continue  # fast path for the (many) empty rows
        yield number, [_cell(v) for v in values]


def _cell(value: Any) -> Any:
    """A cell as the importers take it: None, str, int, float or bool (dates become text)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, columns: Sequence[Column]) -> Table:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(
            [
                _(
                    "The file is neither an Excel workbook nor a UTF-8 text (CSV) file. Save it "
                    "as an Excel workbook (.xlsx) or as “CSV UTF-8”."
                )
            ]
        ) from None
    if _BINARY.search(text):
        raise ImportRefused(
            [
                _(
                    "The file contains binary data, so it is not a CSV file. Upload an Excel "
                    "workbook (.xlsx) or a file saved as “CSV UTF-8”."
                )
            ]
        )
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[Any]]] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if len(record) > MAX_COLUMNS * 4:
                raise ImportRefused([Problem(_("The row has far too many columns."), row=number)])
            records.append((number, record))
    except csv.Error:
        raise ImportRefused(
            [Problem(_("This is not valid CSV (check the quotes)."), row=number + 1)]
        ) from None
    return _table(records, "csv", "", columns)


# --------------------------------------------------------------------------- header and rows


def _table(
    records: Iterable[tuple[int, Sequence[Any]]],
    fmt: str,
    sheet: str,
    columns: Sequence[Column],
) -> Table:
    table = Table(fmt, sheet)
    aliases = header_aliases(columns)
    header: dict[int, str] | None = None
    headless: set[int] = set()
    problems: list[Problem] = []
    for number, values in records:
        if header is None:
            if _blank_row(values):
                continue
            header = {}
            table.header_row = number
            seen: dict[str, int] = {}
            for index, raw in enumerate(values):
                if is_blank(raw):
                    headless.add(index)
                    continue
                name = aliases.get(str(raw).strip().lower(), str(raw).strip().lower())
                letter = xl_col_to_name(index)
                if name == "":  # the names beside a code column: for people, not imported
                    continue
                if name in seen:
                    problems.append(
                        Problem(
                            _("The column appears twice (also in column %(letter)s).")
                            % {"letter": xl_col_to_name(seen[name])},
                            sheet,
                            number,
                            name,
                            letter,
                        )
                    )
                    continue
                seen[name] = index
                if name not in aliases.values():
                    problems.append(
                        Problem(
                            _("“%(name)s” is not a column of this template.")
                            % {"name": short(raw)},
                            sheet,
                            number,
                            short(raw),
                            letter,
                        )
                    )
                    continue
                header[index] = name
                table.letters[name] = letter
            for column in columns:
                if column.name not in table.letters and not column.may_be_missing:
                    problems.append(
                        Problem(
                            _("The column is missing; every column of the template must be there."),
                            sheet,
                            number,
                            column.name,
                        )
                    )
            if problems:
                raise ImportRefused(problems)
            continue
        if _blank_row(values):
            continue
        for index in sorted(headless):
            if index < len(values) and not is_blank(values[index]):
                problems.append(
                    Problem(
                        _("There is a value in a column without a heading."),
                        sheet,
                        number,
                        xl_col_to_name(index),
                        xl_col_to_name(index),
                    )
                )
                headless.discard(index)
        if len(table.rows) >= MAX_ROWS:
            raise ImportRefused(
                [
                    Problem(
                        _("The file has more than %(max)d rows; split it into smaller files.")
                        % {"max": MAX_ROWS},
                        sheet,
                    )
                ]
            )
        cells = {
            name: (values[index] if index < len(values) else None) for index, name in header.items()
        }
        table.rows.append(Row(number, cells))
    if header is None:
        raise ImportRefused(
            [Problem(_("The sheet is empty: there is no header row with the columns."), sheet)]
        )
    problems += resolve_names(table, columns)
    if problems:
        raise ImportRefused(problems)
    if not table.rows:
        raise ImportRefused(
            [Problem(_("There are no rows to import below the header row."), sheet)]
        )
    return table


def resolve_names(table: Table, columns: Sequence[Column]) -> list[Problem]:
    """Read the name columns beside the code columns (``role_name`` beside ``role``) into the
    codes, and take them out of the rows: a name alone gives its code (in bokmål or English), a
    name beside a code must be that code's name; a blank name changes nothing. The problems
    found, by row and name column."""
    problems: list[Problem] = []
    pairs = [
        (c, c.name.removesuffix("_name"))
        for c in columns
        if c.kind == "name" and c.name in table.letters
    ]
    for row in table.rows:
        for column, code_column in pairs:
            name = row.values.pop(column.name, None)
            if is_blank(name):
                continue
            found = code_for_name(column.codes, name)
            if found is None:
                problems.append(
                    table.problem(
                        _(
                            "“%(value)s” is not a name in the list (see the sheet “%(sheet)s”): "
                            "choose one from the list, or give the code."
                        )
                        % {"value": short(name), "sheet": CODES_SHEET},
                        row.number,
                        column.name,
                    )
                )
                continue
            code = row.values.get(code_column)
            if is_blank(code):
                row.values[code_column] = found
                continue
            given = known_code(column.codes, code)
            if given is not None and given != found:
                problems.append(
                    table.problem(
                        _(
                            "The name “%(name)s” is not the name of the code “%(code)s” (which "
                            "is “%(right)s”): correct one of them, or clear one of them."
                        )
                        % {
                            "name": short(name),
                            "code": short(code),
                            "right": code_name(column.codes, given),
                        },
                        row.number,
                        column.name,
                    )
                )
    return problems


def _blank_row(values: Sequence[Any]) -> bool:
    return all(is_blank(v) for v in values)


def short(value: Any, length: int = 40) -> str:
    text = str(value).strip()
    return text if len(text) <= length else text[: length - 1] + "…"
