"""Shares and bounded quantities as people type them: one rule for every path (bundle aside).

A **share** is typed either as a fraction from 0 to 1 or as a percentage: ``0.85``, ``0,85``,
``85``, ``85 %`` are all 0.85. A number from 2 to 100 without a ``%`` is a percentage, 1 or less a
fraction; a number strictly between 1 and 2 without a ``%`` is ambiguous (is ``1.2`` the share
1.2, impossible, or 1.2 %?) and is refused: write ``1.2 %`` or ``0.012``. The web forms and the
Excel import use this rule; the API takes fractions only (JSON numbers from 0 to 1).

A **bounded quantity** (capacity, jobs per GWh, people, places, cost, scenario weight) has a
plausible maximum in the ``bounds`` table of the shipped defaults (docs/bundle.md): the web
forms, the API and the import refuse a larger value with the bound's reason.

>>> parse_share("85 %"), parse_share("0,85"), parse_share(85), parse_share(1), parse_share("")
(0.85, 0.85, 0.85, 1.0, None)
>>> parse_share("1.2")
Traceback (most recent call last):
...
battkomp.engine.quantities.ShareError: ambiguous_share
>>> bound("capacity_plans", "capacity").maximum
300.0
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from battkomp.engine.numbers import without_group_spaces

BOUNDS_FILE = Path(__file__).parent / "data" / "bounds.csv"


class ShareError(ValueError):
    """A value that is not a share: ``str(error)`` is ``not_a_share`` or ``ambiguous_share``."""


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ShareError("not_a_share")
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        text = without_group_spaces(str(value).strip()).rstrip("%")
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ShareError("not_a_share") from None
    if not math.isfinite(number):
        raise ShareError("not_a_share")
    return number


def parse_share(value: object) -> float | None:
    """A share from 0 to 1 from what a person typed (see the module docstring); None if blank.
    Raises :class:`ShareError`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    percent = isinstance(value, str) and value.strip().endswith("%")
    number = _number(value)
    if not percent and 1.0 < number < 2.0:
        raise ShareError("ambiguous_share")
    if percent or number > 1.0:
        number /= 100.0
    if not 0.0 <= number <= 1.0:
        raise ShareError("not_a_share")
    return number


def format_share(share: float | None) -> str:
    """A stored share as a person reads it back, so that :func:`parse_share` gives it again:
    a percentage with its sign (``25 %``, ``1.5 %``).

    >>> format_share(0.25), format_share(0.015), format_share(None)
    ('25 %', '1.5 %', '')
    """
    if share is None:
        return ""
    return f"{round(share * 100, 4):g} %"


@dataclass(frozen=True)
class Bound:
    """A plausible maximum with its unit and reason, in English and bokmål."""

    table: str
    column: str
    maximum: float
    unit_en: str
    unit_nb: str
    reason_en: str
    reason_nb: str

    def unit(self, lang: str) -> str:
        return self.unit_nb if lang.startswith(("nb", "no", "nn")) else self.unit_en

    def reason(self, lang: str) -> str:
        return self.reason_nb if lang.startswith(("nb", "no", "nn")) else self.reason_en


@cache
def _bounds() -> dict[tuple[str, str], Bound]:
    with BOUNDS_FILE.open(encoding="utf-8", newline="") as fh:
        return {
            (r["table"], r["column"]): Bound(
                r["table"],
                r["column"],
                float(r["maximum"]),
                r["unit_en"],
                r["unit_nb"],
                r["reason_en"],
                r["reason_nb"],
            )
            for r in csv.DictReader(fh)
        }


def bound(table: str, column: str) -> Bound:
    """The shipped plausible maximum of a bundle column (KeyError if it has none)."""
    return _bounds()[(table, column)]


def above_bound(table: str, column: str, value: float | None) -> Bound | None:
    """The bound ``value`` exceeds (a non-finite value exceeds every bound), or None."""
    if value is None:
        return None
    b = bound(table, column)
    return b if not math.isfinite(float(value)) or float(value) > b.maximum else None
