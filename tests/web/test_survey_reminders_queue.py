"""Survey reminders run on the real task queue: the worker's upkeep queues the reminder task on a
weekday in working hours when someone is due (once, whatever the number of workers), and the
worker carries it out: the participant is marked reminded and the e-mail is a mail task the worker
sends. No cron line and nothing sent inline."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from battkomp.survey.models import Participant, ParticipantStatus
from battkomp.survey.tasks import queue_due_reminders, send_reminders

from .test_survey_reminders import company_a, round_

__all__ = ["round_"]  # a fixture used below

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
TUESDAY_9 = dt.datetime(2025, 1, 14, 9, 0, tzinfo=OSLO)
SATURDAY_9 = dt.datetime(2025, 1, 18, 9, 0, tzinfo=OSLO)
TUESDAY_22 = dt.datetime(2025, 1, 14, 22, 0, tzinfo=OSLO)

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


def reminder_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=send_reminders.module_path))


def work_off_the_queue() -> None:
    call_command("run_worker", batch=True, interval=0.01, stdout=io.StringIO())


def test_the_worker_upkeep_queues_the_reminders() -> None:
    from django.conf import settings

    assert "battkomp.survey.tasks.queue_due_reminders" in settings.BATTKOMP_WORKER_UPKEEP


@pytest.mark.django_db(transaction=True)
def test_due_reminders_are_queued_once_and_sent_by_the_worker(queued, world, round_) -> None:
    assert queue_due_reminders(now=TUESDAY_9) is True
    # Queued, not done: nothing sent, nobody marked, a task row waiting.
    (task,) = reminder_tasks()
    assert task.status == "READY"
    assert mail.outbox == []
    assert company_a(round_, world).status == ParticipantStatus.INVITED

    # A second worker's upkeep (or the next round of it) does not queue it again.
    assert queue_due_reminders(now=TUESDAY_9 + dt.timedelta(seconds=5)) is False
    assert len(reminder_tasks()) == 1

    work_off_the_queue()
    (task,) = reminder_tasks()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == 1
    participant = company_a(round_, world)
    assert participant.status == ParticipantStatus.REMINDED
    assert participant.reminders_sent == 1
    # The e-mail was a mail task of its own, sent by the worker too.
    mail_tasks = DBTaskResult.objects.filter(task_path="battkomp.core.mail.send_email")
    assert [t.status for t in mail_tasks] == ["SUCCESSFUL"]
    assert [m.to for m in mail.outbox] == [["a@cellco.test"]]
    assert "Needs 2025" in mail.outbox[0].subject

    # Reminded: nothing is due for another week, so nothing more is queued.
    later = timezone.now() + dt.timedelta(hours=2)
    assert queue_due_reminders(now=later) is False
    assert len(reminder_tasks()) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("when", [SATURDAY_9, TUESDAY_22])
def test_no_reminders_are_queued_outside_working_hours(queued, world, round_, when) -> None:
    assert queue_due_reminders(now=when) is False
    assert reminder_tasks() == []


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_nobody_is_due(queued, world, round_) -> None:
    Participant.objects.filter(round=round_).update(last_reminded_at=TUESDAY_9 - dt.timedelta(1))
    assert queue_due_reminders(now=TUESDAY_9) is False
    assert reminder_tasks() == []


@pytest.mark.django_db(transaction=True)
def test_automatic_reminders_can_be_turned_off(queued, world, round_) -> None:
    queued.BATTKOMP_REMINDER_MIN_DAYS = 0
    assert queue_due_reminders(now=TUESDAY_9) is False
    assert reminder_tasks() == []


@pytest.mark.django_db(transaction=True)
def test_two_reminder_tasks_at_once_remind_once(queued, world, round_) -> None:
    send_reminders.enqueue()
    send_reminders.enqueue()
    work_off_the_queue()
    assert sorted(t.return_value for t in reminder_tasks()) == [0, 1]
    assert company_a(round_, world).reminders_sent == 1
    assert len(mail.outbox) == 1
