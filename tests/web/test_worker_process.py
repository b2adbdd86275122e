"""The task worker as its own process: started beside gunicorn by ``battkomp demo``, stopped
with SIGTERM (it finishes its task first); gunicorn runs sync workers without a control
socket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from battkomp.worker.process import gunicorn_command, start_worker, stop_worker


def test_gunicorn_runs_sync_workers_with_a_long_timeout_and_no_shared_control_socket() -> None:
    command = gunicorn_command("battkomp.site.wsgi:application", "127.0.0.1:8123", 3)
    assert "--no-control-socket" in command
    assert command[command.index("--worker-class") + 1] == "sync"
    assert "--threads" not in command
    assert int(command[command.index("--timeout") + 1]) >= 120
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123"


def test_serve_runs_two_sync_processes_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker model chosen by measurement (docs/performance.md, decision 56): sync workers,
    two per CPU (at least 2, at most 8)."""
    from battkomp.site.serving import default_workers

    for cpus, expected in ((1, 2), (2, 4), (4, 8), (16, 8), (None, 2)):
        monkeypatch.setattr(os, "cpu_count", lambda cpus=cpus: cpus)
        assert default_workers() == expected, cpus


@pytest.mark.slow
def test_the_worker_starts_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATTKOMP_", "DATABASE_"))}
    env.update(
        BATTKOMP_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="battkomp.site.settings",
    )
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, check=True, timeout=300
    )
    for key in list(os.environ):
        if key.startswith(("BATTKOMP_", "DATABASE_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    worker = start_worker()
    try:
        time.sleep(12)  # Django starts and the worker installs its signal handlers
        assert worker.poll() is None  # running, waiting for tasks
    finally:
        code = stop_worker(worker, timeout=30)
    assert code == 0
