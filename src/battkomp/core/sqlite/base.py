"""Django's SQLite backend, with the writers queued in turn instead of in SQLite's busy handler.

The site runs SQLite with immediate transactions (settings.py): every transaction takes the
database's write lock at its ``BEGIN``, so writers queue instead of failing half-way. SQLite's
queue is its busy handler, which does not wake a waiter when the lock is freed: each waiter
sleeps and tries again, after 1, 2, 5, 10, ... and then 100 ms at a time, and whoever happens
to try just after a commit goes next. With one writer per process (gunicorn's sync workers,
the default since decision 56) few wait at once. With threaded workers (gthread, which the site
ran before, or a task worker beside the site) a crowd's saves all wait there at once; late-comers
often win, and a save that lost a few times sleeps 100 ms between tries: the saves' p95 was 2-4
times their median.

So here a transaction that takes the write lock first takes its turn:

- in the process, in the order the threads asked (:class:`_Turns`, a first-come first-served
  lock that hands the turn straight to the next thread);
- between processes, with an exclusive ``flock`` on a file beside the database
  (``<database>-writers``), which the kernel releases when a process dies and which wakes a
  waiting process the moment it is free. A process waits for it in a thread of its own, so a
  writer gives up after the connection's ``timeout`` as it would in SQLite's busy handler.

Only then does it run ``BEGIN IMMEDIATE``, which finds the lock free unless a program outside
these turns (the ``sqlite3`` shell, a backup) holds it; then SQLite's busy handler waits as
before. The turns only order the writers: SQLite's own lock still guards the data, so a turn
released early (a failed commit, a dropped connection) is never wrong, only less orderly. A
writer that waits longer than the connection's ``timeout`` (the busy timeout, 20 s) gets
"database is locked", as it would from SQLite.

Transactions that do not take the write lock at their start (``transaction_mode`` DEFERRED or
unset), in-memory databases and statements outside transactions are left as they are.
"""

from __future__ import annotations

import fcntl
import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Any

from django.db.backends.sqlite3 import base

#: Modes whose ``BEGIN`` takes the write lock.
_WRITING_MODES = frozenset({"IMMEDIATE", "EXCLUSIVE"})


class _Turns:
    """The write turns of one database file in this process: first come, first served within
    the process, then an exclusive ``flock`` between processes (module docstring)."""

    def __init__(self, path: str) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._requests: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()
        self._waiter: threading.Thread | None = None

    def acquire(self, timeout: float) -> bool:
        """Wait for this process's turn, then for the file lock; False after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        if not self._acquire_local(timeout):
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except BaseException:
            self._release_local()
            raise
        # Another process has it: wait in the kernel, in a thread of our own, so that the wait
        # can end at the deadline (a blocked flock cannot be interrupted).
        done: Future[None] = Future()
        self._requests.put(done)
        self._start_waiter()
        try:
            done.result(timeout=max(0.0, deadline - time.monotonic()))
            return True
        except TimeoutError:
            # When it comes, nobody is waiting for it any more: give it back at once.
            done.add_done_callback(lambda _: fcntl.flock(self._fd, fcntl.LOCK_UN))
            self._release_local()
            return False
        except BaseException:
            done.add_done_callback(lambda _: fcntl.flock(self._fd, fcntl.LOCK_UN))
            self._release_local()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._release_local()

    def _acquire_local(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            mine = threading.Lock()
            mine.acquire()
            self._waiting.append(mine)
        if mine.acquire(timeout=timeout):
            return True  # handed over by _release_local
        with self._mutex:
            try:
                self._waiting.remove(mine)
            except ValueError:
                return True  # handed over just after the wait timed out
            return False

    def _release_local(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # the turn passes on; _held stays True
            else:
                self._held = False

    def _start_waiter(self) -> None:
        with self._mutex:
            if self._waiter is None:
                self._waiter = threading.Thread(
                    target=self._wait_for_files, name="sqlite-write-turns", daemon=True
                )
                self._waiter.start()

    def _wait_for_files(self) -> None:
        while True:
            done = self._requests.get()
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException as error:  # an unusable file: the writer raises it
                done.set_exception(error)
            else:
                done.set_result(None)


_turns: dict[tuple[int, str], _Turns] = {}
_turns_guard = threading.Lock()


def _turns_for(name: str) -> _Turns:
    """This process's turns for the database file ``name`` (a forked child makes its own: a
    ``flock`` belongs to the open file, which a child shares with its parent)."""
    key = (os.getpid(), name)
    with _turns_guard:
        turns = _turns.get(key)
        if turns is None:
            turns = _turns[key] = _Turns(f"{name}-writers")
        return turns


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite, with writers taking turns before ``BEGIN IMMEDIATE`` (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_turn: _Turns | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode not in _WRITING_MODES or self.is_in_memory_db():
            super()._start_transaction_under_autocommit()
            return
        turns = _turns_for(str(self.settings_dict["NAME"]))
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        if not turns.acquire(timeout):
            with self.wrap_database_errors:
                raise self.Database.OperationalError(
                    f"database is locked (no turn to write within {timeout:g} s)"
                )
        self._write_turn = turns
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_write_turn()
            raise

    def _end_write_turn(self) -> None:
        turns, self._write_turn = self._write_turn, None
        if turns is not None:
            turns.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._end_write_turn()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._end_write_turn()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._end_write_turn()

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)
        if autocommit:
            self._end_write_turn()
