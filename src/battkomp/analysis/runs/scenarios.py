"""Scenario overrides as analysts type them, and their validation by the engine itself.

Overrides are written one a line, ``table, key, column, value[, source]`` (commas, semicolons or
tabs, as pasted from a spreadsheet; quote a value that holds the separator). A first line
``table,key,column,value`` is a header and skipped. :func:`check_scenario` checks the names
against the engine's schema, then writes a bundle with the candidate scenario and runs the
engine's :func:`battkomp.engine.bundle.check_bundle`; every problem is reported with the line of
the override (or the facility left out) it comes from.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from battkomp.analysis.runs.bundle_export import ScenarioSpec, collect_bundle, write_folder
from battkomp.engine.bundle import check_bundle, load_inputs
from battkomp.engine.problems import BundleError, Problem, resolve_lang
from battkomp.engine.schema import TABLES

#: Tables an override may not change (the engine refuses them too).
CONTROL_TABLES = ("scenarios", "scenario_overrides", "overrides")
#: Scenario names that mean something else on the run page and in the command.
RESERVED_NAMES = ("base", "weighted")
HEADER = ("table", "key", "column", "value")


@dataclass
class OverrideLine:
    line: int
    table: str
    key: str
    column: str
    value: str
    source: str = ""

    def row(self) -> dict[str, str]:
        return {
            "table": self.table,
            "key": self.key,
            "column": self.column,
            "value": self.value,
            "source": self.source,
        }


@dataclass
class Parsed:
    lines: list[OverrideLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _delimiter(text: str) -> str:
    if "\t" in text:
        return "\t"
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def parse_overrides(text: str) -> Parsed:
    """The override lines of the form's text, and what is wrong with their shape."""
    out = Parsed()
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    first = True
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if first and tuple(c.lower() for c in cells[:4]) == HEADER:
            first = False
            continue
        first = False
        if len(cells) < 4 or len(cells) > 5:
            out.errors.append(
                _(
                    "Line %(line)s: write table, key, column, value and optionally a source "
                    "(found %(count)s fields)."
                )
                % {"line": line, "count": len(cells)}
            )
            continue
        table, key, column, value = cells[:4]
        source = cells[4] if len(cells) == 5 else ""
        out.lines.append(OverrideLine(line, table, key, column, value, source))
    return out


def overrides_text(rows: Iterable[Any]) -> str:
    """Saved overrides as the form shows them (one CSV line each)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for o in rows:
        cells = [o.table, o.key, o.column, o.value]
        if o.source:
            cells.append(o.source)
        writer.writerow(cells)
    return buffer.getvalue()


def _schema_errors(lines: list[OverrideLine], excluded: list[Any]) -> list[str]:
    errors: list[str] = []
    known = ", ".join(n for n in TABLES if n not in CONTROL_TABLES)
    seen: dict[tuple[str, str, str], int] = {}
    excluded_ids = {_facility_key(f): f for f in excluded}
    for o in lines:
        spec = TABLES.get(o.table)
        if spec is None or o.table in CONTROL_TABLES:
            errors.append(
                _(
                    "Line %(line)s, table: “%(table)s” is not a table a scenario can change "
                    "(known: %(known)s)."
                )
                % {"line": o.line, "table": o.table, "known": known}
            )
            continue
        columns = [c for c in spec.column_names if c not in spec.key and c != "source"]
        if o.column not in columns:
            errors.append(
                _(
                    "Line %(line)s, column: “%(column)s” is not a column of %(table)s that can be "
                    "changed (these can: %(columns)s)."
                )
                % {
                    "line": o.line,
                    "column": o.column,
                    "table": o.table,
                    "columns": ", ".join(columns),
                }
            )
            continue
        if not o.key:
            errors.append(
                _("Line %(line)s, key: give the row's key (%(key_columns)s, joined by “|”).")
                % {"line": o.line, "key_columns": " | ".join(spec.key)}
            )
            continue
        cell = (o.table, o.key, o.column)
        if cell in seen:
            errors.append(
                _("Line %(line)s: the same cell is already changed on line %(first)s.")
                % {"line": o.line, "first": seen[cell]}
            )
            continue
        seen[cell] = o.line
        if o.table == "facilities" and o.column == "realisation_probability":
            fac = excluded_ids.get(o.key)
            if fac is not None:
                errors.append(
                    _(
                        "Line %(line)s: the facility %(name)s is left out of this scenario, so its "
                        "realisation probability is 0; remove this line or keep the facility."
                    )
                    % {"line": o.line, "name": fac.name}
                )
    return errors


def _facility_key(fac: Any) -> str:
    from battkomp.analysis.runs.bundle_export import facility_id

    return facility_id(fac)


def _problem_key(p: Problem) -> tuple[object, ...]:
    return (p.code, p.location, tuple(sorted((k, str(v)) for k, v in p.params.items())))


def _text_of(p: Problem, lang: Any) -> str:
    """The problem's message without the engine's file/row prefix."""
    full = p.message(lang)
    prefix = p.location.describe(lang) + ": "
    return full[len(prefix) :] if full.startswith(prefix) else full


def _engine_errors(spec: ScenarioSpec, lines: list[OverrideLine]) -> list[str]:
    lang = resolve_lang(get_language())
    contents = collect_bundle(None, scenarios=[spec])
    with tempfile.TemporaryDirectory(prefix="battkomp-scenario-") as tmp:
        folder = write_folder(contents, Path(tmp) / "bundle")
        problems = check_bundle(folder)
        try:
            load_inputs(folder, None)
            base: set[tuple[object, ...]] = set()
        except BundleError as exc:
            base = {_problem_key(p) for p in exc.problems}
    errors: list[str] = []
    for p in problems:
        if _problem_key(p) in base:
            continue  # a problem of the platform's data, not of this scenario
        loc = p.location
        if loc.file.endswith("scenario_overrides.csv") and loc.row is not None:
            index = loc.row - 2  # the header is row 1
            if 0 <= index < len(lines):
                errors.append(
                    _("Line %(line)s: %(problem)s")
                    % {"line": lines[index].line, "problem": _text_of(p, lang)}
                )
                continue
            excluded = index - len(lines)
            if 0 <= excluded < len(spec.excluded):
                errors.append(
                    _("Facility left out, %(name)s: %(problem)s")
                    % {"name": spec.excluded[excluded].name, "problem": _text_of(p, lang)}
                )
                continue
        errors.append(p.message(lang))
    return errors


def check_scenario(
    *, name: str, weight: float, description: str, text: str, excluded: list[Any]
) -> tuple[ScenarioSpec, list[OverrideLine], list[str]]:
    """The scenario as the bundle would hold it, its override lines, and every error found."""
    parsed = parse_overrides(text)
    spec = ScenarioSpec(
        name=name,
        weight=weight,
        description=description,
        overrides=[o.row() for o in parsed.lines],
        excluded=list(excluded),
    )
    errors = parsed.errors + _schema_errors(parsed.lines, spec.excluded)
    if not errors:
        errors = _engine_errors(spec, parsed.lines)
    return spec, parsed.lines, errors
