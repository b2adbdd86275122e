"""Every background task has a heartbeat while ``run_worker`` carries it out, and the worker's
upkeep finds a task whose worker died: marked failed with ``WorkerLost`` and a reason naming the
worker; queued again when it is safe to repeat (e-mails, report files, reminders) up to
``LOST_ATTEMPTS`` times; left for a person otherwise (a publication: the run's page says why and
offers the form again). The same mechanism as model runs (``test_runs_queue.py``); a real
``kill -9`` is in ``test_worker_kill.py``."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from battkomp.analysis.publishing.tasks import publish_run, publishing_failed
from battkomp.analysis.report.tasks import render_report
from battkomp.core.mail import send_email
from battkomp.worker.heartbeat import (
    LOST_ATTEMPTS,
    WORKER_LOST,
    reap_lost_tasks,
    task_heartbeat,
)
from battkomp.worker.models import TaskBeat

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "runs"],
    }
}
DEAD = "host-4242-dead"
pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings: Any) -> Any:
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def claimed_by_dead_worker(task: Any, *args: Any, beat: bool = True, **kwargs: Any) -> Any:
    """Queue ``task``, claim it for a worker that then died: its last beat (or, with
    ``beat=False``, its claim) is older than ``BATTKOMP_RUN_STALE_SECONDS``."""
    from django.conf import settings

    result = DBTaskResult.objects.get(pk=task.enqueue(*args, **kwargs).id)
    result.claim(DEAD)
    silent = timezone.now() - timedelta(seconds=settings.BATTKOMP_RUN_STALE_SECONDS + 5)
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=silent)
    if beat:
        TaskBeat.objects.create(
            task_id=str(result.pk), task_path=result.task_path, worker=DEAD, beat_at=silent
        )
    result.refresh_from_db()
    return result


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_for_the_task_it_carries_out_and_stops_after(
    queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[tuple[str, str]]] = []
    real_send = mail.EmailMessage.send

    def send(self: Any, *args: Any, **kwargs: Any) -> int:
        seen.append(list(TaskBeat.objects.values_list("task_id", "task_path")))
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", send)
    result = send_email.enqueue("Hei", "Tekst", ["a@example.test"])
    call_command("run_worker", batch=True, interval=0.01, stdout=io.StringIO())
    assert seen == [[(str(result.id), send_email.module_path)]]
    assert not TaskBeat.objects.exists()
    assert [m.to for m in mail.outbox] == [["a@example.test"]]


def test_the_heartbeat_goes_when_the_task_fails(queue: Any) -> None:
    beats: list[bool] = []

    def fail() -> None:
        with task_heartbeat("t-1", "some.task", "w-1"):
            beats.append(TaskBeat.objects.filter(task_id="t-1", worker="w-1").exists())
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        fail()
    assert beats == [True]
    assert not TaskBeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_lost_email_is_failed_with_the_reason_and_sent_again(queue: Any) -> None:
    lost = claimed_by_dead_worker(send_email, "Hei", "Tekst", ["b@example.test"])
    assert reap_lost_tasks() == 1

    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == WORKER_LOST
    assert DEAD in lost.traceback
    assert "stopped" in lost.traceback
    assert "queued again" in lost.traceback
    assert not TaskBeat.objects.exists()
    # As the Tasks API reads it.
    read = send_email.get_result(str(lost.pk))
    assert read.status == TaskResultStatus.FAILED
    assert read.errors[0].exception_class_path.endswith("WorkerLost")

    again = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert again.task_path == send_email.module_path
    assert again.args_kwargs == lost.args_kwargs
    call_command("run_worker", batch=True, interval=0.01, stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [["b@example.test"]]
    assert reap_lost_tasks() == 0


def test_a_lost_report_file_is_rendered_again(queue: Any) -> None:
    lost = claimed_by_dead_worker(render_report, 12345, "html", "en")
    assert reap_lost_tasks() == 1
    again = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert (again.task_path, again.args_kwargs) == (render_report.module_path, lost.args_kwargs)


def test_a_task_that_keeps_losing_its_worker_is_not_queued_for_ever(queue: Any) -> None:
    for attempt in range(1, LOST_ATTEMPTS + 1):
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
        claimed_by_dead_worker(send_email, "Hei", "Tekst", ["c@example.test"])
        assert reap_lost_tasks() == 1
        queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
        assert queued == (1 if attempt < LOST_ATTEMPTS else 0), attempt
    last = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).latest("finished_at")
    assert "not queued again" in last.traceback


def test_a_lost_publication_is_failed_and_offered_again_on_the_run_page(
    queue: Any, world: Any
) -> None:
    """Not repeated by itself (an analyst asked for it; the form comes back instead): before,
    the run's page said "is being published" for ever and hid the form."""
    from battkomp.analysis.models import ModelRun, RunStatus

    run = ModelRun.objects.create(
        created_by=world.users["analyst"], status=RunStatus.DONE, draws=10, seed=1
    )
    user = world.users["analyst"].pk
    lost = claimed_by_dead_worker(publish_run, run.pk, user, "Behov 2027", "", "Needs 2027", "")
    assert reap_lost_tasks() == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert "queued again" not in lost.traceback
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()

    with translation.override("en"):
        (failed,) = publishing_failed(run.pk)
        url = reverse("analysis:run_detail", args=[run.pk])
        publish = reverse("analysis:run_publish", args=[run.pk])
    assert failed["title"] == "Needs 2027"
    assert DEAD in failed["reason"]
    page = world.client("analyst").get(url).content.decode()
    assert "“Needs 2027” was not published" in page
    assert DEAD in page
    assert 'id="publishing"' not in page  # no longer "being published"
    assert publish in page  # the form is back


def test_a_running_task_that_beats_or_was_just_claimed_is_left_alone(queue: Any) -> None:
    beating = DBTaskResult.objects.get(pk=send_email.enqueue("a", "b", ["d@example.test"]).id)
    beating.claim("host-1-alive")
    TaskBeat.objects.create(
        task_id=str(beating.pk),
        task_path=beating.task_path,
        worker="host-1-alive",
        beat_at=timezone.now(),
    )
    just_claimed = DBTaskResult.objects.get(pk=send_email.enqueue("a", "b", ["e@"]).id)
    just_claimed.claim("host-2-alive")  # its first beat is on its way
    never_beat = claimed_by_dead_worker(send_email, "a", "b", ["f@example.test"], beat=False)

    assert reap_lost_tasks() == 1
    for result, status in (
        (beating, TaskResultStatus.RUNNING),
        (just_claimed, TaskResultStatus.RUNNING),
        (never_beat, TaskResultStatus.FAILED),
    ):
        result.refresh_from_db()
        assert result.status == status, result.args_kwargs
    assert DEAD in never_beat.traceback
