"""Publication builds as background tasks (the ``runs`` queue)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from battkomp.analysis.models import ModelRun
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.tasks import queue_all_reports


@task(queue_name="runs")
def publish_run(
    run_id: int,
    user_id: int,
    title_nb: str,
    note_nb: str,
    title_en: str = "",
    note_en: str = "",
) -> int:
    """Build and store the snapshot of a finished run (disclosure control on every table), then
    queue its report files. Returns the new version."""
    run = ModelRun.objects.get(pk=run_id)
    user = get_user_model().objects.get(pk=user_id)
    publication = do_publish_run(
        run, user, title_nb=title_nb, title_en=title_en, note_nb=note_nb, note_en=note_en
    )
    queue_all_reports(publication)
    return int(publication.version)


def publishing_now(run_id: int) -> list[dict[str, Any]]:
    """The snapshots of a run queued or being built right now (the rows of :func:`publish_run`
    in the task queue), oldest first: what the run's page shows while the worker publishes."""
    rows = DBTaskResult.objects.filter(
        task_path=publish_run.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).order_by("enqueued_at")
    english = (get_language() or "nb").startswith("en")

    def title(args: list[Any]) -> str:
        # the task's arguments: run, user, title_nb, note_nb, title_en, note_en
        nb, en = ([*args, "", "", "", "", ""])[2:5:2]
        return str((en or nb) if english else (nb or en))

    return [
        {
            "title": title(row.args_kwargs.get("args") or []),
            "running": row.status == TaskResultStatus.RUNNING,
            "enqueued_at": row.enqueued_at,
            "started_at": row.started_at,
        }
        for row in rows
        if (row.args_kwargs.get("args") or [None])[0] == run_id
    ]
