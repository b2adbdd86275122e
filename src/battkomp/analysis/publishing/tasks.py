"""Publication builds as background tasks (the ``runs`` queue)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from battkomp.analysis.models import ModelRun, Publication
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.report.tasks import queue_all_reports
from battkomp.core import snapshot_cache
from battkomp.worker.heartbeat import WORKER_LOST

logger = logging.getLogger(__name__)


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
    queue its report files and warm the cache with its dashboard (:func:`warm_dashboard`).
    Returns the new version."""
    run = ModelRun.objects.get(pk=run_id)
    user = get_user_model().objects.get(pk=user_id)
    publication = do_publish_run(
        run, user, title_nb=title_nb, title_en=title_en, note_nb=note_nb, note_en=note_en
    )
    queue_all_reports(publication)
    warm_dashboard(publication)
    return int(publication.version)


def warm_dashboard(publication: Publication) -> None:
    """Render the snapshot's public dashboard, its default view, in every language into the
    cache, as the first anonymous visitor would, so that no visitor pays for building it (it
    takes seconds when the server is idle and over 30 s under load). The snapshot is published
    whatever happens here: a page that cannot be built is logged, and built (or refused) when
    someone asks for it."""
    paths = []
    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            paths.append(reverse("published:dashboard", args=[publication.version]))
    try:
        statuses = snapshot_cache.warm_pages(paths)
    except Exception:
        logger.exception("warming the dashboard of snapshot %s failed", publication.version)
        return
    for path, status in statuses.items():
        if status != 200:
            logger.warning("warming %s answered %s; not cached", path, status)


def _title(args: list[Any]) -> str:
    # the task's arguments: run, user, title_nb, note_nb, title_en, note_en
    nb, en = ([*args, "", "", "", "", ""])[2:5:2]
    english = (get_language() or "nb").startswith("en")
    return str((en or nb) if english else (nb or en))


def _reason(row: DBTaskResult[Any, Any]) -> str:
    """Why a publication task failed: the reason of a task whose worker died, else the last
    line of its traceback (the exception and its message)."""
    if row.exception_class_path == WORKER_LOST:
        return str(row.traceback)
    lines = [line for line in str(row.traceback).splitlines() if line.strip()]
    return lines[-1] if lines else row.exception_class_path


def publishing_failed(run_id: int) -> list[dict[str, Any]]:
    """The snapshots of a run whose publication task failed (its worker died, or it raised)
    since the run was last published, newest first: the run's page says so, with the reason,
    and offers the form again."""
    last = Publication.objects.filter(run_id=run_id).order_by("-published_at").first()
    rows = DBTaskResult.objects.filter(
        task_path=publish_run.module_path, status=TaskResultStatus.FAILED
    ).order_by("-finished_at")
    if last is not None:
        rows = rows.filter(finished_at__gt=last.published_at)
    return [
        {
            "title": _title(row.args_kwargs.get("args") or []),
            "finished_at": row.finished_at,
            "reason": _reason(row),
        }
        for row in rows[:200]
        if (row.args_kwargs.get("args") or [None])[0] == run_id
    ][:5]


def publishing_now(run_id: int) -> list[dict[str, Any]]:
    """The snapshots of a run queued or being built right now (the rows of :func:`publish_run`
    in the task queue), oldest first: what the run's page shows while the worker publishes."""
    rows = DBTaskResult.objects.filter(
        task_path=publish_run.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).order_by("enqueued_at")
    return [
        {
            "title": _title(row.args_kwargs.get("args") or []),
            "running": row.status == TaskResultStatus.RUNNING,
            "enqueued_at": row.enqueued_at,
            "started_at": row.started_at,
        }
        for row in rows
        if (row.args_kwargs.get("args") or [None])[0] == run_id
    ]
