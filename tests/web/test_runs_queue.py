"""Model runs on the task queue: claimed atomically, capped, with a heartbeat; a run whose worker
died is marked failed with the reason and can be retried; and every run keeps its input bundle,
so it can be repeated with the command line, bit for bit, after the database has changed."""

from __future__ import annotations

import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from battkomp.accounts.models import AccessLog
from battkomp.analysis.models import ModelRun, ModelRunInputs, RunStatus, Scenario
from battkomp.analysis.runs.actions import (
    ClaimOutcome,
    claim_run,
    do_create_run,
    do_retry_run,
    do_start_run,
    reap_stale_runs,
)
from battkomp.analysis.runs.queries import load_frames
from battkomp.cli import main as cli
from battkomp.demo import load_demo

DRAWS = 50
DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "runs"],
    }
}


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    return world


# --- claims, the cap, heartbeats and dead workers ----------------------------------------------


def test_a_run_is_claimed_once(demo: Any) -> None:
    run = do_create_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=1)
    assert claim_run(run.pk, "worker-a") == ClaimOutcome.CLAIMED
    assert claim_run(run.pk, "worker-b") == ClaimOutcome.GONE
    run.refresh_from_db()
    assert (run.status, run.worker, run.attempts) == (RunStatus.RUNNING, "worker-a", 1)
    assert run.heartbeat_at is not None


def test_the_setting_caps_how_many_runs_go_at_once(demo: Any, settings: Any) -> None:
    settings.BATTKOMP_MAX_CONCURRENT_RUNS = 2
    runs = [
        do_create_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=n)
        for n in range(3)
    ]
    outcomes = [claim_run(r.pk, f"w{n}") for n, r in enumerate(runs)]
    assert outcomes == [ClaimOutcome.CLAIMED, ClaimOutcome.CLAIMED, ClaimOutcome.BUSY]
    assert ModelRun.objects.get(pk=runs[2].pk).status == RunStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_exceed_the_cap(settings: Any) -> None:
    settings.BATTKOMP_MAX_CONCURRENT_RUNS = 1
    runs = [ModelRun.objects.create(scenario_name="base", draws=10, seed=n) for n in range(6)]
    barrier = threading.Barrier(6)

    def claim(n: int) -> str:
        try:
            barrier.wait(timeout=30)
            return claim_run(runs[n].pk, f"worker-{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(claim, range(6)))
    assert outcomes.count(ClaimOutcome.CLAIMED) == 1
    assert outcomes.count(ClaimOutcome.BUSY) == 5
    assert ModelRun.objects.filter(status=RunStatus.RUNNING).count() == 1


def test_a_run_whose_worker_died_is_failed_with_the_reason_and_can_be_retried(
    demo: Any, settings: Any
) -> None:
    run = do_create_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=3)
    assert claim_run(run.pk, "host-4242-abc") == ClaimOutcome.CLAIMED
    # A fresh heartbeat: nothing happens.
    assert reap_stale_runs() == 0
    # The worker is killed: no heartbeat any more.
    silent = timezone.now() - timedelta(seconds=settings.BATTKOMP_RUN_STALE_SECONDS + 5)
    ModelRun.objects.filter(pk=run.pk).update(heartbeat_at=silent)
    assert reap_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "host-4242-abc" in run.error
    assert "stopped" in run.error
    page = demo.client("analyst").get(en("analysis:run_detail", run.pk)).content.decode()
    assert "run-progress.js" not in page  # the page no longer follows the run
    assert "Retry the run" in page
    # Retried: queued again, and (tasks run at once in the tests) carried out.
    response = demo.client("analyst").post(en("analysis:run_retry", run.pk))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.attempts == 2
    assert run.error == ""


