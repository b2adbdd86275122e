"""What the report's cover says about who stands behind it, from the settings (docs/operations.md):

- ``BATTKOMP_REPORT_PARTNERS``: the partners' names, printed on the cover (none by default);
- ``BATTKOMP_REPORT_LOGOS``: their logos, shown in a row on the cover of the PDF and at the top of
  the HTML report. Each entry is an image file (PNG, JPEG, GIF or SVG), optionally preceded by the
  name it shows, ``Norsk Industri=/srv/logos/norsk-industri.svg`` (the name is the image's text
  alternative). None by default: then the cover has no logo row at all.

A logo of another kind stops ``battkomp serve`` (a system check, naming the setting and the
entry). A logo whose file is missing (deleted or moved after the settings were written) is a
warning at start-up and is left out of the reports, with a warning in the log naming the entry,
until it is back: a report is never refused, nor printed with a broken box, for a logo.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

#: The image kinds both Typst (the PDF) and every browser (the HTML report) show.
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Logo:
    path: Path
    #: the partner it stands for (its text alternative); "" when the entry names none
    name: str

    @property
    def media_type(self) -> str:
        return LOGO_TYPES[self.path.suffix.lower()]


def partners() -> list[str]:
    return [str(p) for p in getattr(settings, "BATTKOMP_REPORT_PARTNERS", [])]


@dataclass(frozen=True)
class _Entry:
    logo: Logo
    #: how the entry is named in messages: the setting, its place and its text
    where: str


def _entries() -> list[_Entry]:
    """The configured logos, in order, whether their files exist or not;
    :class:`ImproperlyConfigured` names the first that is not an image file."""
    found = []
    for n, entry in enumerate(getattr(settings, "BATTKOMP_REPORT_LOGOS", []), start=1):
        name, sep, path = str(entry).rpartition("=")
        file = Path(path.strip()).expanduser()
        where = f"BATTKOMP_REPORT_LOGOS, entry {n} ({entry!r})"
        if file.suffix.lower() not in LOGO_TYPES:
            msg = f"{where}: a logo must be a PNG, JPEG, GIF or SVG file (.png, .jpg, .gif, .svg)"
            raise ImproperlyConfigured(msg)
        found.append(_Entry(Logo(file, name.strip() if sep else ""), where))
    return found


def missing_message(where: str, path: Path) -> str:
    return f"{where}: no such file: {path}; the reports are made without this logo until it is back"


#: The missing logos already warned about by this process (every report page asks for the
#: logos: one warning each is enough, again once the file was back and went missing again).
_warned: set[str] = set()


def logos() -> list[Logo]:
    """The configured logos whose files are there, in order; a missing one is left out with a
    warning in the log; :class:`ImproperlyConfigured` names the first of another kind."""
    found = []
    for entry in _entries():
        if entry.logo.path.is_file():
            found.append(entry.logo)
            _warned.discard(entry.where)
        elif entry.where not in _warned:
            _warned.add(entry.where)
            logger.warning(missing_message(entry.where, entry.logo.path))
    return found


def logo_bytes(logo: Logo) -> bytes | None:
    """The logo's file, or None (with a warning in the log) if it went missing since it was
    listed."""
    try:
        return logo.path.read_bytes()
    except OSError as error:
        logger.warning("BATTKOMP_REPORT_LOGOS: %s is left out of the report: %s", logo.path, error)
        return None


def branding_key() -> str:
    """A short fingerprint of the partners and logos (names, files and their contents' sizes and
    times), part of the report files' names so that a report made before a change is made anew."""
    parts: list[Any] = [partners()]
    for logo in logos():
        try:
            stat = logo.path.stat()
        except OSError:  # gone since it was listed: the report is made without it
            continue
        parts.append((logo.name, str(logo.path), stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:8]


def check_logos(**_: Any) -> list[checks.CheckMessage]:
    """System check: every configured logo is an image file (an error) that exists (a warning:
    the reports are made without it)."""
    try:
        entries = _entries()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="battkomp.E101")]
    return [
        checks.Warning(missing_message(e.where, e.logo.path), id="battkomp.W101")
        for e in entries
        if not e.logo.path.is_file()
    ]
