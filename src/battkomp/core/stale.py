"""Lost updates: a change names the version it was based on, and a change based on an older
version than the stored one is refused (:class:`StaleEdit`), with who changed what since.

The needs form has its own (revisions, ``survey.actions.StaleRevision``); offers and capacity
plans use this one. Nothing is written when it is raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from battkomp.core.numbers import format_number

#: The largest version a client may name (a larger one is refused as input, not a database error).
MAX_VERSION = 2**31 - 1
#: At most this many changes are listed; the rest are counted.
MAX_CHANGES_LISTED = 25


def person(user: Any) -> str:
    """How a stale-edit message names who made the other change."""
    if user is None:
        return _("someone else")
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str(full or getattr(user, "email", "") or user.get_username())


def shown(value: Any) -> str:
    """A stored value as a stale-edit message shows it (blank as –)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return format_number(value, 4, trim=True)
    return str(value)


def capped(changes: list[str]) -> list[str]:
    if len(changes) <= MAX_CHANGES_LISTED:
        return changes
    rest = len(changes) - MAX_CHANGES_LISTED
    return [*changes[:MAX_CHANGES_LISTED], _("… and %(n)d more changes.") % {"n": rest}]


class StaleEdit(Exception):  # noqa: N818 (a state, not a programming error)
    """A change based on version ``based_on`` when version ``current`` is stored: someone else
    saved in between (``who``, ``when``). Nothing was written. ``changes`` says, in the active
    language, what differs; ``template`` is the message (with %(who)s, %(when)s, %(based_on)d
    and %(current)d), already translated by the caller."""

    def __init__(
        self,
        template: str,
        *,
        based_on: int,
        current: int,
        who: Any,
        when: dt.datetime | None,
        changes: list[str],
    ) -> None:
        self.template = template
        self.based_on = based_on
        self.current = current
        self.who = person(who)
        self.when = when
        self.changes = capped(changes)
        super().__init__(self.message())

    def message(self) -> str:
        when = (
            formats.date_format(timezone.localtime(self.when), "DATETIME_FORMAT")
            if self.when is not None
            else "–"
        )
        return self.template % {
            "who": self.who,
            "when": when,
            "based_on": self.based_on,
            "current": self.current,
        }


def posted_version(data: Any) -> int | None:
    """The ``based_on`` a form posted (its hidden field), or None when it has none or it is not
    a version number (then the save is not checked, as a client that does not send it)."""
    raw = str(data.get("based_on", "") if data is not None else "").strip()
    if raw.isdigit() and len(raw) < 11 and int(raw) <= MAX_VERSION:
        return int(raw)
    return None
