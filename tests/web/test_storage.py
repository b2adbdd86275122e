"""The database is set up as the issue asks: SQLite in WAL mode with a busy timeout and
immediate transactions by default, PostgreSQL through psycopg 3 when DATABASE_URL is set."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_the_database_is_the_one_the_environment_asks_for() -> None:
    if os.environ.get("DATABASE_URL"):
        assert connection.vendor == "postgresql"
        import psycopg

        assert connection.connection.__class__.__module__.startswith("psycopg")
        assert psycopg.__version__.startswith("3")
    else:
        assert connection.vendor == "sqlite"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("this run uses PostgreSQL; the SQLite settings are checked in SQLite runs")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA journal_mode")
        # the test database lives in memory, where SQLite reports 'memory'; a file database
        # (the demo's) reports 'wal' — checked in test_a_file_database_uses_wal
        assert cursor.fetchone()[0] in {"wal", "memory"}


def test_a_file_database_uses_wal(tmp_path: object) -> None:
    import sqlite3
    import subprocess
    import sys

    data_dir = str(tmp_path)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='battkomp.site.settings'; "
        "django.setup(); from django.db import connection; c=connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {**os.environ, "BATTKOMP_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "wal"
    with sqlite3.connect(f"{data_dir}/battkomp.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
