"""A real kill -9 of the task worker in the middle of a model run.

The worker is the real ``run_worker`` command in a process of its own, on a demo database in a
temporary folder, carrying out a queued model run. Its model is slowed down (a pause after every
progress report, installed by a small start-up script, see :data:`SLOW_WORKER`) only so that the
test can be sure to kill it in the middle of the Monte Carlo, whatever the machine's speed. Then:

- killed with SIGKILL: the run is left *running* with no results and no metadata (the results are
  stored in one transaction at the end, so nothing is half-written), and the database is intact;
- a new worker starts: its upkeep marks the run failed within ``BATTKOMP_RUN_STALE_SECONDS``, with
  a reason naming the dead worker and saying to retry;
- retried, the new worker carries it out to the end.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

pytestmark = pytest.mark.slow

T = TypeVar("T")

DRAWS = 2000  # 8 blocks of 250 draws
PAUSE = 1.5  # seconds after each progress report in the slowed worker
STALE = 3  # BATTKOMP_RUN_STALE_SECONDS in the worker's environment

SLOW_WORKER = f"""
import sys, time
import django
django.setup()
import battkomp.engine as engine
real = engine.run_model
def slow_run_model(*args, progress=None, **kwargs):
    def slowed(done, total):
        if progress is not None:
            progress(done, total)
        time.sleep({PAUSE})
    return real(*args, progress=slowed, **kwargs)
engine.run_model = slow_run_model
from django.core.management import execute_from_command_line
execute_from_command_line(["django", "run_worker", "--interval", "0.2", "--queues", "runs"])
"""


def site_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a site in ``tmp_path`` (SQLite, the database task backend), with a
    heartbeat every second and runs found stale after :data:`STALE` seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATTKOMP_", "DATABASE_"))}
    env.update(
        BATTKOMP_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="battkomp.site.settings",
        BATTKOMP_RUN_HEARTBEAT_SECONDS="1",
        BATTKOMP_RUN_STALE_SECONDS=str(STALE),
    )
    return env


@pytest.fixture
def site(tmp_path: Path) -> dict[str, str]:
    """A demo site in ``tmp_path``."""
    env = site_env(tmp_path)
    command = [sys.executable, "-m", "battkomp.cli", "demo", "--no-serve"]
    command += ["--data-dir", env["BATTKOMP_DATA_DIR"]]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return env


def django(env: dict[str, str], code: str) -> str:
    """Run ``code`` with Django set up for the site; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def start(env: dict[str, str], log: Path, script: str | None = None) -> subprocess.Popen[bytes]:
    """A task worker in a process of its own: the plain ``run_worker`` command, or ``script``
    (a worker changed for the test, :data:`SLOW_WORKER` or :data:`HANGING_WORKER`)."""
    if script is not None:
        command = [sys.executable, "-c", script]
    else:
        command = [sys.executable, "-m", "django", "run_worker", "--interval", "0.2"]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)


