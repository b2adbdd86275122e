"""Set-up for the platform's tests: the personas (``world``, from ``personas.py``), fast password
hashing and bokmål as the starting language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from web.personas import world  # the `world` fixture: the personas and their clients
from web.shared import module_demo, module_transaction, module_world  # data built once a module

__all__ = ["module_demo", "module_transaction", "module_world", "world"]


@pytest.fixture(autouse=True, scope="session")
def _fast_argon2() -> Iterator[None]:
    """Argon2 with tiny costs in tests: the same algorithm (hashes still start with "argon2"), a
    fraction of the time (Django's defaults take ~0.1-0.5 s per hash, six per `world`). Session-
    wide, so data that a module builds once (see ``shared.py``) gets fast hashes too."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Argon2PasswordHasher, "time_cost", 1)
        mp.setattr(Argon2PasswordHasher, "memory_cost", 64)
        mp.setattr(Argon2PasswordHasher, "parallelism", 1)
        yield


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A data folder of each test's own: files kept there (the generated reports, named by the
    publication's id) never come from another test, or from another worker's database, whose
    ids are the same numbers."""
    settings.DATA_DIR = tmp_path_factory.mktemp("data")


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Start every test in bokmål: a request to /en/... leaves English active in the thread, and
    reverse() in the next test would then give /en/ addresses."""
    from django.utils import translation

    translation.activate("nb")
