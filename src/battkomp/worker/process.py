"""The task worker as a child process of ``battkomp demo`` and the gunicorn command line both
``battkomp demo`` and ``battkomp serve`` use."""

from __future__ import annotations

import os
import subprocess
import sys

#: gunicorn's worker class and threads per worker process: the crowd's requests wait on the
#: database and the cache as much as on the CPU, and threads keep connections alive (see
#: docs/performance.md for the measurement).
WORKER_CLASS = "gthread"
THREADS = 4


def gunicorn_command(wsgi_app: str, bind: str, workers: int) -> list[str]:
    """The gunicorn command line: threaded workers, no control socket (several instances on
    one host would otherwise share one socket path; battkomp does not use ``gunicornc``)."""
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
        "--threads",
        str(THREADS),
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
