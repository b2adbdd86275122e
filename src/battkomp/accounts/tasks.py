"""Background tasks of the accounts app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from battkomp.core.mail import queue_email
from battkomp.worker.heartbeat import repeat_when_lost

RESET_SUBJECT = "accounts/password_reset_subject.txt"
RESET_BODY = "accounts/password_reset_email.txt"


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose e-mails go out through the mail task (retried on failure)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = render_to_string(subject_template_name, context)
        body = render_to_string(email_template_name, context)
        queue_email(subject, body, [to_email], from_email=from_email)


@repeat_when_lost
@task(queue_name="mail")
def send_password_reset(email: str, language: str) -> int:
    """E-mail a password-reset link to every active account with this address (none for an
    unknown address), in ``language``. Runs in the worker, so the page that asked for it takes
    the same time whether or not the account exists. Returns how many e-mails were queued."""
    with translation.override(language):
        form = QueuedPasswordResetForm({"email": email})
        if not form.is_valid():
            return 0
        count = sum(1 for _user in form.get_users(form.cleaned_data["email"]))
        form.save(
            domain_override="battkomp",
            subject_template_name=RESET_SUBJECT,
            email_template_name=RESET_BODY,
            extra_email_context={"site_url": settings.SITE_URL.rstrip("/")},
        )
    return count
