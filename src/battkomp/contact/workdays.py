"""Working days in Norway: Monday to Friday, except the public holidays (helligdager).

The holidays are computed, not listed: the fixed ones (1 January, 1 and 17 May, 25 and 26
December) and those that move with Easter (Maundy Thursday, Good Friday, Easter Sunday and
Monday, Ascension Day, Whit Sunday and Monday). Christmas Eve and New Year's Eve are ordinary
working days by law, though many offices close early.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


def easter_sunday(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).

    >>> easter_sunday(2026)
    datetime.date(2026, 4, 5)
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[dt.date]:
    easter = easter_sunday(year)
    moving = (-3, -2, 0, 1, 39, 49, 50)
    fixed = ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26))
    return frozenset(
        [easter + dt.timedelta(days=n) for n in moving] + [dt.date(year, m, d) for m, d in fixed]
    )


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts).

    >>> add_working_days(dt.date(2026, 11, 27), 1)  # a Friday: the next Monday
    datetime.date(2026, 11, 30)
    >>> add_working_days(dt.date(2026, 4, 1), 2)  # over Easter
    datetime.date(2026, 4, 8)
    """
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
