"""What the report's cover says about who stands behind it, from the settings (docs/operations.md):

- ``BATTKOMP_REPORT_PARTNERS``: the partners' names, printed on the cover (none by default);
- ``BATTKOMP_REPORT_LOGOS``: their logos, shown in a row on the cover of the PDF and at the top of
  the HTML report. Each entry is an image file (PNG, JPEG, GIF or SVG), optionally preceded by the
  name it shows, ``Norsk Industri=/srv/logos/norsk-industri.svg`` (the name is the image's text
  alternative). None by default: then the cover has no logo row at all.

A logo that is missing or of another kind stops ``battkomp serve`` (a system check, naming the
setting and the entry) instead of leaving a broken box in a published report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

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


def logos() -> list[Logo]:
    """The configured logos, in order; :class:`ImproperlyConfigured` names the first bad one."""
    found = []
    for n, entry in enumerate(getattr(settings, "BATTKOMP_REPORT_LOGOS", []), start=1):
        name, sep, path = str(entry).rpartition("=")
        file = Path(path.strip()).expanduser()
        where = f"BATTKOMP_REPORT_LOGOS, entry {n} ({entry!r})"
        if file.suffix.lower() not in LOGO_TYPES:
            msg = f"{where}: a logo must be a PNG, JPEG, GIF or SVG file (.png, .jpg, .gif, .svg)"
            raise ImproperlyConfigured(msg)
        if not file.is_file():
            raise ImproperlyConfigured(f"{where}: no such file: {file}")
        found.append(Logo(file, name.strip() if sep else ""))
    return found


def branding_key() -> str:
    """A short fingerprint of the partners and logos (names, files and their contents' sizes and
    times), part of the report files' names so that a report made before a change is made anew."""
    parts: list[Any] = [partners()]
    for logo in logos():
        stat = logo.path.stat()
        parts.append((logo.name, str(logo.path), stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:8]


def check_logos(**_: Any) -> list[checks.CheckMessage]:
    """System check: every configured logo is an image file that exists."""
    try:
        logos()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="battkomp.E101")]
    return []
