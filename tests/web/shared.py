"""Data a test module builds once and all its tests share: the demo database, model runs,
publications.

Loading the demo, running the model and publishing a run take about a second each time; a module
whose tests all start from them builds them once. How it stays correct:

- ``module_transaction`` opens a transaction when the module's first test starts and rolls it
  back after its last, so nothing outlives the module (and pytest-xdist gives each worker its own
  test database). Each test still runs in a savepoint of its own inside it (pytest-django's
  ``db``), rolled back after the test: no test sees another test's writes.
- The module-scoped fixtures return objects that every test gets afresh from the database
  (``refetch``, ``fresh_world``), so a test that changes an object in memory changes only its
  own copy.

A module that uses them sees the shared data in every test (the database is the same for all of
its tests), so it shares only what all of its tests can start from. Modules that need an empty
database, or ``transaction=True``/``live_server`` tests, keep the function-scoped fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any, TypeVar

import pytest
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test import Client
from django.utils import translation

from battkomp.organisations.models import Organisation
from web.personas import World, make_world

M = TypeVar("M", bound=models.Model)

#: The survey answer the confidentiality tests plant (new hires of one organisation in one
#: area/level/year cell) and then search for in every public page, CSV, XLSX and PDF. It is
#: within the plausible maximum of survey_needs.new_hires (10 000, engine/data/bounds.csv: the
#: platform cannot override it), four different digits so no round number or year looks like
#: it, and hundreds of times the demo's answers, so it dominates its cell and disclosure control
#: must act. ``test_the_planted_number_is_within_bounds_and_nowhere_by_chance`` checks all this.
PLANTED = 9871
_DIGITS = str(PLANTED)
_HEAD = len(_DIGITS) - 3
#: The planted number as a whole number, not part of a longer number's digits (a float written
#: in full precision may hold the digits by chance), with or without thousands separators.
NEEDLE = re.compile(
    rb"(?<![\d.])"
    + _DIGITS[:_HEAD].encode()
    + rb"(?:\xc2\xa0|\xe2\x80\xaf| |,)?"
    + _DIGITS[_HEAD:].encode()
    + rb"(?![\d])"
)
#: The same search in decoded text.
NEEDLE_TEXT = re.compile(
    r"(?<![\d.])" + _DIGITS[:_HEAD] + r"(?:\xa0|\u202f| |,)?" + _DIGITS[_HEAD:] + r"(?!\d)"
)


@pytest.fixture(scope="module")
def module_transaction(django_db_setup: None, django_db_blocker: Any) -> Iterator[Callable]:
    """A transaction around the module's tests; yields ``build(fn)``, which runs ``fn`` with the
    database open (module-scoped fixtures build their data with it)."""

    def build(fn: Callable[[], Any]) -> Any:
        with django_db_blocker.unblock():
            translation.activate("nb")
            return fn()

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield build
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_world(module_transaction: Callable) -> World:
    """The personas (see ``personas.py``), made once for the module."""
    return module_transaction(make_world)


@pytest.fixture(scope="module")
def module_demo(module_transaction: Callable, module_world: World) -> World:
    """The personas and the demo data (``battkomp.demo.load_demo``), made once for the module."""
    from battkomp.demo import load_demo

    module_transaction(load_demo)
    return module_world


def refetch(obj: M) -> M:
    """The object as the database has it now (a copy of the test's own)."""
    return type(obj)._default_manager.get(pk=obj.pk)


def fresh_world(shared: World) -> World:
    """The shared personas, read again from the database, with clients of the test's own that
    carry the same logged-in sessions."""
    users_by_pk = get_user_model()._default_manager.in_bulk([u.pk for u in shared.users.values()])
    orgs = Organisation.objects.in_bulk(
        [shared.company_a.pk, shared.company_b.pk, shared.institution.pk]
    )
    clients: dict[str, Client] = {}
    for name, client in shared.clients.items():
        mine = Client()
        mine.cookies = deepcopy(client.cookies)
        clients[name] = mine
    return World(
        orgs[shared.company_a.pk],
        orgs[shared.company_b.pk],
        orgs[shared.institution.pk],
        {name: users_by_pk[u.pk] for name, u in shared.users.items()},
        clients,
    )


def download_rows(response: Any) -> list[list[str]]:
    """A CSV download's rows, its header row turned back into column codes (downloads have
    headers in the reader's language: ``terms.column_name``), in the download's language."""
    import csv
    import io

    from battkomp.core.terms import column_code

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    if rows:
        with translation.override(response.get("Content-Language") or "nb"):
            rows[0] = [column_code(h) for h in rows[0]]
    return rows


def download_dicts(response: Any) -> list[dict[str, str]]:
    """A CSV download's rows as dicts keyed by column code (see :func:`download_rows`)."""
    header, *rows = download_rows(response)
    return [dict(zip(header, r, strict=False)) for r in rows]


def readable_bytes(content: bytes) -> bytes:
    """The bytes of a response, with an XLSX (a zip) opened up into its XML parts (to search
    a download for a number, whatever its format)."""
    import io
    import zipfile

    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return b"\n".join(z.read(n) for n in z.namelist())
    return content
