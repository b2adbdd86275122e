"""Status defaults of facilities: realisation probability, delay triangle and built share.

A facility row may leave any of ``realisation_probability``, ``delay_min``, ``delay_mode``,
``delay_max``, ``share_low``, ``share_mode`` and ``share_high`` blank; each blank takes the value
of the ``facility_status`` row of the facility's status and segment, or else of its status with a
blank segment. Values the facility gives override the defaults one by one.

>>> defaults = [
...     {"status": "announced", "segment": None, "realisation_probability": 0.3,
...      "delay_min": 0, "delay_mode": 2, "delay_max": 6,
...      "share_low": 0.1, "share_mode": 0.5, "share_high": 1.0},
... ]
>>> row = {"status": "announced", "segment": "cell_manufacturing",
...        "realisation_probability": 0.5, "delay_min": None, "delay_mode": None,
...        "delay_max": None, "share_low": None, "share_mode": None, "share_high": None}
>>> filled, from_default = resolve(row, defaults)
>>> filled["realisation_probability"], filled["delay_mode"], from_default
(0.5, 2, ('delay_min', 'delay_mode', 'delay_max', 'share_low', 'share_mode', 'share_high'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: The facility columns a status default can fill, in this order.
RISK_COLUMNS: tuple[str, ...] = (
    "realisation_probability",
    "delay_min",
    "delay_mode",
    "delay_max",
    "share_low",
    "share_mode",
    "share_high",
)
#: Statuses of a facility that already exists or is being built: the firm base.
FIRM_STATUSES: tuple[str, ...] = ("operating", "construction")


def default_row(
    status: object, segment: object, defaults: Iterable[Mapping[str, object]]
) -> Mapping[str, object] | None:
    """The ``facility_status`` row for a status and segment: the segment's own, else the blank
    segment's, else None."""
    general = None
    for d in defaults:
        if d.get("status") != status:
            continue
        if d.get("segment") == segment:
            return d
        if d.get("segment") in (None, ""):
            general = d
    return general


def resolve(
    row: Mapping[str, Any], defaults: Iterable[Mapping[str, object]]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The facility row with every blank risk column filled from its status default, and the
    names of the columns that were filled. Columns stay blank (None) when no default exists."""
    out = dict(row)
    d = default_row(row.get("status"), row.get("segment"), defaults)
    filled: list[str] = []
    for col in RISK_COLUMNS:
        if out.get(col) is None and d is not None and d.get(col) is not None:
            out[col] = d[col]
            filled.append(col)
    return out, tuple(filled)
