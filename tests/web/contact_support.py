"""Shared helpers of the inquiry tests: an e-mail backend that always fails, rules, and a valid
contact form."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

from battkomp.accounts.actions import do_create_user
from battkomp.contact.models import RoutingRule
from battkomp.core.users import Role

FAILING_BACKEND = "web.contact_support.FailingEmailBackend"


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down: every send raises, as smtplib does."""

    calls = 0

    def send_messages(self, email_messages: Any) -> int:
        type(self).calls += 1
        raise smtplib.SMTPException("421 service not available (test)")


def rule(owner: Any, *, name: str = "rule", priority: int = 100, **conditions: Any) -> RoutingRule:
    return RoutingRule.objects.create(name_nb=name, priority=priority, owner=owner, **conditions)


def second_handler(language: str = "nb") -> Any:
    return do_create_user(
        "handler2@battkomp.test", "correct-horse-battery-staple", Role.HANDLER, language=language
    )


def contact_data(**overrides: Any) -> dict[str, str]:
    data = {
        "name": "Ola Nordmann",
        "email": "ola@example.org",
        "organisation": "Nordmann AS",
        "topic": "education",
        "segment": "",
        "region": "",
        "message": "Hvilke fagskoletilbud finnes innen batteriproduksjon?",
        "website": "",
    }
    data.update(overrides)
    return data
