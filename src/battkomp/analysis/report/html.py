"""The report as one self-contained HTML page (inline CSS and SVG)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from battkomp.analysis.report.structure import Report


def render_html(report: Report) -> bytes:
    with translation.override(report.lang):
        html = render_to_string("analysis/report/report.html", {"report": report})
    return html.encode("utf-8")
