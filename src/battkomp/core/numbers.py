"""Numbers for people in the active language: :func:`battkomp.engine.numbers.format_number`
with Django's current language, and the template filters built on it (a builtin library, so
every template has them without ``{% load %}``):

- ``{{ value|num }}``, ``{{ value|num:0 }}``: rounded to 1 (or the given) decimals, grouped;
- ``{{ value|num:"-2" }}``: at most 2 decimals, trailing zeros dropped;
- ``{{ low|num_range:high }}``: a band, ``545–621`` or ``−91 – −55`` (0 decimals).

Pages, charts' tables, the report and the downloads' labels use these; nothing else formats a
number for reading (years and codes are not numbers to format: use ``unlocalize``).
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from battkomp.engine.numbers import MISSING, format_range
from battkomp.engine.numbers import format_number as _format_number

register = template.Library()


def language() -> str:
    return (get_language() or "nb")[:2]


def format_number(
    value: float | int | Decimal | None, digits: int = 1, *, trim: bool = False
) -> str:
    """``value`` in the active language (see :mod:`battkomp.engine.numbers`)."""
    return _format_number(None if value is None else float(value), language(), digits, trim=trim)


def _digits(arg: object) -> tuple[int, bool]:
    text = str(arg).strip() if arg not in (None, "") else "1"
    trim = text.startswith("-")
    return abs(int(text)), trim


@register.filter(is_safe=True)
def num(value: object, arg: object = 1) -> str:
    """A number for reading; "–" for None; anything that is not a number comes back as it is."""
    if value is None or value == "":
        return MISSING if value is None else ""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    digits, trim = _digits(arg)
    return _format_number(number, language(), digits, trim=trim)


@register.filter(is_safe=True)
def num_range(low: object, high: object) -> str:
    """The band from ``low`` to ``high`` with 0 decimals."""
    try:
        a = None if low is None else float(low)  # type: ignore[arg-type]
        b = None if high is None else float(high)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return MISSING
    return format_range(a, b, language())


@register.filter
def means_outside(rows: object) -> bool:
    """Whether a table's rows (``runs.queries.totals_rows``, or rows with a list of such cells)
    show a mean outside its band."""
    if not isinstance(rows, (list, tuple)):
        return False
    cells = [
        cell
        for row in rows
        if isinstance(row, dict)
        for value in row.values()
        for cell in (value if isinstance(value, list) else [value])
    ]
    return any(isinstance(cell, dict) and cell.get("outside") for cell in cells)
