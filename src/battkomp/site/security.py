"""Helpers for the Content-Security-Policy (django-csp) that responses need now and then."""

from __future__ import annotations

import base64
import hashlib
import re

from django.http import HttpResponseBase

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def style_hashes(html: str) -> list[str]:
    """The CSP source expressions (``'sha256-...'``) of every ``<style>`` block in ``html``."""
    hashes = []
    for body in _STYLE_BLOCK.findall(html):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return list(dict.fromkeys(hashes))


def allow_inline_styles(response: HttpResponseBase, html: str) -> HttpResponseBase:
    """Allow exactly the ``<style>`` blocks of ``html`` (a self-contained document such as the
    HTML report) on this one response; the policy stays strict everywhere else."""
    hashes = style_hashes(html)
    if hashes:
        response._csp_update = {"style-src": hashes}  # type: ignore[attr-defined]
    return response
