"""Outgoing e-mail as background tasks.

Nothing is sent inside a request: :func:`queue_email` enqueues :data:`send_email`. With the
database backend the task is a row written in the caller's transaction, so it exists exactly when
the change that caused it is committed. The task worker sends it (with ``EMAIL_TIMEOUT``) and
tries a failed attempt again later with a growing pause, up to ``BATTKOMP_MAIL_MAX_ATTEMPTS``.
So a slow or dead mail server never slows a page, and how long a request takes says nothing about
whether an e-mail was sent (the password-reset page relies on this).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task, task_backends

from battkomp.worker.heartbeat import repeat_when_lost

logger = logging.getLogger(__name__)

#: Seconds before the second, third, ... attempt (the last one repeats).
RETRY_PAUSES = (30, 120, 600, 1800, 3600)


def _retry_later(task_obj: Any, attempt: int, /, *args: Any, **kwargs: Any) -> bool:
    """Enqueue ``task_obj`` again after a pause, if attempts are left and the backend can wait.
    Returns whether it was queued."""
    if attempt >= settings.BATTKOMP_MAIL_MAX_ATTEMPTS:
        return False
    backend = task_backends[task_obj.backend]
    if not backend.supports_defer:
        return False
    pause = RETRY_PAUSES[min(attempt - 1, len(RETRY_PAUSES) - 1)]
    task_obj.using(run_after=timezone.now() + timedelta(seconds=pause)).enqueue(
        *args, **{**kwargs, "attempt": attempt + 1}
    )
    return True


@repeat_when_lost
@task(queue_name="mail")
def send_email(
    subject: str,
    body: str,
    to: list[str],
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    attempt: int = 1,
) -> int:
    """Send one plain-text e-mail. A failure is retried later (a new task) and then raised, so
    this attempt is recorded as failed with its error."""
    message = EmailMessage(
        subject,
        body,
        from_email or settings.DEFAULT_FROM_EMAIL,
        list(to),
        reply_to=list(reply_to or []),
    )
    try:
        return message.send(fail_silently=False)
    except Exception:
        queued = _retry_later(send_email, attempt, subject, body, list(to), from_email, reply_to)
        logger.warning(
            "e-mail to %s failed (attempt %d)%s",
            ", ".join(to),
            attempt,
            "; trying again later" if queued else "; giving up",
        )
        raise


def queue_email(
    subject: str,
    body: str,
    to: Sequence[str],
    *,
    from_email: str | None = None,
    reply_to: Sequence[str] | None = None,
) -> None:
    """Send an e-mail in the background (the task commits or rolls back with the caller's
    transaction). The subject is put on one line."""
    send_email.enqueue(
        " ".join(str(subject).split()), str(body), list(to), from_email, list(reply_to or [])
    )
