"""How numbers are written for people, in bokmål and in English: the one formatter behind the
pages, the charts' tables, the report (HTML and PDF) and the sentences of the advice.

- bokmål: a decimal comma and a thin space between thousands (``1 234,5``): U+202F NARROW
  NO-BREAK SPACE, the thin space that never breaks a number over two lines (decisions.md 46);
- English: a decimal point and a comma between thousands (``1,234.5``);
- negative numbers with the true minus sign U+2212 (``−55``), never a hyphen;
- a range with an en dash, spaced when a bound is negative (``545–621``, ``−91 – −55``);
- halves rounded away from zero (``0.5`` is ``1``), as people round.

Pure Python (the engine imports no Django); :mod:`battkomp.core.numbers` adds the active
language and the template filters ``num`` and ``num_range``.

>>> format_number(1234.5, "nb"), format_number(1234.5, "en"), format_number(-55.0, "en", 0)
('1\\u202f234,5', '1,234.5', '−55')
>>> format_number(2.50, "nb", 2, trim=True), format_number(-0.04, "en", 1)
('2,5', '0.0')
>>> format_range(-91.2, -55.4, "nb"), format_range(545, 621, "en")
('−91 – −55', '545–621')
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Lang = Literal["nb", "en"]

MINUS = "\u2212"
#: The thousands separator of bokmål: a thin space that does not break, U+202F NARROW NO-BREAK
#: SPACE (also Django's in bokmål, site/formats/nb, and the charts' d3-format). Downloads are
#: not grouped at all: they stay machine-readable.
NB_THOUSANDS = "\u202f"
#: The spaces a person may have typed or pasted between thousands (a plain, a no-break, a
#: narrow no-break and a thin space): parsers drop them all.
GROUP_SPACES = (" ", "\u00a0", "\u202f", "\u2009")
EN_DASH = "\u2013"
#: What stands for a number that is not there (suppressed, not computed, infinite).
MISSING = "–"

_SEPARATORS: dict[str, tuple[str, str]] = {"nb": (",", NB_THOUSANDS), "en": (".", ",")}


def format_number(
    value: float | int | None,
    lang: str,
    digits: int = 1,
    *,
    trim: bool = False,
    grouping: bool = True,
) -> str:
    """``value`` rounded to ``digits`` decimals in the language's way (see the module);
    ``trim`` drops trailing zeros of the decimals; ``None``, NaN and infinity are "–"."""
    if value is None or not math.isfinite(value):
        return MISSING
    digits = max(digits, 0)
    # half away from zero, on the shortest decimal form of the float (2.675 gives 2.68, as a
    # person rounds it), not Python's half-to-even on the binary value
    rounded = Decimal(repr(abs(float(value)))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    negative = value < 0 and any(c not in "0.," for c in text)  # no "−0.0"
    decimal, thousands = _SEPARATORS.get(lang[:2] if lang else "nb", _SEPARATORS["nb"])
    if not grouping:
        text = text.replace(",", "")
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return (MINUS if negative else "") + text


def without_group_spaces(text: str) -> str:
    """``text`` without the spaces that may group a number's thousands (:data:`GROUP_SPACES`).

    >>> without_group_spaces("1\\u202f234,5"), without_group_spaces("12 000")
    ('1234,5', '12000')
    """
    for space in GROUP_SPACES:
        text = text.replace(space, "")
    return text


def format_range(low: float | None, high: float | None, lang: str, digits: int = 0) -> str:
    """A band such as P10–P90: "–" if a bound is missing; spaced en dash if a bound is negative
    (so that the minus signs and the dash don't run together)."""
    if low is None or high is None:
        return MISSING
    a, b = format_number(low, lang, digits), format_number(high, lang, digits)
    if a.startswith(MINUS) or b.startswith(MINUS):
        return f"{a} {EN_DASH} {b}"
    return f"{a}{EN_DASH}{b}"
