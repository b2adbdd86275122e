"""``battkomp manage run_worker``: carry out the queued background tasks."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from battkomp.worker.heartbeat import task_heartbeat

logger = logging.getLogger("battkomp.worker")


def run_upkeep() -> None:
    """Call every function named in ``BATTKOMP_WORKER_UPKEEP`` once (each in its own try, so
    one failing does not stop the others)."""
    for path in settings.BATTKOMP_WORKER_UPKEEP:
        try:
            import_string(path)()
        except Exception:
            logger.exception("upkeep %s failed", path)


class BeatingWorker(Worker):
    """django-tasks' database worker, with a heartbeat for every task it carries out (see
    :mod:`battkomp.worker.heartbeat`): a task whose worker dies is found by the upkeep."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        with task_heartbeat(str(db_task_result.pk), db_task_result.task_path, self.worker_id):
            super().run_task(db_task_result)


class Command(BaseCommand):
    help = (
        "Carry out queued background tasks (model runs, publications, reports, e-mails) until "
        "stopped (SIGTERM or Ctrl-C end the current task first), and every few seconds the "
        "upkeep: model runs and tasks whose worker stopped sending a heartbeat are marked failed "
        "(tasks safe to repeat, such as e-mails and report files, are queued again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="*",
            help="queues to take tasks from, comma-separated: default, mail, runs (default: all)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when the queue is empty (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="carry out what is queued now, then stop"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after N tasks")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            from django.core.management.base import CommandError

            raise CommandError("--interval must be more than 0 seconds")
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()] or ["*"]
        worker = BeatingWorker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        os.environ["BATTKOMP_WORKER_ID"] = worker_id
        stop = threading.Event()

        def upkeep_loop() -> None:
            while not stop.wait(settings.BATTKOMP_RUN_HEARTBEAT_SECONDS):
                close_old_connections()
                run_upkeep()
            connection.close()

        run_upkeep()
        thread = threading.Thread(target=upkeep_loop, name="battkomp-upkeep", daemon=True)
        thread.start()
        self.stdout.write(f"battkomp worker {worker_id}: queues {', '.join(queues)}")
        self.stdout.flush()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            worker.reset_signals()
