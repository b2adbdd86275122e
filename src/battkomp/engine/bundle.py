"""Read, override and validate the model's input: the shipped defaults plus an input bundle.

A bundle is a folder of CSV files named ``<table>.csv`` or one ``.xlsx`` workbook with a sheet per
table (``docs/bundle.md``). Loading never stops at the first problem: every problem found is
collected and raised together as a :class:`~battkomp.engine.problems.BundleError`, each naming the
file, sheet, row and column.

>>> inputs = load_inputs(demo_bundle_path(), scenario="mid")
>>> inputs.parameter("base_year") <= inputs.parameter("end_year")
True
>>> len(inputs.input_hash)
64
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO

import polars as pl
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from battkomp.engine.classifications import normalise_region, pad_numeric, valid_codes
from battkomp.engine.numbers import without_group_spaces
from battkomp.engine.problems import BundleError, Location, Problem, did_you_mean, phrase
from battkomp.engine.status import RISK_COLUMNS, resolve

__all__ = [
    "BundleError",
    "Inputs",
    "Location",
    "Problem",
    "build_inputs",
    "check_bundle",
    "demo_bundle_path",
    "load_inputs",
    "read_raw",
    "scenario_names",
]
from battkomp.engine.schema import (
    BUNDLE_TABLES,
    COUNTED_MEASURE_STATUSES,
    DEFAULT_TABLES,
    HORIZON_ORDER,
    KNOWN_PARAMETERS,
    MAX_YEAR,
    MIN_YEAR,
    PARAMETER_RANGES,
    TABLES,
    Column,
    Table,
    bounded_columns,
)

Cell = str | int | float | bool | None

DATA_DIR = Path(__file__).parent / "data"
DEMO_DIR = Path(__file__).parent / "demo"

#: Largest input file accepted (bytes); larger files are refused before they are parsed. Set from
#: what ``battkomp model check`` reads and validates in well under a minute (docs/performance.md).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Problems listed per table at most; past this a table's remaining rows are not checked.
MAX_PROBLEMS_PER_TABLE = 200
#: Largest total uncompressed size of an .xlsx archive, and the largest compression ratio.
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XLSX_RATIO = 200

#: Columns users may add for their own notes; they are ignored.
NOTE_COLUMNS = frozenset({"comment", "comments", "note", "notes", "kommentar", "merknad"})
#: Sheets of a workbook that are not tables (instructions of the template, code lists).
IGNORED_SHEET_PREFIXES = ("_", "instructions", "veiledning", "readme", "codes", "koder")

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_TRUE = {"true", "yes", "ja", "1", "y", "j", "sann"}
_FALSE = {"false", "no", "nei", "0", "n", "usann"}


def demo_bundle_path() -> Path:
    """The demo bundle shipped with the package."""
    return DEMO_DIR


# ------------------------------------------------------------------------------------------ raw


@dataclass
class RawRow:
    """A row as read, before typing; ``cell_origin`` points overridden cells at their override."""

    values: dict[str, Cell]
    location: Location
    letters: Mapping[str, str] = field(default_factory=dict)
    cell_origin: dict[str, Location] = field(default_factory=dict)

    def where(self, column: str) -> Location:
        if column in self.cell_origin:
            return self.cell_origin[column]
        letter = self.letters.get(column)
        shown = f"{column} ({letter})" if letter else column
        loc = self.location
        return Location(loc.file, loc.sheet, loc.row, shown)


@dataclass
class RawTable:
    """A table as read from a file or sheet."""

    name: str
    header: list[str]
    rows: list[RawRow]
    location: Location

    def copy(self) -> RawTable:
        rows = [
            RawRow(dict(r.values), r.location, r.letters, dict(r.cell_origin)) for r in self.rows
        ]
        return RawTable(self.name, list(self.header), rows, self.location)


def _norm(value: Cell) -> str:
    """A cell as text for keys and hashing: integral floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_csv(path: Path, label: str, problems: list[Problem]) -> RawTable | None:
    loc = Location(label)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem("too_large", loc, {"limit": MAX_FILE_BYTES}))
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem("unreadable_file", loc, {"reason": exc.strerror or str(exc)}))
        return None
    return parse_csv_bytes(data, path.stem, label, problems)


def parse_csv_bytes(
    data: bytes, table: str, label: str, problems: list[Problem]
) -> RawTable | None:
    """Parse CSV bytes (UTF-8, ',' or ';' separated) into a raw table named ``table``."""
    loc = Location(label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem("not_utf8", loc, {"position": exc.start}))
        return None
    if "\x00" in text:
        problems.append(
            Problem(
                "unreadable_file",
                loc,
                {"reason": phrase("binary"), "reason_code": "binary"},
            )
        )
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        problems.append(Problem("unreadable_file", loc, {"reason": str(exc)}))
        return None
    first = 0
    while first < len(records) and not any(c.strip() for c in records[first]):
        first += 1
    if first == len(records):
        problems.append(Problem("empty_file", loc))
        return None
    header = [h.strip() for h in records[first]]
    width = len(header)
    rows = []
    for number, record in enumerate(records[first + 1 :], start=first + 2):
        if not any(c.strip() for c in record):
            continue
        if len(record) == width:
            values: dict[str, Cell] = dict(zip(header, record, strict=True))
        else:
            values = {name: record[i] if i < len(record) else None for i, name in enumerate(header)}
            if any(c.strip() for c in record[width:]):
                problems.append(
                    Problem(
                        "unknown_column",
                        Location(label, row=number),
                        {"column": f"#{width + 1}", "expected": ", ".join(header)},
                    )
                )
        rows.append(RawRow(values, Location(label, row=number)))
    return RawTable(table, header, rows, Location(label, row=1))


