"""Inquiry e-mails are sent by the task worker: the page stores the inquiry, the answer or the
reassignment together with its e-mails (the outbox) and queues their delivery; a failed
delivery stays in the outbox for ``send_inquiry_mail`` to try again."""

from __future__ import annotations

from collections.abc import Iterable

from django_tasks import task

from battkomp.contact.actions import STALE_SENDING
from battkomp.contact.models import OutgoingMail
from battkomp.worker.heartbeat import repeat_when_lost


# A mail whose worker died stays "sending" until STALE_SENDING has passed: then it is claimable.
@repeat_when_lost(delay_seconds=STALE_SENDING.total_seconds() + 1)
@task(queue_name="mail")
def deliver_inquiry_mail(mail_id: int) -> bool:
    """Send one stored inquiry e-mail (claimed first, so never twice); whether it went."""
    from battkomp.contact.actions import deliver

    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    return deliver(mail) if mail is not None else False


def queue_delivery(mails: Iterable[OutgoingMail]) -> int:
    """Queue the delivery of each mail; how many were queued."""
    count = 0
    for mail in mails:
        deliver_inquiry_mail.enqueue(mail.pk)
        count += 1
    return count