def kill_9_once(worker: subprocess.Popen[bytes], reached: Callable[[], T]) -> T:
    """Wait until ``reached()`` says the worker got where it is to be killed, then kill it with
    SIGKILL; what ``reached()`` returned. The worker never outlives the call, also on failure."""
    try:
        found = reached()
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
        return found
    finally:
        if worker.poll() is None:
            worker.kill()


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop a worker as the service manager does (SIGTERM), killing it if it does not go."""
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def row(env: dict[str, str], run_id: int) -> dict[str, object]:
    """The run's row and its frames, read straight from the SQLite file (no Django)."""
    db = sqlite3.connect(Path(env["BATTKOMP_DATA_DIR"]) / "battkomp.sqlite3", timeout=30)
    try:
        db.row_factory = sqlite3.Row
        found = db.execute("SELECT * FROM analysis_modelrun WHERE id = ?", (run_id,)).fetchone()
        frames = db.execute(
            "SELECT COUNT(*) FROM analysis_modelrunframe WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        return {**dict(found), "frames": frames}
    finally:
        db.close()


def wait_for(env: dict[str, str], run_id: int, ok, what: str, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = row(env, run_id)
        if ok(current):
            return current
        time.sleep(0.1)
    pytest.fail(f"run {run_id} never {what}: {current}")


def test_a_run_whose_worker_is_killed_is_failed_with_a_reason_and_recovers(
    site: dict[str, str], tmp_path: Path
) -> None:
    run_id = int(
        django(
            site,
            "from battkomp.analysis.models import Scenario\n"
            "from battkomp.analysis.runs.actions import do_create_run, enqueue_run\n"
            f"run = do_create_run(None, scenario=Scenario.objects.get(name='mid'), draws={DRAWS},"
            " seed=7, command=True)\n"
            "enqueue_run(run.pk)\n"
            "print(run.pk)",
        )
    )
    log = tmp_path / "worker.log"
    mid_run = kill_9_once(
        start(site, log, SLOW_WORKER),
        lambda: wait_for(
            site,
            run_id,
            lambda r: r["status"] == "running" and 0 < r["progress_done"] < r["progress_total"],
            "got to the middle of its draws",
            timeout=300,
        ),
    )
    killed_by = str(mid_run["worker"])
    assert killed_by

    # Killed: still "running" (nobody is left to say otherwise), nothing half-written.
    after = row(site, run_id)
    assert after["status"] == "running"
    assert after["frames"] == 0
    assert after["input_hash"] == ""
    assert after["meta"] in ("{}", "null", None)
    db = sqlite3.connect(Path(site["BATTKOMP_DATA_DIR"]) / "battkomp.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()

    # A new worker: its upkeep finds the silent run and marks it failed, with the reason.
    worker = start(site, log)
    try:
        failed = wait_for(
            site, run_id, lambda r: r["status"] == "failed", "was marked failed", timeout=120
        )
        assert killed_by in str(failed["error"])
        assert "stopped" in str(failed["error"])
        assert "Retry the run" in str(failed["error"])
        assert failed["frames"] == 0

        # Retried by an analyst: the new worker carries it out to the end.
        django(
            site,
            "from django.contrib.auth.models import User\n"
            "from battkomp.analysis.models import ModelRun\n"
            "from battkomp.analysis.runs.actions import do_retry_run\n"
            "analyst = User.objects.get(email='analyst@battkomp.example')\n"
            f"do_retry_run(analyst, ModelRun.objects.get(pk={run_id}))",
        )
        done = wait_for(
            site, run_id, lambda r: r["status"] in ("done", "failed"), "finished", timeout=600
        )
        assert done["status"] == "done", done["error"]
        assert done["attempts"] == 2
        assert done["frames"] > 0
        assert done["input_hash"]
        assert done["worker"] != killed_by
    finally:
        stop(worker)


# --- every other task: a publication and an e-mail --------------------------------------------

#: A worker whose every task hangs (in its heartbeat, as a real long task would), to be killed.
HANGING_WORKER = """
import time
import django
django.setup()
from django_tasks.base import Task
def hang(self, *args, **kwargs):
    time.sleep(3600)
Task.call = hang
from django.core.management import execute_from_command_line
execute_from_command_line(["django", "run_worker", "--interval", "0.2"])
"""


@pytest.fixture
def bare_site(tmp_path: Path) -> dict[str, str]:
    """A migrated site with no data (the tasks below need none to be claimed and lost)."""
    env = site_env(tmp_path)
    command = [sys.executable, "-m", "django", "migrate", "-v", "0"]
    subprocess.run(command, env=env, check=True, timeout=600)
    return env


def task_row(env: dict[str, str], task_id: str) -> dict[str, object]:
    db = sqlite3.connect(Path(env["BATTKOMP_DATA_DIR"]) / "battkomp.sqlite3", timeout=30)
    try:
        db.row_factory = sqlite3.Row
        found = db.execute(
            "SELECT * FROM django_tasks_database_dbtaskresult WHERE replace(id, '-', '') = ?",
            (task_id.replace("-", ""),),
        ).fetchone()
        return dict(found)
    finally:
        db.close()


def wait_for_task(env: dict[str, str], task_id: str, status: str, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = task_row(env, task_id)
        if current["status"] == status:
            return current
        time.sleep(0.1)
    pytest.fail(f"task {task_id} never {status}: {current}")


def test_tasks_whose_worker_is_killed_are_failed_and_repeated_or_offered_again(
    bare_site: dict[str, str], tmp_path: Path
) -> None:
    """A publication build and an e-mail, each claimed by a worker then killed with SIGKILL in
    the middle: both stay *running* (nobody is left to say otherwise) until a new worker's
    upkeep marks them failed with the reason; the e-mail is queued again and sent, the
    publication is offered again on its run's page (an analyst asked for it)."""
    queued = django(
        bare_site,
        "from battkomp.analysis.publishing.tasks import publish_run\n"
        "from battkomp.core.mail import send_email\n"
        "print(publish_run.enqueue(77, 1, 'Behov', '', 'Needs', '').id)\n"
        "print(send_email.enqueue('Hei', 'Tekst', ['x@example.test']).id)",
    )
    publish_id, mail_id = queued.split()
    log = tmp_path / "worker.log"
    killed = []
    for task_id in (publish_id, mail_id):
        running = kill_9_once(
            start(bare_site, log, HANGING_WORKER),
            lambda task_id=task_id: wait_for_task(bare_site, task_id, "RUNNING", timeout=300),
        )
        killed.append(str(running["worker_ids"]))
        # killed: still "running" (the next worker's upkeep, the hanging one's too, finds it)
        assert task_row(bare_site, task_id)["status"] == "RUNNING"

    worker = start(bare_site, log)
    try:
        lost_publish = wait_for_task(bare_site, publish_id, "FAILED", timeout=120)
        lost_mail = wait_for_task(bare_site, mail_id, "FAILED", timeout=120)
        for row_, killed_by in ((lost_publish, killed[0]), (lost_mail, killed[1])):
            assert str(row_["exception_class_path"]).endswith("WorkerLost")
            assert "stopped" in str(row_["traceback"])
            assert killed_by.strip('[]"') in str(row_["traceback"])
        # The e-mail is queued again and the new worker sends it.
        sent = django(
            bare_site,
            "import time\n"
            "from django_tasks.base import TaskResultStatus\n"
            "from django_tasks_db.models import DBTaskResult\n"
            "from battkomp.core.mail import send_email\n"
            "for _ in range(1200):\n"
            "    done = DBTaskResult.objects.filter(task_path=send_email.module_path,"
            " status=TaskResultStatus.SUCCESSFUL)\n"
            "    if done.exists():\n"
            "        break\n"
            "    time.sleep(0.1)\n"
            "print(done.count(), done.first().args_kwargs['args'][2] if done.exists() else '')",
        )
        assert sent == "1 ['x@example.test']"
        # The publication is not repeated: its run's page offers the form again, with why.
        failed = django(
            bare_site,
            "from django_tasks_db.models import DBTaskResult\n"
            "from battkomp.analysis.publishing.tasks import publish_run, publishing_failed\n"
            "print(DBTaskResult.objects.filter(task_path=publish_run.module_path).count())\n"
            "print(publishing_failed(77)[0]['reason'])",
        )
        count, reason = failed.split("\n", 1)
        assert count == "1"
        assert "stopped" in reason
    finally:
        stop(worker)