def _check_xlsx_archive(path: Path, label: str, problems: list[Problem]) -> bool:
    loc = Location(label)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem("too_large", loc, {"limit": MAX_FILE_BYTES}))
            return False
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            names = {i.filename for i in infos}
    except (OSError, zipfile.BadZipFile) as exc:
        params: dict[str, object] = {"reason": phrase("not_zip"), "reason_code": "not_zip"}
        if isinstance(exc, OSError):
            params = {"reason": exc.strerror or str(exc)}
        problems.append(Problem("unreadable_file", loc, params))
        return False
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        problems.append(
            Problem(
                "unreadable_file",
                loc,
                {"reason": phrase("too_much_data"), "reason_code": "too_much_data"},
            )
        )
        return False
    if "xl/workbook.xml" not in names:
        problems.append(
            Problem(
                "unreadable_file",
                loc,
                {"reason": phrase("no_workbook"), "reason_code": "no_workbook"},
            )
        )
        return False
    return True


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def uncached_formulas(source: Path | str | IO[bytes]) -> dict[str, set[tuple[int, int]]]:
    """The cells of an .xlsx workbook that hold a formula without a saved value, per sheet title:
    ``{sheet: {(row, column index from 0)}}``. Such a cell reads as blank (a workbook written by a
    program that does not calculate its formulas), so the readers refuse it rather than store a
    blank. Raises ``zipfile.BadZipFile``, ``KeyError`` or ``xml.etree.ElementTree.ParseError``
    (through defusedxml) on a broken workbook."""
    from defusedxml import ElementTree

    found: dict[str, set[tuple[int, int]]] = {}
    with zipfile.ZipFile(source) as zf:
        names = set(zf.namelist())
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels_name = "xl/_rels/workbook.xml.rels"
        targets: dict[str, str] = {}
        if rels_name in names:
            rels = ElementTree.fromstring(zf.read(rels_name))
            for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[rel.get("Id", "")] = target
        for sheet in workbook.iter(f"{_SHEET_NS}sheet"):
            part = targets.get(sheet.get(f"{_REL_NS}id", ""))
            if part is None or part not in names:
                continue
            data = zf.read(part)
            if not _FORMULA_TAG.search(data):
                continue
            cells: set[tuple[int, int]] = set()
            for _event, el in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
                if el.tag != f"{_SHEET_NS}c":
                    if el.tag == f"{_SHEET_NS}row":
                        el.clear()
                    continue
                value = el.find(f"{_SHEET_NS}v")
                # no <v>, or an empty one that is not an empty text result (t="str")
                uncached = value is None or (not value.text and el.get("t") != "str")
                if uncached and el.find(f"{_SHEET_NS}f") is not None:
                    m = _CELL_REF.match(el.get("r", ""))
                    if m:
                        row, column = xl_cell_to_rowcol(m.group(0))
                        cells.add((row + 1, column))
            if cells:
                found[sheet.get("name", "")] = cells
    return found


def _read_xlsx(path: Path, label: str, problems: list[Problem]) -> list[RawTable]:
    if not _check_xlsx_archive(path, label, problems):
        return []
    import defusedxml  # noqa: F401  (openpyxl parses with defusedxml when it is installed)
    import openpyxl

    try:
        formulas = uncached_formulas(path)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and the XML parser raise many kinds for broken workbooks
        problems.append(Problem("unreadable_file", Location(label), {"reason": str(exc)[:200]}))
        return []
    tables: list[RawTable] = []
    try:
        for ws in wb.worksheets:
            sheet = ws.title
            if sheet.strip().lower().startswith(IGNORED_SHEET_PREFIXES):
                continue
            try:
                table = _read_sheet(ws, label, formulas.get(sheet, set()), problems)
            except Exception as exc:  # read-only mode parses the sheet's XML only while iterating
                problems.append(
                    Problem(
                        "unreadable_file",
                        Location(label, sheet=sheet),
                        {"reason": str(exc)[:200] or type(exc).__name__},
                    )
                )
                continue
            if table is not None:
                tables.append(table)
    finally:
        wb.close()
    return tables


def _read_sheet(
    ws: object, label: str, formulas: set[tuple[int, int]], problems: list[Problem]
) -> RawTable | None:
    sheet = str(ws.title)  # type: ignore[attr-defined]
    rows_iter = ws.iter_rows(values_only=True)  # type: ignore[attr-defined]
    header: list[str] | None = None
    header_row = 0
    rows: list[RawRow] = []
    letters: dict[str, str] = {}
    for number, record in enumerate(rows_iter, start=1):
        cells = ["" if c is None else c for c in record]
        if header is None:
            if not any(_norm(c) for c in cells):
                continue
            header = [_norm(c) for c in cells]
            while header and header[-1] == "":
                header.pop()
            header_row = number
            letters = {h: str(xl_col_to_name(i)) for i, h in enumerate(header)}
            continue
        blank = not any(_norm(c) for c in cells)
        if blank and not any((number, i) in formulas for i in range(len(header))):
            continue
        values: dict[str, Cell] = {}
        for i, name in enumerate(header):
            v = record[i] if i < len(record) else None
            values[name] = _cell(v)
            if (number, i) in formulas and name:
                problems.append(
                    Problem(
                        "formula_without_value",
                        Location(label, sheet, number, f"{name} ({letters[name]})"),
                    )
                )
        rows.append(RawRow(values, Location(label, sheet=sheet, row=number), letters))
    if header is None:
        problems.append(Problem("empty_file", Location(label, sheet=sheet)))
        return None
    return RawTable(sheet.strip(), header, rows, Location(label, sheet=sheet, row=header_row))


def _cell(v: object) -> Cell:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


#: Notes a bundle folder may carry beside its tables (the template writes README.txt).
README_NAMES = frozenset({"readme", "lesmeg", "instructions", "veiledning"})


def _is_readme(f: Path) -> bool:
    return f.stem.lower() in README_NAMES and f.suffix.lower() in {"", ".txt", ".md"}


def read_raw(path: Path) -> dict[str, RawTable]:
    """Read a bundle folder or workbook into raw tables; raise BundleError on unreadable input."""
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    label_root = path.name or str(path)
    found: list[RawTable] = []
    if not path.exists():
        raise BundleError([Problem("no_such_path", Location(str(path)))])
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.name.startswith((".", "~$")) or _is_readme(f):
                continue  # hidden files, spreadsheet lock files, the template's README.txt
            if f.suffix.lower() == ".csv" and f.is_file():
                t = _read_csv(f, f"{label_root}/{f.name}", problems)
                if t is not None:
                    found.append(t)
            elif f.suffix.lower() == ".xlsx" and f.is_file():
                found.extend(_read_xlsx(f, f"{label_root}/{f.name}", problems))
            else:
                problems.append(
                    Problem(
                        "unknown_file",
                        Location(f"{label_root}/{f.name}"),
                        {"known": ", ".join(BUNDLE_TABLES + DEFAULT_TABLES)},
                    )
                )
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        found.extend(_read_xlsx(path, label_root, problems))
    elif path.suffix.lower() == ".csv":
        t = _read_csv(path, label_root, problems)
        if t is not None:
            found.append(t)
    else:
        problems.append(Problem("not_a_bundle", Location(label_root)))
    known = ", ".join(BUNDLE_TABLES + DEFAULT_TABLES)
    for t in found:
        if t.name not in TABLES:
            problems.append(Problem("unknown_table", t.location, {"table": t.name, "known": known}))
            continue
        if t.name in tables:
            # e.g. survey_needs.csv beside survey_needs.CSV, or beside a workbook's sheet of the
            # same name: neither silently wins
            other = tables[t.name].location.file
            problems.append(
                Problem("duplicate_table", t.location, {"table": t.name, "other": other})
            )
            continue
        tables[t.name] = t
    if problems:
        raise BundleError(problems)
    return tables


