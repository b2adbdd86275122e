"""The inquiries' settings, each with a default (Django settings named like the environment
variables in docs/operations.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

DEFAULTS = {
    # Working days (Monday to Friday, Norwegian public holidays excluded) an inquiry may wait for
    # its first answer before it is flagged as overdue in the queue.
    "BATTKOMP_INQUIRY_OVERDUE_DAYS": 3,
    # Inquiries accepted per sender e-mail address and per client address within the window.
    "BATTKOMP_INQUIRY_RATE_LIMIT": 5,
    "BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS": 3600,
    # Attempts to send one e-mail before the retry command gives it up (it stays "failed").
    "BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS": 8,
    # Days an inquiry's client address is kept (it is stored only for the per-address rate
    # limit); after that, purge_inquiry_addresses and every run of send_inquiry_mail clear it.
    # Never shorter than the rate-limit window, so the limit always sees every recent address.
    "BATTKOMP_INQUIRY_IP_RETENTION_DAYS": 30,
}


def setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def overdue_days() -> int:
    return max(0, setting("BATTKOMP_INQUIRY_OVERDUE_DAYS"))


def rate_limit() -> int:
    return max(1, setting("BATTKOMP_INQUIRY_RATE_LIMIT"))


def rate_window_seconds() -> int:
    return max(1, setting("BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS"))


def mail_max_attempts() -> int:
    return max(1, setting("BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS"))


def ip_retention() -> dt.timedelta:
    """How long an inquiry's client address is kept: ``BATTKOMP_INQUIRY_IP_RETENTION_DAYS``, but
    never less than the rate-limit window (a shorter or negative setting is raised to it)."""
    days = dt.timedelta(days=max(0, setting("BATTKOMP_INQUIRY_IP_RETENTION_DAYS")))
    return max(days, dt.timedelta(seconds=rate_window_seconds()))
