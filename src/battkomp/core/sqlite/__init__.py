"""Django's SQLite backend with the write lock taken in turn by a process's threads (see
:mod:`battkomp.core.sqlite.base`)."""