@lru_cache(maxsize=1)
def _default_raw() -> dict[str, RawTable]:
    problems: list[Problem] = []
    out: dict[str, RawTable] = {}
    for name in DEFAULT_TABLES:
        path = DATA_DIR / f"{name}.csv"
        t = _read_csv(path, f"battkomp/engine/data/{name}.csv", problems)
        if t is not None:
            out[name] = t
    if problems:
        raise BundleError(problems)
    return out


# -------------------------------------------------------------------------------------- overrides


def _key_of(table: Table, values: Mapping[str, Cell]) -> str:
    return "|".join(_norm(values.get(k)) for k in table.key)


def _apply_overrides(
    tables: dict[str, RawTable],
    overrides: Iterable[RawRow],
    problems: list[Problem],
    copied: set[str],
    index: dict[str, dict[str, RawRow]],
) -> None:
    """Apply override rows to ``tables``. A table is copied before its first change (the tables
    of ``copied`` are this build's own copies already), and looked up through ``index`` (key ->
    row, built once per table), so applying n overrides to a table of m rows costs n + m."""
    known = ", ".join(n for n in TABLES if n not in {"overrides", "scenario_overrides"})
    for o in overrides:
        tname = _norm(o.values.get("table"))
        spec = TABLES.get(tname)
        if spec is None or tname in {"overrides", "scenario_overrides", "scenarios"}:
            problems.append(
                Problem(
                    "override_unknown_table", o.where("table"), {"value": tname, "known": known}
                )
            )
            continue
        column = _norm(o.values.get("column"))
        if column not in {c.name for c in spec.columns} or column in spec.key:
            problems.append(
                Problem(
                    "override_unknown_column", o.where("column"), {"value": column, "table": tname}
                )
            )
            continue
        key = _norm(o.values.get("key"))
        target = tables.get(tname)
        if target is not None and not set(spec.key) <= set(target.header):
            continue  # the table lost a key column: that is its problem, not every override's
        if target is not None and tname not in copied:
            target = tables[tname] = target.copy()
            copied.add(tname)
            index.pop(tname, None)
        if target is not None and tname not in index:
            rows_by_key: dict[str, RawRow] = {}
            for row in target.rows:
                rows_by_key.setdefault(_key_of(spec, row.values), row)
            index[tname] = rows_by_key
        hit = index[tname].get(key) if target is not None else None
        if hit is None:
            problems.append(
                Problem(
                    "override_unknown_row",
                    o.where("key"),
                    {"value": key, "table": tname, "key_columns": "|".join(spec.key)},
                )
            )
            continue
        assert target is not None
        if column not in target.header:
            target.header.append(column)
        hit.values[column] = o.values.get("value")
        hit.cell_origin[column] = o.where("value")


# ------------------------------------------------------------------------------------- validation


def _parse_float(raw: Cell) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    text = without_group_spaces(str(raw).strip())
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


_CLASSIFICATION_NAMES = {"styrk08": "STYRK-08", "nus2000": "NUS2000"}


def _convert(col: Column, raw: Cell, row: RawRow, problems: list[Problem]) -> object:
    """Convert one cell; append a problem (located only then) and return None when not valid."""
    shown = raw.strip() if type(raw) is str else _norm(raw)
    if not shown:
        raw = shown = (col.default or "").strip()
        if not shown:
            if col.required:
                problems.append(Problem("blank_required", row.where(col.name)))
            return [] if col.kind == "refs" else None
    assert raw is not None
    if col.kind == "str":
        value: object = shown
    elif col.kind in {"code", "ref"}:
        if col.ref_table == "regions":
            shown = normalise_region(shown)
        if not _CODE_RE.match(shown):
            problems.append(Problem("not_a_code", row.where(col.name), {"value": shown[:80]}))
            return None
        value = shown
    elif col.kind == "refs":
        parts = [p.strip() for p in shown.split(";") if p.strip()]
        for p in parts:
            if not _CODE_RE.match(p):
                problems.append(Problem("not_a_code", row.where(col.name), {"value": p[:80]}))
                return None
        return parts
    elif col.kind == "bool":
        low = shown.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        problems.append(Problem("not_a_bool", row.where(col.name), {"value": shown[:80]}))
        return None
    elif col.kind in {"int", "year"}:
        f = _parse_float(raw)
        if f is None or not math.isfinite(f) or not f.is_integer():
            problems.append(Problem("not_an_integer", row.where(col.name), {"value": shown[:80]}))
            return None
        if col.kind == "year" and not MIN_YEAR <= f <= MAX_YEAR:
            problems.append(
                Problem(
                    "year_out_of_range",
                    row.where(col.name),
                    {"value": shown[:80], "minimum": MIN_YEAR, "maximum": MAX_YEAR},
                )
            )
            return None
        value = int(f)
    else:  # float
        f = _parse_float(raw)
        if f is None:
            problems.append(Problem("not_a_number", row.where(col.name), {"value": shown[:80]}))
            return None
        if not math.isfinite(f):
            problems.append(Problem("not_finite", row.where(col.name), {"value": shown[:80]}))
            return None
        value = f
    if col.classification is not None:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = pad_numeric(col.classification, str(value))
        if str(value) not in valid_codes(col.classification):
            problems.append(
                Problem(
                    "unknown_classification_code",
                    row.where(col.name),
                    {
                        "value": str(value)[:80],
                        "classification": _CLASSIFICATION_NAMES[col.classification],
                        "reason_code": f"{col.classification}_hint",
                    },
                )
            )
            return None
        if col.kind == "int":
            value = int(str(value))
    if col.choices and value not in col.choices:
        problems.append(
            Problem(
                "not_a_choice",
                row.where(col.name),
                {"value": shown[:80], "choices": ", ".join(col.choices)},
            )
        )
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = col.minimum, col.maximum
        if len(shown) > 20:  # a 309-digit integer reads better as 1e+308
            shown = f"{float(value):.6g}"
        if lo == 0.0 and hi == 1.0 and not 0.0 <= value <= 1.0:
            problems.append(Problem("probability_range", row.where(col.name), {"value": shown}))
            return None
        if lo == 0.0 and value < 0:
            problems.append(Problem("negative", row.where(col.name), {"value": shown}))
            return None
        if lo is not None and value < lo:
            problems.append(
                Problem("below_minimum", row.where(col.name), {"value": shown, "minimum": lo})
            )
            return None
        if hi is not None and value > hi:
            problems.append(
                Problem(
                    "above_maximum", row.where(col.name), {"value": shown, "maximum": f"{hi:g}"}
                )
            )
            return None
    return value


