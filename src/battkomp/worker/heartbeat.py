"""Heartbeats for every background task, and the upkeep that finds tasks whose worker died.

The mechanism model runs started with (:mod:`battkomp.analysis.runs.actions`), made general:

- ``run_worker`` claims a task (django-tasks' database backend) and, while it carries it out,
  a :class:`Heartbeat` thread writes the task's :class:`~battkomp.worker.models.TaskBeat` every
  ``BATTKOMP_RUN_HEARTBEAT_SECONDS`` (a model run's thread also writes the run's own heartbeat);
- the worker's upkeep (:func:`reap_lost_tasks`) marks failed every *running* task whose beat is
  older than ``BATTKOMP_RUN_STALE_SECONDS`` (its worker was killed by a deploy, ``kill -9`` or
  the OOM killer, or the machine restarted), with :class:`WorkerLost` and a reason naming the
  worker, as the run reaper does for runs;
- a task that is safe to carry out again (:func:`repeat_when_lost`: e-mails, report files,
  reminders) is queued again at once, up to :data:`LOST_ATTEMPTS` times over all; the others
  (a publication, a model run) stay failed and a person starts them again (the run's page shows
  why and offers the form again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("battkomp.worker")

#: Times one task (the same function with the same arguments) may be carried out when its
#: workers keep dying, before it is left failed (a task that kills its worker every time, by
#: running out of memory say, is not tried for ever).
LOST_ATTEMPTS = 3


class WorkerLost(Exception):  # noqa: N818 (a state, as the task results record it)
    """The worker carrying out a task stopped without a word (killed, out of memory, its machine
    restarted). Never raised: the task result of a reaped task names it as its exception."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


class Heartbeat:
    """Calls ``beat`` every ``BATTKOMP_RUN_HEARTBEAT_SECONDS`` from a thread of its own while
    the ``with`` block runs (the work itself may hold the interpreter for a while between
    progress reports). A database error in one beat is logged; the next beat tries again."""

    def __init__(self, beat: Callable[[], object], name: str) -> None:
        self.beat, self.name = beat, name
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.wait(settings.BATTKOMP_RUN_HEARTBEAT_SECONDS):
                try:
                    self.beat()
                except DatabaseError:  # a busy database: the next beat tries again
                    logger.warning("heartbeat of %s not written", self.name, exc_info=True)
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


# --- tasks that may be carried out again -----------------------------------------------------


@dataclass(frozen=True)
class Repeat:
    """How a task whose worker died is queued again: after ``delay_seconds``."""

    delay_seconds: float = 0


_REPEATABLE: dict[str, Repeat] = {}


def repeat_when_lost(task: Any = None, *, delay_seconds: float = 0) -> Any:
    """Mark a task (a ``@task`` function) as safe to carry out again when its worker died
    mid-way: it is idempotent, or at least repeating it does no harm (an e-mail sent twice).
    Use as ``@repeat_when_lost`` above ``@task``, or with ``delay_seconds``."""

    def mark(t: Any) -> Any:
        _REPEATABLE[t.module_path] = Repeat(delay_seconds)
        return t

    return mark(task) if task is not None else mark


def repeat_of(task_path: str) -> Repeat | None:
    """How the task at ``task_path`` is repeated when lost, None when it is not (its module is
    imported first: that is where it is marked)."""
    try:
        import_string(task_path)
    except ImportError:
        return None
    return _REPEATABLE.get(task_path)


# --- the beat of a task being carried out ----------------------------------------------------


def begin_task(task_id: str, task_path: str, worker: str) -> None:
    """Record that ``worker`` has started task ``task_id`` (its first beat)."""
    from battkomp.worker.models import TaskBeat

    TaskBeat.objects.update_or_create(
        task_id=str(task_id),
        defaults={"task_path": task_path, "worker": worker[:100], "beat_at": timezone.now()},
    )


def beat_task(task_id: str, worker: str) -> bool:
    """Say that ``worker`` is still carrying out task ``task_id``; False when the task is no
    longer its own (it was declared dead meanwhile)."""
    from battkomp.worker.models import TaskBeat

    return bool(
        TaskBeat.objects.filter(task_id=str(task_id), worker=worker[:100]).update(
            beat_at=timezone.now()
        )
    )


def end_task(task_id: str) -> None:
    from battkomp.worker.models import TaskBeat

    TaskBeat.objects.filter(task_id=str(task_id)).delete()


