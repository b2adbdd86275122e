"""The report's structure: its sections in order (:data:`ORDER`), each a list of blocks
(paragraphs, subheadings, numbered tables and numbered figures), and the contents (the lists of
tables and figures) that every writer prints.

Tables and figures are numbered by a :class:`Builder` in the order they are added, so building
the sections in :data:`ORDER` numbers them as they appear.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from battkomp.analysis.models import Publication
from battkomp.core.numbers import format_number

#: The sections of the report, in the order they appear (see ``report.build.SECTIONS``).
ORDER = (
    "summary",
    "method",
    "demand",
    "supply",
    "gaps",
    "uncertainty",
    "commandments",
    "measures",
    "abroad",
    "recommendations",
    "appendix",
)
SUPPRESSED = "·"


#: A cell: text, a number, None for a suppressed number.
Cell = str | int | float | None


class Year(int):
    """A year: a number in the workbook, written without thousands separators."""


@dataclass
class Table:
    number: int
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    sheet: str
    small: bool = False
    #: print numbers as they are (parameters), not rounded to whole persons (results)
    exact: bool = False

    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """Each cell as (text, is a number) for HTML and PDF."""
        return [[display_cell(c, self.exact) for c in row] for row in self.rows]

    def header_cells(self) -> list[tuple[str, bool]]:
        """Each column's name and whether it holds numbers (its head is aligned as they are)."""
        return list(zip(self.columns, self.numeric(), strict=True))

    def numeric(self) -> list[bool]:
        """Per column: does it hold numbers (aligned right)?"""
        return [
            all(isinstance(r[i], int | float) or r[i] in (None, "") for r in self.rows)
            and any(isinstance(r[i], int | float) or r[i] is None for r in self.rows)
            for i in range(len(self.columns))
        ]


@dataclass
class Figure:
    number: int
    caption: str
    svg: str


@dataclass
class Section:
    key: str
    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)  # ("p"|"table"|"figure", x)


@dataclass
class Report:
    title: str
    subtitle: str
    lang: str
    sections: list[Section]
    #: the publication's page on the site, as a path: the page links nowhere outside the site
    home_url: str = ""
    #: the cover: the title in the other language (and that language's code), the snapshot's
    #: name, and its facts as (label, value) pairs
    other_title: str = ""
    other_lang: str = ""
    publication: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: the day the snapshot was published, in Oslo
    day: dt.date | None = None

    def tables(self) -> list[Table]:
        return [b for s in self.sections for kind, b in s.blocks if kind == "table"]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for kind, b in s.blocks if kind == "figure"]


def display_cell(value: Cell, exact: bool = False) -> tuple[str, bool]:
    if value is None:
        return SUPPRESSED, True
    if isinstance(value, Year):
        return str(int(value)), True
    if isinstance(value, bool):
        return (gettext("yes") if value else gettext("no")), False
    if exact and isinstance(value, int | float) and value == int(value) and abs(value) < 10000:
        return str(int(value)), True
    if isinstance(value, int):
        return format_number(value, 0), True
    if isinstance(value, float):
        if not exact or abs(value) >= 100 or value == int(value):
            return format_number(round(value), 0), True
        # four significant digits
        digits = max(0, 3 - math.floor(math.log10(abs(value))))
        return format_number(value, digits, trim=True), True
    return str(value), False


class Builder:
    """Numbers the tables and figures of one report in the order they are added."""

    def __init__(self, publication: Publication) -> None:
        self.p = publication
        self.tables = 0
        self.figures = 0

    def table(self, caption: str, columns: list[str], rows: list[list[Cell]], **kw: Any) -> Any:
        self.tables += 1
        sheet = re.sub(r"[\[\]:*?/\\]", " ", f"{gettext('Table')} {self.tables}")[:31]
        return ("table", Table(self.tables, caption, columns, rows, sheet, **kw))

    def figure(self, caption: str, svg: str) -> Any:
        self.figures += 1
        return ("figure", Figure(self.figures, caption, svg))
