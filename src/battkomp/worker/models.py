"""Named locks: one row per name, locked for the length of a transaction."""

from __future__ import annotations

from django.db import models


class Lock(models.Model):
    """A row that transactions lock (``SELECT ... FOR UPDATE``) to take turns, e.g. claiming a
    model run while counting the running ones (see :func:`battkomp.worker.locks.hold`)."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class TaskBeat(models.Model):
    """The heartbeat of a background task being carried out: written when ``run_worker`` starts
    it, renewed every ``BATTKOMP_RUN_HEARTBEAT_SECONDS``, removed when it ends. A beat older
    than ``BATTKOMP_RUN_STALE_SECONDS`` means the worker died (see
    :func:`battkomp.worker.heartbeat.reap_lost_tasks`)."""

    #: the id of the task's result row (django-tasks' database backend)
    task_id = models.CharField(max_length=64, unique=True)
    task_path = models.TextField()
    worker = models.CharField(max_length=100)
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.task_path} ({self.task_id}) on {self.worker}"
