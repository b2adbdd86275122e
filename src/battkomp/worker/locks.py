"""Named locks for atomic claims across worker processes and machines."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from battkomp.worker.models import Lock


def hold(name: str) -> None:
    """Lock the row called ``name`` until the current transaction ends (call inside
    ``transaction.atomic``). Whoever holds it may count and change what it guards without
    another process doing the same in between. PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite:
    the immediate transaction already holds the database's write lock."""
    if not transaction.get_connection().in_atomic_block:
        msg = "hold() needs a transaction"
        raise RuntimeError(msg)
    try:
        with transaction.atomic():
            Lock.objects.get_or_create(name=name)
    except IntegrityError:  # created by another process between the look-up and the insert
        pass
    Lock.objects.select_for_update().get(name=name)
