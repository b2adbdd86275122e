"""The report's files: each format written from one :class:`~.structure.Report`, generated once per
(publication, format, language) and kept on disk (a publication never changes)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings

from battkomp.analysis.models import Publication
from battkomp.analysis.report.branding import branding_key
from battkomp.analysis.report.build import build_report
from battkomp.analysis.report.html import render_html
from battkomp.analysis.report.pdf import render_pdf
from battkomp.analysis.report.xlsx import render_xlsx
from battkomp.workbooks.exporters import XLSX_CONTENT_TYPE

FORMATS = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
}
LANGUAGES = ("nb", "en")
#: Part of the cache file names: raise it when the report's content or layout changes.
REPORT_REVISION = 6


WRITERS = {"html": render_html, "pdf": render_pdf, "xlsx": render_xlsx}


def generate(publication: Publication, fmt: str, lang: str) -> bytes:
    """The report of a publication in a format and language (not cached)."""
    return WRITERS[fmt](build_report(publication, lang))


def _path(publication: Publication, fmt: str, lang: str) -> Path:
    if fmt not in FORMATS or lang not in LANGUAGES:
        raise ValueError(f"unknown report format or language: {fmt!r}, {lang!r}")
    folder = Path(settings.DATA_DIR) / "reports"
    stamp = int(publication.published_at.timestamp()) if publication.published_at else 0
    # the partners and logos of the cover are part of the name: a report made before they
    # changed is made anew
    return folder / (
        f"report-{publication.pk}-v{publication.version}-{stamp}-r{REPORT_REVISION}"
        f"-{branding_key()}-{lang}.{fmt}"
    )


def stored_report(publication: Publication, fmt: str, lang: str) -> bytes | None:
    """The report if it has been generated, else None (pages never generate it: the task
    ``render_report`` does)."""
    path = _path(publication, fmt, lang)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def report_bytes(publication: Publication, fmt: str, lang: str) -> bytes:
    """The report, generated once per (publication, format, language) and kept on disk under
    ``DATA_DIR/reports`` (a publication never changes)."""
    path = _path(publication, fmt, lang)
    folder = path.parent
    if path.exists():
        return path.read_bytes()
    content = generate(publication, fmt, lang)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.replace(tmp, path)
    return content
