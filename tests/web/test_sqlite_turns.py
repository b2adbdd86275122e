"""SQLite writers take turns before BEGIN IMMEDIATE (battkomp.core.sqlite.base): first come,
first served among a process's threads, a file lock between processes, "database is locked"
after the timeout, and the turn always given back when a transaction ends."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction

from battkomp.core.sqlite.base import _Turns, _turns_for
from battkomp.organisations.models import Organisation, OrganisationKind


def test_threads_get_their_turns_in_the_order_they_asked(tmp_path: Path) -> None:
    turns = _Turns(str(tmp_path / "db-writers"))
    assert turns.acquire(5)
    order: list[int] = []
    queued = [threading.Event() for _ in range(4)]

    def writer(n: int) -> None:
        queued[n].set()
        assert turns.acquire(30)
        order.append(n)
        turns.release()

    threads = []
    for n in range(4):  # each one waiting before the next asks
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        queued[n].wait()
        while len(turns._waiting) < n + 1:
            threading.Event().wait(0.001)
        threads.append(thread)
    turns.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3]
    assert turns.acquire(0)  # free again
    turns.release()


def test_a_thread_that_waits_too_long_gives_up_and_leaves_the_queue(tmp_path: Path) -> None:
    turns = _Turns(str(tmp_path / "db-writers"))
    assert turns.acquire(5)
    assert not turns.acquire(0.05)
    assert not turns._waiting
    turns.release()
    assert turns.acquire(0)
    turns.release()


HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


def test_another_process_holding_the_file_lock_makes_a_writer_wait(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers")
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        assert other.stdout is not None
        assert other.stdin is not None
        assert other.stdout.readline().strip() == "held"
        turns = _Turns(path)
        assert not turns.acquire(0.1)  # gives up; its wait goes on in the background
        got = threading.Event()

        def writer() -> None:
            if turns.acquire(60):
                got.set()
                turns.release()

        thread = threading.Thread(target=writer)
        thread.start()
        assert not got.is_set()
        other.stdin.write("\n")
        other.stdin.flush()
        thread.join()
        assert got.is_set()


def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the turns are SQLite's; PostgreSQL queues writers itself")


@pytest.mark.django_db(transaction=True)
def test_the_turn_is_given_back_after_commit_rollback_and_a_dropped_connection() -> None:
    _sqlite_only()
    turns = _turns_for(str(connection.settings_dict["NAME"]))
    with transaction.atomic():
        Organisation.objects.create(name="Turns AS", kind=OrganisationKind.COMPANY)
        assert connection._write_turn is turns
    assert connection._write_turn is None

    def fails() -> None:
        with transaction.atomic():
            Organisation.objects.create(name="Turns 2 AS", kind=OrganisationKind.COMPANY)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fails()
    assert connection._write_turn is None
    assert not Organisation.objects.filter(name="Turns 2 AS").exists()
    with transaction.atomic():
        Organisation.objects.count()
        connection.close()  # e.g. a health check failing mid-way
    assert connection._write_turn is None
    assert turns.acquire(0)  # nobody holds it
    turns.release()


@pytest.mark.django_db(transaction=True)
def test_a_second_connection_of_the_same_thread_gets_database_is_locked() -> None:
    """The same as SQLite's busy timeout: a writer whose turn does not come in time fails."""
    _sqlite_only()
    other = connections.create_connection("default")
    other.settings_dict = {
        **other.settings_dict,
        "OPTIONS": {**other.settings_dict["OPTIONS"], "timeout": 0.1},
    }
    try:
        with transaction.atomic():
            Organisation.objects.create(name="Turns 3 AS", kind=OrganisationKind.COMPANY)
            with pytest.raises(OperationalError, match="database is locked"):
                other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        assert other._write_turn is None
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_threads_all_succeed() -> None:
    _sqlite_only()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for k in range(5):
                with transaction.atomic():
                    Organisation.objects.create(
                        name=f"Turns writer {n}-{k} AS", kind=OrganisationKind.COMPANY
                    )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Organisation.objects.filter(name__startswith="Turns writer").count() == 40
