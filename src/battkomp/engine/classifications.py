"""Official code lists the input is checked against: STYRK-08 occupations and NUS2000 levels.

The lists are shipped as data in ``engine/data/classifications/`` with their source in every row.
Codes read from a spreadsheet can arrive as numbers, so a cell that was a number is padded back to
the code's width (STYRK-08 ``110`` is ``0110``); the same rule pads a one-digit county number
(``3`` is county ``03``) wherever a region code is read: bundle, web import and forms.

>>> is_styrk08_unit("8131"), is_styrk08_unit("9999"), is_styrk08_unit("813")
(True, False, False)
>>> normalise_region("3"), normalise_region("42"), normalise_region("SE")
('03', '42', 'SE')
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CLASSIFICATIONS_DIR = Path(__file__).parent / "data" / "classifications"

#: The code lists a column can be checked against, with the file that holds each.
CLASSIFICATIONS: dict[str, str] = {
    "styrk08": "styrk08.csv",
    "nus2000": "nus2000_levels.csv",
}


@dataclass(frozen=True)
class Code:
    """One code of a classification."""

    code: str
    level: str
    name_en: str


@cache
def codes(classification: str) -> dict[str, Code]:
    """Every code of a classification, by code (STYRK-08: all four levels)."""
    path = CLASSIFICATIONS_DIR / CLASSIFICATIONS[classification]
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            r["code"]: Code(r["code"], r.get("level") or "level", r["name_en"])
            for r in csv.DictReader(fh)
        }


def valid_codes(classification: str) -> frozenset[str]:
    """The codes a value may take: STYRK-08 unit groups (four digits); NUS2000 level digits."""
    return _valid(classification)


@cache
def _valid(classification: str) -> frozenset[str]:
    all_codes = codes(classification)
    if classification == "styrk08":
        return frozenset(c for c, v in all_codes.items() if v.level == "unit")
    return frozenset(all_codes)


def is_styrk08_unit(code: str) -> bool:
    """True for a STYRK-08 unit group (the four-digit codes occupations are coded with)."""
    return code in _valid("styrk08")


#: Width of a numeric code of each list, for padding numbers read from a spreadsheet.
_WIDTH = {"styrk08": 4, "regions": 2}


def pad_numeric(kind: str, text: str) -> str:
    """A code that lost its leading zeros as a spreadsheet number, padded back to its width.

    >>> pad_numeric("styrk08", "110"), pad_numeric("styrk08", "8131"), pad_numeric("regions", "3")
    ('0110', '8131', '03')
    """
    width = _WIDTH.get(kind)
    if width and text.isdigit() and len(text) < width:
        return text.zfill(width)
    return text


def normalise_region(text: str) -> str:
    """A region code as the region list spells it: a one-digit county number gets its zero
    (Excel turns the county code ``03`` into the number 3). The one rule for every path."""
    text = text.strip()
    if text.isdigit() and len(text) == 1:
        return "0" + text
    return text
