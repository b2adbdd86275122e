"""The task worker as a child process of ``battkomp demo`` and the gunicorn command line both
``battkomp demo`` and ``battkomp serve`` use."""

from __future__ import annotations

import os
import subprocess
import sys

#: gunicorn's worker class: synchronous workers, a request at a time per process, chosen by
#: measurement on 2 cores (docs/performance.md, decision 56): they take connections from the
#: kernel's one accept queue in turn, so 50 concurrent respondents' saves are served in order,
#: where threaded workers let one process keep most of the kept-alive connections and its
#: requests wait twice as long. They need a buffering reverse proxy in front of them in
#: production (docs/operations.md), as every sync worker does.
WORKER_CLASS = "sync"
#: Seconds a request may take before gunicorn replaces its worker: a filtered dashboard view
#: built by its first visitor can take tens of seconds on a loaded machine (gunicorn's 30 s
#: default would kill it, and the view would never be cached).
TIMEOUT = 120


def gunicorn_command(wsgi_app: str, bind: str, workers: int) -> list[str]:
    """The gunicorn command line: sync workers, a long request timeout, no control socket
    (several instances on one host would otherwise share one socket path; battkomp does not use
    ``gunicornc``)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        wsgi_app,
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        WORKER_CLASS,
        "--timeout",
        str(TIMEOUT),
        "--no-control-socket",
        "--access-logfile",
        "-",
    ]


def start_worker() -> subprocess.Popen[bytes]:
    """Start ``run_worker`` in a child process with this process's settings (environment)."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", "run_worker", "--interval", "1"],
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
    )


def stop_worker(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Stop the worker: SIGTERM lets it finish its current task; after ``timeout`` it is
    killed (a run cut short is marked failed by the next worker's upkeep)."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