@dataclass
class _Typed:
    spec: Table
    rows: list[dict[str, object]]
    raw: list[RawRow]
    location: Location
    rejected_keys: set[str] = field(default_factory=set)
    #: a required column is missing: the rows were not read, references to the table not checked
    broken: bool = False


def _type_table(spec: Table, raw: RawTable, problems: list[Problem]) -> _Typed:
    names = {c.name for c in spec.columns}
    seen: set[str] = set()
    for h in raw.header:
        if h in seen and h:
            problems.append(Problem("duplicate_column", raw.location, {"column": h}))
        seen.add(h)
        if h not in names and h != "source" and h.lower() not in NOTE_COLUMNS and h:
            problems.append(
                Problem(
                    "unknown_column",
                    raw.location,
                    {"column": h[:80], "expected": ", ".join(spec.column_names)},
                )
            )
    header = set(raw.header)
    missing = [
        c.name for c in spec.columns if c.name not in header and c.required and not c.default
    ]
    if spec.origin == "default" and spec.with_source and "source" not in header:
        missing.append("source")
    for m in missing:
        problems.append(Problem("missing_column", raw.location, {"column": m}))
    if missing:
        filled = [h for h in raw.header if h]
        if len(filled) == 1 and len(spec.columns) > 1:
            problems.append(Problem("title_row", raw.location, {"value": filled[0][:80]}))
        # without a required column the rows cannot be typed: nothing is read from the table,
        # and what refers to it is not checked against it (the missing column is the problem)
        return _Typed(spec, [], [], raw.location, broken=True)
    typed_rows: list[dict[str, object]] = []
    keep_raw: list[RawRow] = []
    first_row_of: dict[tuple[object, ...], int | None] = {}
    rejected: set[str] = set()
    start = len(problems)
    for row in raw.rows:
        if len(problems) - start >= MAX_PROBLEMS_PER_TABLE:
            problems.append(
                Problem("too_many_problems", raw.location, {"limit": MAX_PROBLEMS_PER_TABLE})
            )
            return _Typed(spec, typed_rows, keep_raw, raw.location, rejected, broken=True)
        before = len(problems)
        out: dict[str, object] = {}
        values = row.values
        for col in spec.columns:
            out[col.name] = _convert(col, values.get(col.name), row, problems)
        if spec.with_source:
            src = _norm(values.get("source"))
            if spec.origin == "default" and not src:
                problems.append(Problem("blank_required", row.where("source")))
            out["source"] = src or None
        if len(problems) != before:
            # the row has its own problem; references to it must not add an "unknown code"
            if all(out.get(k) is not None for k in spec.key):
                rejected.add(_key_of(spec, out))  # type: ignore[arg-type]
            continue
        key = tuple(out[k] for k in spec.key)
        if key in first_row_of:
            problems.append(
                Problem(
                    "duplicate_key",
                    row.location,
                    {
                        "key": " | ".join(f"{k}={out.get(k)}" for k in spec.key)[:200],
                        "first_row": first_row_of[key],
                    },
                )
            )
            continue
        first_row_of[key] = row.location.row
        typed_rows.append(out)
        keep_raw.append(row)
    return _Typed(spec, typed_rows, keep_raw, raw.location, rejected)


def _close_codes(value: str, candidates: Iterable[str]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(value, sorted(candidates), n=3, cutoff=0.6))


def _check_refs(typed: dict[str, _Typed], problems: list[Problem]) -> None:
    keys = {
        name: {str(r.get(t.spec.key[0])) for r in t.rows} | t.rejected_keys
        for name, t in typed.items()
        if len(t.spec.key) == 1
    }
    for t in typed.values():
        for col in t.spec.columns:
            if col.kind not in {"ref", "refs"} or col.ref_table is None:
                continue
            target = typed.get(col.ref_table)
            if target is not None and target.broken:
                continue
            valid = keys.get(col.ref_table, set())
            if col.kind == "ref":
                seen = {row.get(col.name) for row in t.rows}
                seen.discard(None)
                if not {str(v) for v in seen} - valid:
                    continue  # every reference is known: no row needs a look
            hints: dict[str, tuple[str, ...]] = {}
            reported = 0
            for row, raw in zip(t.rows, t.raw, strict=True):
                v = row.get(col.name)
                values = v if isinstance(v, list) else [v]
                for item in values:
                    if item is None or str(item) in valid:
                        continue
                    reported += 1
                    if reported > MAX_PROBLEMS_PER_TABLE:
                        break
                    text = str(item)
                    if text not in hints:
                        hints[text] = _close_codes(text, valid)
                    close = hints[text]
                    problems.append(
                        Problem(
                            "unknown_code",
                            raw.where(col.name),
                            {
                                "table": col.ref_table,
                                "value": item,
                                "hint": did_you_mean(close),
                                "did_you_mean": close,
                            },
                        )
                    )


def _check_sums(t: _Typed, problems: list[Problem]) -> None:
    for rule in t.spec.sums:
        totals: dict[tuple[object, ...], float] = defaultdict(float)
        first: dict[tuple[object, ...], RawRow] = {}
        for row, raw in zip(t.rows, t.raw, strict=True):
            g = tuple(row[c] for c in rule.group_by)
            totals[g] += float(row[rule.value])  # type: ignore[arg-type]
            first.setdefault(g, raw)
        for g, total in totals.items():
            group = ", ".join(f"{c}={v}" for c, v in zip(rule.group_by, g, strict=True))
            params = {
                "value_column": rule.value,
                "group": group,
                "total": f"{total:.6g}",
                "target": f"{rule.target:g}",
            }
            where = first[g].where(rule.value)
            if rule.at_most:
                if total > rule.target + rule.tolerance:
                    problems.append(Problem("sum_above", where, params))
            elif abs(total - rule.target) > rule.tolerance:
                problems.append(Problem("sum_not_one", where, params))


