"""The inquiries' settings, each with a default (Django settings named like the environment
variables in docs/operations.md)."""

from __future__ import annotations

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
