"""Production serving: ``battkomp serve`` checks the environment, migrates, collects the static
files and runs gunicorn; ``battkomp demo`` serves through :func:`run_gunicorn` too.

:func:`production_problems` names every setting that is not fit for production, so that
``battkomp serve`` refuses to start before it imports the settings.

Django is set up here (:func:`setup_django`), not at import: nothing imports a model at module
level.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import click

#: Must equal ``battkomp.site.settings.DEMO_SECRET_KEY`` (a test checks it); repeated here so
#: that ``battkomp serve`` can refuse it before the settings are imported.
DEMO_SECRET_KEY = "battkomp-demo-secret-key-not-for-production-use-0123456789abcdef"
SETTINGS_MODULE = "battkomp.site.settings"
WSGI_APP = "battkomp.site.wsgi:application"
MIN_SECRET_LENGTH = 50


def setup_django(data_dir: Path | None, mode: str) -> None:
    """Point Django at the site's settings in ``mode`` (and at ``data_dir``), and set it up."""
    if data_dir is not None:
        os.environ["BATTKOMP_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ["BATTKOMP_MODE"] = mode
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()


def run_gunicorn(bind: str, workers: int) -> int:
    """Serve the site with gunicorn in a child process until it stops (Ctrl-C stops both)."""
    from battkomp.worker.process import gunicorn_command

    process = subprocess.Popen(gunicorn_command(WSGI_APP, bind, workers), env=os.environ.copy())

    def stop(signum: int, frame: object) -> None:
        # SIGTERM to us (a service manager, `kill`) stops gunicorn gracefully too, instead of
        # leaving it listening on the port; the wait below then returns
        process.send_signal(signal.SIGTERM)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: nothing to forward
        previous = None
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to gunicorn too; give it time to finish its requests.
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.terminate()
            return process.wait()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def production_problems(env: Mapping[str, str]) -> list[str]:
    """Why the environment is not fit to serve in production (empty when it is)."""
    problems = []
    key = env.get("BATTKOMP_SECRET_KEY", "")
    if not key:
        problems.append(
            "BATTKOMP_SECRET_KEY is not set. Set it to a long random secret, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'."
        )
    elif key == DEMO_SECRET_KEY:
        problems.append("BATTKOMP_SECRET_KEY is the demo key; set a secret of your own.")
    elif len(key) < MIN_SECRET_LENGTH or len(set(key)) < 5:
        problems.append(
            f"BATTKOMP_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters."
        )
    hosts = [h.strip() for h in env.get("BATTKOMP_ALLOWED_HOSTS", "").split(",")]
    if not any(hosts):
        problems.append(
            "BATTKOMP_ALLOWED_HOSTS is not set: give the host names the site answers to, "
            "separated by commas (e.g. battkomp.example.org)."
        )
    return problems


def default_workers() -> int:
    """Two synchronous gunicorn processes per CPU (at least 2, at most 8): measured on 2 cores,
    4 sync workers served the cached pages within 1.5x of the static file and 50 concurrent
    saves at p95 338 ms, and a slow first build of a dashboard view holds one of four
    (docs/performance.md, issue 11 session 7; decision 56)."""
    return max(2, min(2 * (os.cpu_count() or 1), 8))


def run_serve(bind: str, workers: int) -> int:
    """``battkomp serve``: check the settings, migrate, collect static files, serve."""
    problems = production_problems(os.environ)
    if problems:
        click.echo("battkomp serve refuses to start:", err=True)
        for p in problems:
            click.echo(f"  • {p}", err=True)
        click.echo("See docs/operations.md.", err=True)
        return 2
    setup_django(None, "production")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("check", deploy=True, fail_level="ERROR")
    click.echo(f"Serving battkomp on {bind} with {workers} workers.")
    sys.stdout.flush()
    return run_gunicorn(bind, workers)