def org_number_ok(number: str) -> bool:
    """Norwegian organisation number: 9 digits, mod-11 check digit with weights 3 2 7 6 5 4 3 2.

    >>> org_number_ok("923609016"), org_number_ok("923609017")
    (True, False)
    """
    digits = number.replace(" ", "")
    if len(digits) != 9 or not digits.isdigit():
        return False
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(int(d) * w for d, w in zip(digits[:8], weights, strict=True)) % 11
    check = 0 if rest == 0 else 11 - rest
    return check != 10 and check == int(digits[8])


def _extra_checks(typed: dict[str, _Typed], problems: list[Problem]) -> None:
    areas = typed.get("competence_areas")
    children: dict[str, list[str]] = defaultdict(list)
    parent_of: dict[str, str | None] = {}
    if areas:
        for r in areas.rows:
            parent_of[str(r["code"])] = r["parent"]  # type: ignore[assignment]
            if r["parent"]:
                children[str(r["parent"])].append(str(r["code"]))
    levels = typed.get("education_levels")
    true_levels = {str(r["code"]) for r in levels.rows if r["is_level"]} if levels else set()
    level_list = ", ".join(sorted(true_levels))
    params = typed.get("parameters")
    pvals = {str(r["name"]): r for r in params.rows} if params else {}
    status_table = typed.get("facility_status")
    status_defaults = status_table.rows if status_table else []

    for t in typed.values():
        for check in t.spec.extra_checks:
            pairs: Iterable[tuple[dict[str, object], RawRow]] = zip(t.rows, t.raw, strict=True)
            # the row checks of the large tables look only at the rows a set test flags
            if check == "leaf_area":
                flagged = {str(r.get("area")) for r in t.rows} & children.keys()
                pairs = [(r, w) for r, w in pairs if str(r.get("area")) in flagged]
            elif check == "true_level" and levels is not None:
                all_levels = {str(r["code"]) for r in levels.rows}
                odd = ({str(r.get("level")) for r in t.rows} & all_levels) - true_levels
                pairs = [(r, w) for r, w in pairs if str(r.get("level")) in odd]
            elif check == "in_horizon":
                base, end = pvals.get("base_year"), pvals.get("end_year")
                years = [int(r["year"]) for r in t.rows if r.get("year") is not None]  # type: ignore[call-overload]
                if not base or not end or not years:
                    continue
                if int(base["value"]) <= min(years) and max(years) <= int(end["value"]):  # type: ignore[call-overload]
                    continue
            for row, raw in pairs:
                if check == "leaf_area":
                    a = row.get("area")
                    if a and str(a) in children:
                        problems.append(
                            Problem(
                                "group_area",
                                raw.where("area"),
                                {"value": a, "children": ", ".join(children[str(a)])},
                            )
                        )
                elif check == "two_level_hierarchy":
                    p = row.get("parent")
                    if p and parent_of.get(str(p)):
                        problems.append(Problem("nested_group", raw.where("parent"), {"value": p}))
                elif check == "true_level":
                    lv = row.get("level")
                    if (
                        lv
                        and true_levels
                        and str(lv) not in true_levels
                        and str(lv) in ({str(r["code"]) for r in levels.rows} if levels else set())
                    ):
                        problems.append(
                            Problem(
                                "not_a_true_level",
                                raw.where("level"),
                                {"value": lv, "levels": level_list},
                            )
                        )
                elif check == "true_target_level":
                    lv, tl = row.get("level"), row.get("target_level")
                    if lv and str(lv) not in true_levels and (not tl or str(tl) not in true_levels):
                        problems.append(
                            Problem(
                                "target_level_required",
                                raw.where("target_level"),
                                {"value": lv, "levels": level_list},
                            )
                        )
                    elif tl and str(tl) not in true_levels:
                        problems.append(
                            Problem(
                                "not_a_true_level",
                                raw.where("target_level"),
                                {"value": tl, "levels": level_list},
                            )
                        )
                elif check == "places_or_candidates":
                    if row.get("study_places") is None and row.get("candidates") is None:
                        problems.append(Problem("places_or_candidates", raw.where("study_places")))
                elif check == "low_mode_high":
                    mode_col = "value" if "value" in row else "mode"
                    lo, mo, hi = row.get("low"), row.get(mode_col), row.get("high")
                    if (
                        lo is not None
                        and hi is not None
                        and mo is not None
                        and not (
                            float(lo) <= float(mo) <= float(hi)  # type: ignore[arg-type]
                        )
                    ):
                        problems.append(
                            Problem(
                                "low_mode_high",
                                raw.where(mode_col),
                                {"low": lo, "mode": mo, "high": hi},
                            )
                        )
                elif check == "capture_mean":
                    lo, mo, hi = row.get("low"), row.get("mode"), row.get("high")
                    if None not in (lo, mo, hi):
                        lo_f, mo_f, hi_f = float(lo), float(mo), float(hi)  # type: ignore[arg-type]
                        # a triangle on [low, high] has its mean in [(2·low+high)/3, (low+2·high)/3]
                        if not (
                            (2 * lo_f + hi_f) / 3 - 1e-9 <= mo_f <= (lo_f + 2 * hi_f) / 3 + 1e-9
                        ):
                            problems.append(
                                Problem(
                                    "capture_mean",
                                    raw.where("mode"),
                                    {
                                        "low": lo,
                                        "mode": mo,
                                        "high": hi,
                                        "least": round((2 * lo_f + hi_f) / 3, 4),
                                        "most": round((lo_f + 2 * hi_f) / 3, 4),
                                    },
                                )
                            )
                elif check == "delay_order":
                    full = resolve(row, status_defaults)[0] if t.spec.name == "facilities" else row
                    a, b, c = full.get("delay_min"), full.get("delay_mode"), full.get("delay_max")
                    if None not in (a, b, c) and not (a <= b <= c):  # type: ignore[operator]
                        problems.append(
                            Problem(
                                "delay_order",
                                raw.where("delay_mode"),
                                {"low": a, "mode": b, "high": c},
                            )
                        )
                elif check == "share_order":
                    full = resolve(row, status_defaults)[0] if t.spec.name == "facilities" else row
                    a, b, c = full.get("share_low"), full.get("share_mode"), full.get("share_high")
                    if None not in (a, b, c) and not (a <= b <= c):  # type: ignore[operator]
                        problems.append(
                            Problem(
                                "share_order",
                                raw.where("share_mode"),
                                {"low": a, "mode": b, "high": c},
                            )
                        )
                    elif c is not None and float(c) <= 0:  # type: ignore[arg-type]
                        problems.append(Problem("share_zero", raw.where("share_high")))
                elif check == "status_default":
                    full = resolve(row, status_defaults)[0]
                    blank = [col for col in RISK_COLUMNS if full.get(col) is None]
                    if blank:
                        problems.append(
                            Problem(
                                "no_status_default",
                                raw.where(blank[0]),
                                {
                                    "status": row.get("status"),
                                    "segment": row.get("segment"),
                                    "columns": ", ".join(blank),
                                },
                            )
                        )
                elif check == "parent_known":
                    parent = row.get("parent")
                    if parent:
                        ids = {str(r["id"]): r.get("parent") for r in t.rows}
                        chain, seen = str(parent), {str(row.get("id"))}
                        while chain in ids and chain not in seen:
                            seen.add(chain)
                            up = ids[chain]
                            chain = str(up) if up else ""
                        if str(parent) not in ids:
                            problems.append(
                                Problem(
                                    "unknown_code",
                                    raw.where("parent"),
                                    {"table": "organisations", "value": parent, "hint": ""},
                                )
                            )
                        elif chain in seen:
                            problems.append(
                                Problem("parent_cycle", raw.where("parent"), {"value": parent})
                            )
                elif check == "org_number":
                    n = row.get("org_number")
                    if n and not org_number_ok(str(n)):
                        problems.append(
                            Problem("bad_org_number", raw.where("org_number"), {"value": n})
                        )
                elif check == "parameters_known":
                    if str(row["name"]) not in KNOWN_PARAMETERS:
                        problems.append(
                            Problem(
                                "unknown_parameter",
                                raw.where("name"),
                                {"value": row["name"], "known": ", ".join(KNOWN_PARAMETERS)},
                            )
                        )
                    lo_p, hi_p = PARAMETER_RANGES.get(str(row["name"]), (-math.inf, math.inf))
                    for column in ("value", "low", "high"):
                        v = row.get(column)
                        if v is not None and not lo_p <= float(v) <= hi_p:  # type: ignore[arg-type]
                            problems.append(
                                Problem(
                                    "parameter_range",
                                    raw.where(column),
                                    {
                                        "value": f"{float(v):g}",  # type: ignore[arg-type]
                                        "name": row["name"],
                                        "minimum": f"{lo_p:g}",
                                        "maximum": f"{hi_p:g}",
                                    },
                                )
                            )
                elif check == "in_horizon":
                    base, end = pvals.get("base_year"), pvals.get("end_year")
                    y = row.get("year")
                    if base and end and y is not None:
                        lo_y, hi_y = int(base["value"]), int(end["value"])  # type: ignore[call-overload]
                        if not lo_y <= int(y) <= hi_y:  # type: ignore[call-overload]
                            problems.append(
                                Problem(
                                    "year_out_of_range",
                                    raw.where("year"),
                                    {"value": y, "minimum": lo_y, "maximum": hi_y},
                                )
                            )
            _table_checks(check, t, typed, problems)


