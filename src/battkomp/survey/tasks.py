"""Survey reminders on the task queue.

The worker's upkeep (``BATTKOMP_WORKER_UPKEEP``) calls :func:`queue_due_reminders` every few
seconds; on a weekday in working hours, when someone is due a reminder, it queues
:func:`send_reminders` (at most one an hour, over all workers), which marks the participants
reminded and queues their e-mails, in one transaction per participant. No cron line is needed;
``battkomp manage send_reminders`` still runs the same action at once (and ``--dry-run`` shows
what it would send).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from battkomp.survey.actions import do_send_reminders, reminders_due
from battkomp.survey.models import Round, RoundStatus
from battkomp.worker.heartbeat import repeat_when_lost
from battkomp.worker.locks import hold

#: At most one reminder task is queued in this time, whatever the number of workers.
QUEUE_AT_MOST_EVERY = dt.timedelta(hours=1)


@repeat_when_lost
@task(queue_name="default")
def send_reminders(round_id: int | None = None, min_days: int | None = None) -> int:
    """Remind the organisations of open rounds (or of round ``round_id``) that have not
    submitted, at most once every ``min_days`` days (default ``BATTKOMP_REMINDER_MIN_DAYS``).
    Returns how many organisations were reminded."""
    round_ = None
    if round_id is not None:
        round_ = Round.objects.filter(pk=round_id, status=RoundStatus.OPEN).first()
        if round_ is None:
            return 0
    days = settings.BATTKOMP_REMINDER_MIN_DAYS if min_days is None else min_days
    return sum(1 for r in do_send_reminders(round_=round_, min_days=days) if r.sent)


def in_sending_hours(now: dt.datetime) -> bool:
    """Monday to Friday, from ``BATTKOMP_REMINDER_HOURS``'s first hour to before its last, in
    the site's time zone (as the cron line it replaces: weekdays at 08:00)."""
    local = timezone.localtime(now)
    first, last = settings.BATTKOMP_REMINDER_HOURS
    return local.weekday() < 5 and first <= local.hour < last


def queue_due_reminders(now: dt.datetime | None = None) -> bool:
    """Queue :func:`send_reminders` when reminders are due, in sending hours, and no reminder
    task was queued in the last hour (so two workers, or a task that keeps failing, do not queue
    it again and again). ``BATTKOMP_REMINDER_MIN_DAYS = 0`` turns this off. Returns whether a
    task was queued."""
    days = settings.BATTKOMP_REMINDER_MIN_DAYS
    now = now or timezone.now()
    if days <= 0 or not in_sending_hours(now):
        return False
    if not reminders_due(min_days=days, now=now):
        return False
    with transaction.atomic():
        hold("survey.reminders")
        recent = DBTaskResult.objects.filter(
            task_path=send_reminders.module_path,
            enqueued_at__gt=now - QUEUE_AT_MOST_EVERY,
        )
        running = DBTaskResult.objects.filter(
            task_path=send_reminders.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        )
        if recent.exists() or running.exists():
            return False
        send_reminders.enqueue()
    return True
