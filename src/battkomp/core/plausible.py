"""The engine's input rules on the web: plausible bounds and shares, in the user's language.

Forms, the API (through the actions) and the Excel import check a quantity against the same
plausible maximum as the bundle (:mod:`battkomp.engine.quantities`, ``bounds.csv``), and read a
share with the same rule; the messages are Django translations, the bound's unit and reason come
from the bounds table in English or bokmål.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from battkomp.engine.quantities import ShareError, above_bound, bound, parse_share


def _number(x: float) -> str:
    """A number as the user's language writes it: grouped, no decimals when whole."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:g}"
    if x == int(x):
        return number_format(int(x), force_grouping=True)
    return number_format(x, force_grouping=True)


def plausible_message(table: str, column: str, value: Any) -> str | None:
    """The message for a value above the plausible maximum of ``table.column`` (or for one
    that is no finite number, NaN or infinity), or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return _("Enter a number.")
    b = above_bound(table, column, number)
    if b is None:
        return None
    lang = get_language() or "en"
    return _(
        "%(value)s is above the plausible maximum of %(maximum)s %(unit)s: %(reason)s. If the "
        "value is right, ask the secretariat: the model can take it through a bundle override."
    ) % {
        "value": _number(number),
        "maximum": _number(b.maximum),
        "unit": b.unit(lang),
        "reason": b.reason(lang),
    }


def range_message(table: str, column: str, value: Any, minimum: float = 0.0) -> str | None:
    """The message for a value below ``minimum``, no finite number, or above the plausible
    maximum of ``table.column``; None for a value in range (for actions that take a number
    without a form's own checks in front of them)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        return _("Enter a number from %(min)s to %(max)s.") % {
            "min": _number(minimum),
            "max": _number(bound(table, column).maximum),
        }
    return plausible_message(table, column, number)


def check_plausible(table: str, column: str, value: Any) -> None:
    """Raise a ValidationError (code ``implausible``) for a value above the plausible maximum."""
    message = plausible_message(table, column, value)
    if message is not None:
        raise ValidationError(message, code="implausible")


class PlausibleMaximum:
    """A form-field validator: the value is at most the plausible maximum of ``table.column``."""

    def __init__(self, table: str, column: str) -> None:
        self.table, self.column = table, column

    def __call__(self, value: Any) -> None:
        check_plausible(self.table, self.column, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlausibleMaximum) and (self.table, self.column) == (
            other.table,
            other.column,
        )

    def __hash__(self) -> int:
        return hash((self.table, self.column))


def share_message(error: ShareError, value: Any) -> str:
    """The message for text that is not a share."""
    if str(error) == "ambiguous_share":
        return _(
            "“%(value)s” is ambiguous: write a share from 0 to 1 (e.g. 0.012) or a percentage "
            "with its sign (e.g. 1.2 %%)."
        ) % {"value": value}
    return _(
        "Enter a share from 0 to 1, or a percentage from 0 to 100 (e.g. 0.25 or 25 %(sign)s)."
    ) % {"sign": "%"}


def clean_share(value: Any) -> float | None:
    """A share from a form field or a spreadsheet cell; ValidationError (code ``share``)."""
    try:
        return parse_share(value)
    except ShareError as exc:
        raise ValidationError(share_message(exc, value), code="share") from None