def _table_checks(check: str, t: _Typed, typed: dict[str, _Typed], problems: list[Problem]) -> None:
    if check == "ramp_monotone":
        rows = sorted(zip(t.rows, t.raw, strict=True), key=lambda p: int(p[0]["year_since_start"]))  # type: ignore[call-overload]
        previous = 0.0
        for expected, (row, raw) in enumerate(rows, start=1):
            year = int(row["year_since_start"])  # type: ignore[call-overload]
            if year != expected:
                problems.append(
                    Problem(
                        "ramp_gap",
                        t.location,
                        {"last": rows[-1][0]["year_since_start"], "missing": expected},
                    )
                )
                break
            share = float(row["share"])  # type: ignore[arg-type]
            if share < previous:
                problems.append(
                    Problem(
                        "ramp_not_monotone",
                        raw.where("share"),
                        {"value": share, "previous": previous},
                    )
                )
            previous = share
    elif check == "parameters_known":
        names = {str(r["name"]) for r in t.rows}
        for name in KNOWN_PARAMETERS:
            if name not in names:
                problems.append(Problem("missing_parameter", t.location, {"value": name}))
        base = next((r for r in t.rows if r["name"] == "base_year"), None)
        end = next((r for r in t.rows if r["name"] == "end_year"), None)
        if base and end and float(end["value"]) < float(base["value"]):  # type: ignore[arg-type]
            problems.append(
                Problem(
                    "horizon_order",
                    t.location,
                    {"base": base["value"], "end": end["value"]},
                )
            )
    elif check == "bounds_known":
        limits = {(tname, c.name): c for tname, c in bounded_columns()}
        listed = set()
        for row, raw in zip(t.rows, t.raw, strict=True):
            pair = (str(row["table"]), str(row["column"]))
            listed.add(pair)
            col = limits.get(pair)
            if col is None:
                problems.append(
                    Problem(
                        "bound_not_bounded",
                        raw.where("column"),
                        {
                            "value": f"{pair[0]}.{pair[1]}"[:80],
                            "known": ", ".join(f"{a}.{b}" for a, b in limits),
                        },
                    )
                )
            elif col.maximum is not None and float(row["maximum"]) > col.maximum:  # type: ignore[arg-type]
                problems.append(
                    Problem(
                        "bound_above_limit",
                        raw.where("maximum"),
                        {
                            "value": f"{float(row['maximum']):g}",  # type: ignore[arg-type]
                            "column": f"{pair[0]}.{pair[1]}",
                            "limit": f"{col.maximum:g}",
                        },
                    )
                )
        for pair in limits:
            if pair not in listed:
                problems.append(
                    Problem("missing_bound", t.location, {"value": f"{pair[0]}.{pair[1]}"})
                )
    elif check == "role_mix_complete":
        segs = typed.get("segments")
        present = {(r["segment"], r["phase"]) for r in t.rows}
        for s in segs.rows if segs else []:
            for phase in ("startup", "mature"):
                if (s["code"], phase) not in present:
                    problems.append(
                        Problem(
                            "missing_mix_row", t.location, {"segment": s["code"], "phase": phase}
                        )
                    )
    elif check == "role_profile_complete":
        roles = typed.get("roles")
        present_roles = {r["role"] for r in t.rows}
        for r in roles.rows if roles else []:
            if r["code"] not in present_roles:
                problems.append(Problem("role_without_profile", t.location, {"value": r["code"]}))
    elif check == "every_offer_has_areas":
        offers = typed.get("education_offers")
        covered = {r["offer"] for r in t.rows}
        for o, raw in zip(offers.rows, offers.raw, strict=True) if offers else []:
            if o["id"] not in covered:
                problems.append(Problem("offer_without_areas", raw.where("id"), {"value": o["id"]}))


