"""The report as one self-contained HTML page: the site's own stylesheet inlined (so it looks like
the site, with nothing to fetch), the site's icon, the partners' logos as data URIs, inline SVG
charts, and a link back to the publication's page on the site."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from battkomp.analysis.report import branding
from battkomp.analysis.report.structure import Report


def _static(name: str) -> bytes:
    found = finders.find(name)
    if not found:
        raise FileNotFoundError(f"static file {name} is missing")
    return Path(str(found)).read_bytes()


@cache
def site_css() -> str:
    """The site's stylesheet (static/battkomp/site.css), as the site serves it."""
    return _static("battkomp/site.css").decode("utf-8")


def data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def render_html(report: Report) -> bytes:
    with translation.override(report.lang):
        logos = []
        for logo in branding.logos():
            data = branding.logo_bytes(logo)
            if data is not None:
                src = data_uri(data, logo.media_type)
                logos.append({"src": src, "alt": logo.name or gettext("Partner logo")})
        html = render_to_string(
            "analysis/report/report.html",
            {
                "report": report,
                "site_css": site_css(),
                "icon": data_uri(_static("battkomp/favicon.svg"), "image/svg+xml"),
                "partners": branding.partners(),
                "logos": logos,
            },
        )
    return html.encode("utf-8")