@contextmanager
def task_heartbeat(task_id: str, task_path: str, worker: str) -> Iterator[None]:
    """Beat for task ``task_id`` while the block runs; the beat goes when it ends (however)."""
    begin_task(task_id, task_path, worker)
    try:
        with Heartbeat(lambda: beat_task(task_id, worker), f"task-{task_id}"):
            yield
    finally:
        try:
            end_task(task_id)
        except DatabaseError:  # the reaper deletes a stale beat of a finished task too
            logger.warning("beat of task %s not removed", task_id, exc_info=True)


# --- the upkeep: tasks whose worker died ------------------------------------------------------


def lost_reason(worker: str, since: Any) -> str:
    """The reason stored with a task (or run) whose worker stopped, in English like the other
    errors in the task table."""
    when = timezone.localtime(since).strftime("%Y-%m-%d %H:%M:%S") if since else "?"
    return (
        f"The worker carrying out this task ({worker or '?'}) stopped: no sign of life since "
        f"{when}, more than {settings.BATTKOMP_RUN_STALE_SECONDS} seconds ago. It was probably "
        "stopped by a restart or ran out of memory."
    )


def fail_task_results(ids: list[Any], reason: str) -> int:
    """Mark failed, with :class:`WorkerLost` and ``reason``, those of the task results ``ids``
    still *running*. Returns how many."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not ids:
        return 0
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        return_value=None,
        exception_class_path=WORKER_LOST,
        traceback=reason,
    )


def _times_lost(result: Any) -> int:
    """How many times this task (function and arguments) was lost with its worker before."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return sum(
        1
        for other in DBTaskResult.objects.filter(
            task_path=result.task_path,
            status=TaskResultStatus.FAILED,
            exception_class_path=WORKER_LOST,
        ).only("args_kwargs")
        if other.args_kwargs == result.args_kwargs
    )


def _repeat(result: Any, how: Repeat) -> None:
    """Queue the lost task ``result`` again: a new task result, same function, arguments,
    queue and priority."""
    run_after = timezone.now() + timedelta(seconds=how.delay_seconds) if how.delay_seconds else None
    call = result.args_kwargs or {}
    result.task.using(run_after=run_after).enqueue(
        *(call.get("args") or []), **(call.get("kwargs") or {})
    )


def reap_lost_tasks() -> int:
    """The worker's upkeep: mark failed every *running* task whose worker has not beaten for
    ``BATTKOMP_RUN_STALE_SECONDS`` (or that was claimed that long ago and never beat: a worker
    killed between claiming and its first beat), and queue again those that may be repeated.
    Returns how many tasks were marked failed."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from battkomp.worker.models import TaskBeat

    cutoff = timezone.now() - timedelta(seconds=settings.BATTKOMP_RUN_STALE_SECONDS)
    stale = {b.task_id: b for b in TaskBeat.objects.filter(beat_at__lt=cutoff)}
    beating = set(TaskBeat.objects.filter(beat_at__gte=cutoff).values_list("task_id", flat=True))
    count = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        key = str(result.pk)
        if key in beating:
            continue
        beat = stale.get(key)
        if beat is None and (result.started_at is None or result.started_at >= cutoff):
            continue  # just claimed: its first beat is on its way
        worker = beat.worker if beat else (list(result.worker_ids or [])[-1:] or [""])[0]
        reason = lost_reason(worker, beat.beat_at if beat else result.started_at)
        how = repeat_of(result.task_path)
        if how is not None and _times_lost(result) + 1 >= LOST_ATTEMPTS:
            logger.error(
                "task %s (%s) lost its worker %d times: not queued again",
                result.pk,
                result.task_path,
                LOST_ATTEMPTS,
            )
            reason += f" It lost its worker {LOST_ATTEMPTS} times and is not queued again."
            how = None
        elif how is not None:
            reason += " It is queued again."
        if not fail_task_results([result.pk], reason):
            continue  # it ended meanwhile
        count += 1
        logger.warning("task %s (%s) lost its worker %s", result.pk, result.task_path, worker)
        if how is not None:
            _repeat(result, how)
    # beats left behind by tasks that are over (their worker died after the task ended)
    TaskBeat.objects.filter(beat_at__lt=cutoff).exclude(
        task_id__in=[
            str(pk)
            for pk in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
                "pk", flat=True
            )
        ]
    ).delete()
    return count