#: Placeholders a recommendation reason may use; ``lead_<lever>`` exists for every lever code.
REASON_PLACEHOLDERS = (
    "shortage",
    "share",
    "level",
    "area",
    "year",
    "horizon",
    "available_years",
    "lead_years",
)
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _measure_and_rule_checks(typed: dict[str, _Typed], problems: list[Problem]) -> None:
    """Checks of measures and recommendation rules that look at other tables."""
    commandments = typed.get("commandments")
    numbers = {int(r["number"]) for r in commandments.rows} if commandments else set()  # type: ignore[call-overload]
    known_numbers = ", ".join(str(n) for n in sorted(numbers)) or "-"
    levers = typed.get("levers")
    lever_codes = [str(r["code"]) for r in levers.rows] if levers else []
    placeholders = (*REASON_PLACEHOLDERS, *(f"lead_{c}" for c in lever_codes))
    targets = typed.get("measure_targets")
    targeted = {str(r["measure"]) for r in targets.rows} if targets else set()
    for t in typed.values():
        checks = t.spec.extra_checks
        for row, raw in zip(t.rows, t.raw, strict=True):
            if "known_commandment" in checks and numbers:
                n = row.get("commandment")
                if n is not None and int(n) not in numbers:  # type: ignore[call-overload]
                    problems.append(
                        Problem(
                            "unknown_commandment",
                            raw.where("commandment"),
                            {"value": n, "known": known_numbers},
                        )
                    )
            if "measure_years" in checks:
                start, end = row.get("start_year"), row.get("end_year")
                if start is not None and end is not None and int(end) < int(start):  # type: ignore[call-overload]
                    problems.append(
                        Problem(
                            "measure_years", raw.where("end_year"), {"start": start, "end": end}
                        )
                    )
            if "counted_measure_has_targets" in checks:
                status = row.get("status")
                if status in COUNTED_MEASURE_STATUSES and str(row.get("id")) not in targeted:
                    problems.append(
                        Problem(
                            "measure_without_targets",
                            raw.where("id"),
                            {"value": row.get("id"), "status": status},
                        )
                    )
            if "rule_horizons" in checks:
                for h in str(row.get("horizons") or "").split(";"):
                    if h.strip() and h.strip() not in HORIZON_ORDER:
                        problems.append(
                            Problem(
                                "unknown_horizon",
                                raw.where("horizons"),
                                {"value": h.strip(), "known": ", ".join(HORIZON_ORDER)},
                            )
                        )
            if "reason_placeholders" in checks:
                for column in ("reason_nb", "reason_en"):
                    for name in _PLACEHOLDER_RE.findall(str(row.get(column) or "")):
                        if name not in placeholders:
                            problems.append(
                                Problem(
                                    "unknown_placeholder",
                                    raw.where(column),
                                    {"value": name, "known": ", ".join(placeholders)},
                                )
                            )


_POLARS: dict[str, pl.DataType] = {
    "str": pl.Utf8(),
    "code": pl.Utf8(),
    "ref": pl.Utf8(),
    "int": pl.Int64(),
    "year": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "refs": pl.List(pl.Utf8()),
}


def _frame(t: _Typed) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {c.name: _POLARS[c.kind] for c in t.spec.columns}
    if t.spec.with_source:
        schema["source"] = pl.Utf8()
    return pl.DataFrame(t.rows, schema=schema, orient="row")


# ----------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    """Validated, typed tables for one scenario: defaults, replaced and overridden by a bundle."""

    tables: Mapping[str, pl.DataFrame]
    scenario: str | None
    input_hash: str
    label: str

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def parameter(self, name: str) -> float:
        row = self.tables["parameters"].filter(pl.col("name") == name)
        if row.height != 1:
            msg = f"unknown parameter {name!r}"
            raise KeyError(msg)
        return float(row["value"][0])

    def parameter_range(self, name: str) -> tuple[float, float, float]:
        """(low, value, high); low and high fall back to the value where blank."""
        row = self.tables["parameters"].filter(pl.col("name") == name).row(0, named=True)
        value = float(row["value"])
        low = value if row["low"] is None else float(row["low"])
        high = value if row["high"] is None else float(row["high"])
        return low, value, high


def _empty_raw(name: str) -> RawTable:
    spec = TABLES[name]
    return RawTable(name, list(spec.column_names), [], Location(f"{name} (not given)"))


def _hash_blob(name: str, df: pl.DataFrame) -> bytes:
    """What one table adds to the input hash: its name, columns and sorted rows."""
    spec = TABLES[name]
    df = df.sort(list(spec.key)) if df.height else df
    parts = [name.encode(), json.dumps(df.columns).encode()]
    for row in df.iter_rows():
        parts.append(json.dumps(row, default=str, ensure_ascii=False).encode())
        parts.append(b"\n")
    return b"".join(parts)


def _hash(blobs: Mapping[str, bytes], scenario: str | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"scenario": scenario}).encode())
    for name in sorted(blobs):
        h.update(blobs[name])
    return h.hexdigest()


def scenario_names(raw: Mapping[str, RawTable]) -> list[str]:
    """Scenario names of a raw bundle, in file order."""
    t = raw.get("scenarios")
    return [_norm(r.values.get("name")) for r in t.rows] if t else []


@dataclass
class _Cached:
    """A table typed once: its problems, its frame and its share of the input hash."""

    raw: RawTable
    typed: _Typed
    problems: list[Problem]
    frame: pl.DataFrame | None = None
    blob: bytes | None = None


#: Typed default tables; their raw tables live as long as the process (``_default_raw``).
_DEFAULT_CACHE: dict[int, _Cached] = {}
#: A cache for the builds of one bundle (its scenarios share every table no override touches).
BuildCache = dict[int, _Cached]


def _typed_once(name: str, raw: RawTable, problems: list[Problem], cache: BuildCache) -> _Cached:
    default = _default_raw().get(name)
    store = _DEFAULT_CACHE if raw is default else cache
    entry = store.get(id(raw))
    if entry is None or entry.raw is not raw:
        found: list[Problem] = []
        entry = _Cached(raw, _type_table(TABLES[name], raw, found), found)
        store[id(raw)] = entry
    problems.extend(entry.problems)
    return entry


def _override_targets(rows: Iterable[RawRow]) -> set[str]:
    return {_norm(o.values.get("table")) for o in rows}


