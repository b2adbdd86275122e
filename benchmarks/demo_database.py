"""The demo in a throwaway database, for the benchmarks that time the platform rather than the
engine (``report.py``, ``sdc_attack.py``).

Importing this module points Django at the site settings and the data directory at a new
temporary folder (unless the environment names them), so import it before Django. Then::

    with demo_database() as analyst:
        ...  # the demo loaded, ``analyst`` an analyst account

creates a test database (Django's test database utilities: SQLite in a temporary file unless
``DATABASE_URL`` names another server), loads the demo into it and removes it afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
os.environ.setdefault("BATTKOMP_DATA_DIR", tempfile.mkdtemp(prefix="battkomp-bench-"))


@contextmanager
def demo_database() -> Iterator[Any]:
    """Yields an analyst account in a new test database holding the demo; the database is
    destroyed when the block ends, however it ends."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0)
    try:
        from battkomp.accounts.actions import do_create_user
        from battkomp.accounts.models import Role
        from battkomp.demo import load_demo

        load_demo()
        yield do_create_user("bench@example.org", "x-bench-password-1", Role.ANALYST)
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
        teardown_test_environment()
