"""The latest published snapshot, for the rooms that show published figures beside their own
data: a measure's page (its modelled effect) and the infrastructure register (ordered by the
published gap per competence area).

Those rooms sit below the analysis app, which reads their data to build a model run, so they do
not import it: the analysis app provides the reader when Django starts (``analysis/apps.py``),
and they ask for the snapshot here. What they get is a ``battkomp.analysis.models.Publication``
(public: protected tables only) or None when nothing is published yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_latest: Callable[[], Any] | None = None


def provide_latest_publication(reader: Callable[[], Any]) -> None:
    """Called once by the analysis app: ``reader()`` returns the latest publication or None."""
    global _latest
    _latest = reader


def latest_publication() -> Any:
    """The latest published snapshot, or None when nothing is published."""
    if _latest is None:
        msg = "no reader of publications: the analysis app provides it when Django starts"
        raise RuntimeError(msg)
    return _latest()
