"""Model runs as background tasks (the ``runs`` queue, carried out by ``run_worker``)."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from battkomp.analysis.models import ModelRun
from battkomp.analysis.runs import actions

#: Seconds before a run that found every slot taken asks again.
BUSY_RETRY_SECONDS = 5


def worker_name() -> str:
    """The worker carrying out tasks in this process (set by ``run_worker``), else host-pid."""
    return os.environ.get("BATTKOMP_WORKER_ID") or f"{socket.gethostname()[:40]}-{os.getpid()}"


@task(queue_name="runs")
def execute_run(run_id: int) -> str:
    """Claim run ``run_id`` and carry it out. When ``BATTKOMP_MAX_CONCURRENT_RUNS`` runs are
    already going, the task queues itself again a few seconds later; a run that is no longer
    queued (done, failed, claimed by another worker) is left alone. Returns what happened."""
    worker = worker_name()
    outcome = actions.claim_run(run_id, worker)
    if outcome == actions.ClaimOutcome.BUSY:
        actions.enqueue_run(run_id, delay_seconds=BUSY_RETRY_SECONDS)
        return "waiting for a free slot"
    if outcome == actions.ClaimOutcome.GONE:
        return "not queued"
    run = ModelRun.objects.get(pk=run_id)
    run = actions.do_execute_run(run, worker=worker)
    return str(run.status)
