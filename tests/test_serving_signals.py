"""SIGTERM to `battkomp demo` or `battkomp serve` stops gunicorn too: the parent forwards it to
the gunicorn child (a graceful stop) instead of dying and leaving the port taken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The parent: run_gunicorn with a stand-in for gunicorn that writes its pid, exits on SIGTERM
# (as gunicorn does, gracefully) and otherwise would run for a minute.
PARENT = """
import sys
import battkomp.worker.process as process
from battkomp.site import serving

CHILD = (
    "import os, signal, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(60)"
)
process.gunicorn_command = lambda app, bind, workers: [sys.executable, "-c", CHILD, sys.argv[1]]
print("exit", serving.run_gunicorn("127.0.0.1:1", 1), flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_to_the_parent_stops_the_gunicorn_child(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(pidfile)], stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        child = int(pidfile.read_text())
        parent.send_signal(signal.SIGTERM)
        out, _ = parent.communicate(timeout=20)
        assert "exit 0" in out, out
        for _ in range(100):
            if not _alive(child):
                break
            time.sleep(0.05)
        assert not _alive(child), "gunicorn was left running after SIGTERM"
    finally:
        if parent.poll() is None:
            parent.kill()