def build_inputs(
    raw_bundle: Mapping[str, RawTable],
    scenario: str | None,
    label: str = "bundle",
    cache: BuildCache | None = None,
) -> Inputs:
    """Combine defaults and a raw bundle, apply overrides and a scenario, validate, type.

    Tables no override touches are not copied; with a ``cache`` shared by the builds of one
    bundle (its scenarios), each such table is typed and framed once."""
    if cache is None:
        cache = {}
    problems: list[Problem] = []
    tables: dict[str, RawTable] = dict(_default_raw())
    tables.update(raw_bundle)
    for name in BUNDLE_TABLES:
        if name not in tables:
            tables[name] = _empty_raw(name)
    # Overrides and scenario definitions are typed first: their own errors come before their use.
    control = {}
    for name in ("scenarios", "overrides", "scenario_overrides"):
        control[name] = _typed_once(name, tables[name], problems, cache).typed
    copied: set[str] = set()
    index: dict[str, dict[str, RawRow]] = {}
    _apply_overrides(tables, control["overrides"].raw, problems, copied, index)
    if scenario is not None:
        names = [str(r["name"]) for r in control["scenarios"].rows]
        if scenario in control["scenarios"].rejected_keys and problems:
            raise BundleError(_dedupe(problems))  # the scenario's own row has the problem
        if scenario not in names:
            unknown = Problem(
                "unknown_scenario",
                tables["scenarios"].location,
                {"value": scenario, "known": ", ".join(names) or "-"},
            )
            raise BundleError(_dedupe([*problems, unknown]))
        chosen = [
            raw
            for row, raw in zip(
                control["scenario_overrides"].rows, control["scenario_overrides"].raw, strict=True
            )
            if row["scenario"] == scenario
        ]
        _apply_overrides(tables, chosen, problems, copied, index)
    typed: dict[str, _Typed] = dict(control)
    entries: dict[str, _Cached] = {}
    for name, spec in TABLES.items():
        if spec.required and not tables[name].rows and name not in _default_raw():
            problems.append(Problem("missing_table", Location(label), {"table": name}))
        if name in typed:
            entries[name] = _typed_once(name, tables[name], [], cache)
            continue
        entries[name] = _typed_once(name, tables[name], problems, cache)
        typed[name] = entries[name].typed
    _check_refs(typed, problems)
    for typed_table in typed.values():
        _check_sums(typed_table, problems)
    _extra_checks(typed, problems)
    _measure_and_rule_checks(typed, problems)
    _check_bounds(typed, problems)
    _check_pools(typed, problems)
    if problems:
        raise BundleError(_dedupe(problems))
    frames: dict[str, pl.DataFrame] = {}
    blobs: dict[str, bytes] = {}
    for name, entry in entries.items():
        if entry.frame is None:
            entry.frame = _frame(entry.typed)
        if entry.blob is None:
            entry.blob = _hash_blob(name, entry.frame)
        frames[name] = entry.frame
        blobs[name] = entry.blob
    return Inputs(frames, scenario, _hash(blobs, scenario), label)


def _check_bounds(typed: Mapping[str, _Typed], problems: list[Problem]) -> None:
    """Every bounded quantity at most its plausible maximum (the ``bounds`` table)."""
    bounds = typed.get("bounds")
    if bounds is None:
        return
    for b in bounds.rows:
        t = typed.get(str(b["table"]))
        column = str(b["column"])
        if t is None or column not in t.spec.column_names:
            continue
        maximum = float(b["maximum"])  # type: ignore[arg-type]
        reported = 0
        for row, raw in zip(t.rows, t.raw, strict=True):
            value = row.get(column)
            if value is None or float(value) <= maximum:  # type: ignore[arg-type]
                continue
            reported += 1
            if reported > MAX_PROBLEMS_PER_TABLE:
                break
            problems.append(
                Problem(
                    "implausible",
                    raw.where(column),
                    {
                        "value": f"{float(value):g}",  # type: ignore[arg-type]
                        "maximum": f"{maximum:g}",
                        "unit_en": b["unit_en"],
                        "unit_nb": b["unit_nb"],
                        "table": b["table"],
                        "column": column,
                        "reason_en": b["reason_en"],
                        "reason_nb": b["reason_nb"],
                    },
                )
            )


def _check_pools(typed: Mapping[str, _Typed], problems: list[Problem]) -> None:
    """A retraining pool must lead somewhere: explicit retraining_paths rows, or an occupation
    with a competence profile from which paths are derived. Otherwise it would silently retrain
    no one."""
    pools, paths = typed.get("retraining_pools"), typed.get("retraining_paths")
    occupations = typed.get("source_occupations")
    if pools is None or paths is None or paths.broken or occupations is None:
        return
    with_paths = {str(r["pool"]) for r in paths.rows}
    profiled = {str(r["code"]) for r in occupations.rows}
    known = ", ".join(sorted(profiled)) or "-"
    for row, raw in zip(pools.rows, pools.raw, strict=True):
        if str(row["id"]) in with_paths:
            continue
        occupation = row.get("source_occupation")
        if occupation is not None and str(occupation) in profiled:
            continue
        problems.append(
            Problem(
                "pool_without_paths",
                raw.where("source_occupation"),
                {"value": row["id"], "occupation": occupation or "-", "known": known},
            )
        )


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in problems:
        k = (p.code, p.location, tuple(sorted((k, str(v)) for k, v in p.params.items())))
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def load_inputs(path: Path | str | None, scenario: str | None = None) -> Inputs:
    """Load a bundle (``None``: the defaults alone) for one scenario; raise BundleError."""
    if path is None:
        return build_inputs({}, scenario, "defaults")
    p = Path(path)
    return build_inputs(read_raw(p), scenario, p.name or str(p))


def check_bundle(path: Path | str) -> list[Problem]:
    """Every problem of a bundle: its base form and each of its scenarios."""
    p = Path(path)
    try:
        raw = read_raw(p)
    except BundleError as exc:
        return exc.problems
    found: list[Problem] = []
    cache: BuildCache = {}
    # each scenario once; a blank or repeated name is reported by the base build
    scenarios = [n for n in dict.fromkeys(scenario_names(raw)) if n]
    for scenario in [None, *scenarios]:
        try:
            build_inputs(raw, scenario, p.name, cache)
        except BundleError as exc:
            found.extend(exc.problems)
    return _dedupe(found)


def iter_scenarios(path: Path | str) -> Iterator[str]:
    """Scenario names of a bundle on disk."""
    yield from scenario_names(read_raw(Path(path)))


if __name__ == "__main__":  # a quick check while editing data: python -m battkomp.engine.bundle DIR
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else str(DEMO_DIR)
    found = check_bundle(target)
    for prob in found:
        print(prob.message("en"))
    print(f"{len(found)} problem(s)")
    raise SystemExit(2 if found else 0)
