"""Shared set-up for the test suite.

The helpers that write small input bundles live in ``bundlekit.py`` next to this file; the suite
runs with ``--import-mode=importlib``, so the folder is put on ``sys.path`` for the test modules.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "mail", "runs"],
    }
}


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_at_once() -> Iterator[None]:
    """Tasks (e-mail, model runs, publications) run inside the call that enqueues them, so
    tests see their effects at once; the tests of the queue itself use the database backend."""
    from django.test import override_settings

    # The cache: per process (the site's default is files in the data folder, shared by the
    # workers), emptied before every test.
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(TASKS=IMMEDIATE_TASKS, CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    from django.core.cache import cache

    cache.clear()