def test_the_task_result_of_a_run_whose_worker_died_is_failed_too(demo: Any, settings: Any) -> None:
    """The run row is reaped by its heartbeat; the django-tasks row of its task must not stay
    "running" for ever either (the admin's task list, ``get_result``)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from battkomp.analysis.runs.tasks import execute_run

    settings.TASKS = DATABASE_TASKS
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=4)
    assert run.status == RunStatus.QUEUED
    result = DBTaskResult.objects.get(task_path=execute_run.module_path)
    # A worker claims the task and the run, then is killed (no heartbeat any more).
    result.claim("host-4242-abc")
    assert claim_run(run.pk, "host-4242-abc") == ClaimOutcome.CLAIMED
    # Another worker, alive, is carrying out another run meanwhile: left alone.
    alive = DBTaskResult.objects.create(
        task_path=execute_run.module_path,
        args_kwargs={"args": [run.pk + 1000], "kwargs": {}},
        backend_name="default",
        queue_name="runs",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        worker_ids=["host-7-alive"],
    )
    silent = timezone.now() - timedelta(seconds=settings.BATTKOMP_RUN_STALE_SECONDS + 5)
    ModelRun.objects.filter(pk=run.pk).update(heartbeat_at=silent)
    assert reap_stale_runs() == 1

    result.refresh_from_db()
    assert result.status == TaskResultStatus.FAILED
    assert result.finished_at is not None
    assert result.exception_class_path.endswith("WorkerLost")
    run.refresh_from_db()
    assert result.traceback == run.error
    assert "host-4242-abc" in result.traceback
    # As the Tasks API reads it.
    read = execute_run.get_result(str(result.pk))
    assert read.status == TaskResultStatus.FAILED
    assert read.errors[0].exception_class_path.endswith("WorkerLost")
    alive.refresh_from_db()
    assert alive.status == TaskResultStatus.RUNNING


def test_only_a_failed_run_can_be_retried_and_only_by_analysts(demo: Any) -> None:
    from django.core.exceptions import ValidationError
    from django.http import Http404

    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=3)
    assert run.status == RunStatus.DONE
    with pytest.raises(ValidationError):
        do_retry_run(demo.users["analyst"], run)
    with pytest.raises(Http404):
        do_retry_run(demo.users["company_a"], run)
    assert demo.client("company_a").post(en("analysis:run_retry", run.pk)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_carries_out_a_queued_run(settings: Any) -> None:
    from battkomp.accounts.actions import do_create_user
    from battkomp.core.users import Role

    settings.TASKS = DATABASE_TASKS
    load_demo()
    analyst = do_create_user("analyst@example.test", "correct-horse-battery", Role.ANALYST)
    run = do_start_run(analyst, scenario=Scenario.objects.get(name="mid"), draws=DRAWS, seed=5)
    assert run.status == RunStatus.QUEUED
    call_command("run_worker", batch=True, interval=0.01, stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.worker
    assert run.heartbeat_at is not None
    assert run.attempts == 1
    assert ModelRunInputs.objects.filter(run=run).exists()


# --- the inputs are kept -------------------------------------------------------------------------


def test_the_inputs_are_for_analysts_only(demo: Any) -> None:
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=2)
    url = en("analysis:run_inputs", run.pk)
    for persona in ("company_a", "company_b", "institution", "handler"):
        assert demo.client(persona).get(url).status_code == 404, persona
    anonymous = demo.client("anonymous").get(url)
    assert anonymous.status_code == 302
    response = demo.client("analyst").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"].startswith("max-age=0")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "survey_needs.csv" in names
    assert "facilities.csv" in names
    logged = AccessLog.objects.filter(action="download_run_inputs", object_id=str(run.pk))
    assert logged.exclude(organisation=None).exists()  # one entry per company whose answers


def test_a_run_repeated_from_its_inputs_after_the_database_changed_is_bit_identical(
    demo: Any, tmp_path: Path
) -> None:
    from battkomp.organisations.models import Facility
    from battkomp.survey.models import NeedLine

    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=9)
    assert run.status == RunStatus.DONE, run.error
    archive = demo.client("analyst").get(en("analysis:run_inputs", run.pk)).content

    # The database changes: answers revised, a facility gone, the scenario edited.
    NeedLine.objects.update(new_hires=999)
    Facility.objects.order_by("pk").first().delete()
    rerun_now = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=9)
    assert rerun_now.input_hash != run.input_hash  # the live data no longer give the same run

    folder = tmp_path / "inputs"
    zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
    out = tmp_path / "results"
    result = CliRunner().invoke(
        cli,
        [
            "model", "run", "--bundle", str(folder), "--scenario", "mid",
            "--draws", str(DRAWS), "--seed", "9", "-o", str(out), "--format", "parquet",
            "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The analysts' frames: the public run's (on noised answers, "public.*") and its basis
    # ("sdc.*") need the secret key, which the inputs archive never holds.
    stored = load_frames(run)
    assert stored
    assert set(stored) == set(run.frame_names())
    for name, frame in stored.items():
        again = pl.read_parquet(out / f"{name}.parquet")
        assert again.columns == frame.columns, name
        for column in frame.columns:
            a, b = frame[column], again[column]
            if a.dtype.is_numeric():
                assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True), (name, column)
                assert a.to_numpy().tobytes() == b.to_numpy().tobytes(), (name, column)
            else:
                assert a.to_list() == b.to_list(), (name, column)
    meta = dict(pl.read_parquet(out / "meta.parquet").iter_rows())
    assert meta["input_hash"] == run.input_hash
