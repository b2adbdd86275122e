"""No inquiry is lost when e-mail fails: the e-mails wait in the outbox (failed, with the error
and the number of attempts) and ``send_inquiry_mail`` sends them once the server is back."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from battkomp.contact.actions import deliver, do_answer, do_submit_inquiry
from battkomp.contact.models import (
    Inquiry,
    InquiryStatus,
    MailKind,
    MailStatus,
    OutgoingMail,
)
from web.contact_support import FAILING_BACKEND, FailingEmailBackend, contact_data, rule


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("send_inquiry_mail", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    FailingEmailBackend.calls = 0
    return settings


def test_the_inquiry_is_kept_and_the_visitor_thanked_when_the_mail_server_is_down(world, smtp_down):
    rule(world.users["handler"], topic="education")
    response = world.client("anonymous").post(reverse("contact:contact"), contact_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("contact:sent")
    inquiry = Inquiry.objects.get()
    assert (inquiry.status, inquiry.owner) == (InquiryStatus.ASSIGNED, world.users["handler"])
    mails = list(OutgoingMail.objects.order_by("id"))
    assert [m.kind for m in mails] == [MailKind.ACKNOWLEDGEMENT, MailKind.NOTIFICATION]
    for m in mails:
        assert (m.status, m.attempts) == (MailStatus.FAILED, 1)
        assert m.last_error == "SMTPException: 421 service not available (test)"
        assert m.sent_at is None
    assert FailingEmailBackend.calls == 2
    # The handler sees it in the queue, with the failed e-mails on its page.
    page = world.client("handler").get(reverse("contact:detail", args=[inquiry.pk]))
    assert page.content.decode().count('class="mail failed"') == 2


def test_the_retry_command_sends_what_failed_once_the_server_is_back(world, smtp_down):
    rule(world.users["handler"], topic="education")
    do_submit_inquiry(**_values())
    out, _err = run()
    assert "0 sent, 2 failed" in out
    assert OutgoingMail.objects.filter(status=MailStatus.FAILED, attempts=2).count() == 2

    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out, _err = run()
    assert "2 sent, 0 failed, 0 given up" in out
    assert sorted(m.to[0] for m in mail.outbox) == ["handler@battkomp.test", "ola@example.org"]
    for m in OutgoingMail.objects.all():
        assert (m.status, m.attempts, m.last_error) == (MailStatus.SENT, 3, "")
        assert m.sent_at is not None
    # Nothing is sent twice.
    out, _err = run()
    assert "0 sent, 0 failed" in out
    assert len(mail.outbox) == 2


def test_an_answer_is_stored_even_when_it_cannot_be_sent(world, smtp_down):
    rule(world.users["handler"], topic="education")
    inquiry = do_submit_inquiry(**_values())
    answer = do_answer(inquiry, world.users["handler"], "Se fagskolen.no.")
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert answer.text == "Se fagskolen.no."
    sent_answer = OutgoingMail.objects.get(kind=MailKind.ANSWER)
    assert sent_answer.status == MailStatus.FAILED
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run()
    sent_answer.refresh_from_db()
    assert sent_answer.status == MailStatus.SENT
    assert [m.to for m in mail.outbox if "Se fagskolen.no." in m.body] == [["ola@example.org"]]


def test_after_max_attempts_the_command_gives_up_and_says_so(world, smtp_down):
    do_submit_inquiry(**_values())  # unrouted: the acknowledgement and the handler's notice
    count = OutgoingMail.objects.count()
    assert count == 2
    run("--max-attempts", "3")
    run("--max-attempts", "3")
    assert OutgoingMail.objects.filter(attempts=3).count() == count
    out, err = run("--max-attempts", "3")
    assert "0 sent, 0 failed" in out
    assert f"{count} given up" in out
    assert err.count("given up") == count
    assert "SMTPException" in err


def test_a_dry_run_sends_nothing(world, smtp_down):
    do_submit_inquiry(**_values())
    calls = FailingEmailBackend.calls
    out, _err = run("--dry-run")
    assert "would send" in out
    assert FailingEmailBackend.calls == calls
    assert not OutgoingMail.objects.filter(attempts__gt=1).exists()


def test_bad_options(world):
    with pytest.raises(CommandError):
        run("--max-attempts", "0")


def test_a_mail_being_sent_elsewhere_is_not_sent_twice(world):
    inquiry = do_submit_inquiry(**_values(), send=False)
    ack = inquiry.mails.get(kind=MailKind.ACKNOWLEDGEMENT)
    OutgoingMail.objects.filter(pk=ack.pk).update(
        status=MailStatus.SENDING, last_attempt_at=timezone.now(), attempts=1
    )
    assert deliver(ack) is False
    assert mail.outbox == []
    # A claim left behind by a process that died is taken over after a while.
    OutgoingMail.objects.filter(pk=ack.pk).update(
        last_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert deliver(ack) is True
    assert len(mail.outbox) == 1
    assert deliver(ack) is False  # sent is sent
    assert len(mail.outbox) == 1


def _values() -> dict[str, str]:
    data = contact_data()
    data.pop("website")
    return data


def test_analysts_see_in_the_queue_how_many_mails_failed(world, smtp_down):
    do_submit_inquiry(**_values())
    response = world.client("analyst").get(reverse("contact:queue"))
    assert response.context["failed_mails"] == 2
    assert 'id="failed-mails"' in response.content.decode()
    assert world.client("handler").get(reverse("contact:queue")).context["failed_mails"] == 0


@pytest.mark.parametrize(
    ("language", "when"), [("nb", "6. desember 2026 00:30"), ("en", "6 December 2026, 00:30")]
)
def test_the_answer_dates_the_inquiry_in_oslo_in_the_readers_way(world, language, when):
    """23:30 UTC on 5 December is 00:30 on 6 December in Oslo; British dates in English."""
    rule(world.users["handler"], topic="education")
    inquiry = do_submit_inquiry(**_values())
    Inquiry.objects.filter(pk=inquiry.pk).update(
        created_at=dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC), language=language
    )
    inquiry.refresh_from_db()
    do_answer(inquiry, world.users["handler"], "Se fagskolen.no.")
    body = OutgoingMail.objects.get(kind=MailKind.ANSWER).body
    assert when in body, body
