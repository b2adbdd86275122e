"""E-mail goes out through the task queue: a request only enqueues, the worker sends (with a
timeout, retried later on failure), and the password-reset page does the same work whether or
not the account exists."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from battkomp.accounts.actions import do_create_user
from battkomp.core.mail import queue_email
from battkomp.core.users import Role

PASSWORD = "correct-horse-battery-staple"
DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "runs"],
    }
}


@pytest.fixture
def queued(settings):
    """The real queue: tasks are rows until the worker carries them out."""
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def work_off_the_queue() -> None:
    call_command("run_worker", batch=True, interval=0.01, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_reset_request_does_the_same_work_for_an_unknown_address(queued) -> None:
    do_create_user("known@example.test", PASSWORD, Role.ANALYST)
    counts = {}
    for email in ("known@example.test", "nobody@example.test"):
        with CaptureQueriesContext(connection) as queries:
            response = Client().post(
                reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR="10.0.0.1"
            )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_reset_done")
        counts[email] = [q["sql"].split(" ")[0] for q in queries.captured_queries]
    # The same statements in the same order: nothing in the request depends on the account.
    assert counts["known@example.test"] == counts["nobody@example.test"]
    assert mail.outbox == []  # nothing sent inside a request
    assert DBTaskResult.objects.count() == 2

    work_off_the_queue()
    assert [m.to for m in mail.outbox] == [["known@example.test"]]
    assert "password" in mail.outbox[0].body.lower() or "passord" in mail.outbox[0].body.lower()
    assert not DBTaskResult.objects.ready().exists()


@pytest.mark.django_db(transaction=True)
def test_an_invitation_is_sent_by_the_worker(queued) -> None:
    from battkomp.accounts.actions import do_invite

    admin = do_create_user("admin@example.test", PASSWORD, Role.ADMIN)
    do_invite(admin, "new.analyst@example.test", Role.ANALYST)
    assert mail.outbox == []
    work_off_the_queue()
    assert [m.to for m in mail.outbox] == [["new.analyst@example.test"]]


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_tried_again_later_and_then_given_up(queued) -> None:
    queued.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    queued.EMAIL_HOST = "127.0.0.1"
    queued.EMAIL_PORT = 9  # nothing listens: refused at once
    queued.EMAIL_TIMEOUT = 2
    queued.BATTKOMP_MAIL_MAX_ATTEMPTS = 2
    queue_email("Hello", "Body", ["someone@example.test"])
    work_off_the_queue()
    first = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.status for r in first] == ["FAILED", "READY"]
    retry = first[1]
    assert retry.run_after is not None
    assert retry.run_after > first[0].finished_at
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    # The second and last attempt fails too: nothing more is queued.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=first[0].finished_at)
    work_off_the_queue()
    assert list(DBTaskResult.objects.values_list("status", flat=True).order_by("enqueued_at")) == [
        "FAILED",
        "FAILED",
    ]
