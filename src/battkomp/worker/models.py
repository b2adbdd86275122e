"""Named locks: one row per name, locked for the length of a transaction."""

from __future__ import annotations

from django.db import models


class Lock(models.Model):
    """A row that transactions lock (``SELECT ... FOR UPDATE``) to take turns, e.g. claiming a
    model run while counting the running ones (see :func:`battkomp.worker.locks.hold`)."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name
