"""Sessions are kept in the database and in the shared cache (``cached_db``, decision 55): a
signed-in request reads its session from the cache, with the database behind it, and logging out
ends the session in both."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from web.personas import PASSWORD


def _session_queries(client: Client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_signed_in_request_reads_its_session_from_the_cache(world: Any) -> None:
    client = world.client("company_a")
    path = reverse("survey:my_rounds")
    assert _session_queries(client, path) == (200, [])
    # the cache emptied (or the entry culled): read from the database, and kept again
    cache.clear()
    status, queries = _session_queries(client, path)
    assert status == 200
    assert len(queries) == 1
    assert _session_queries(client, path) == (200, [])


def test_logging_out_ends_the_session_in_the_cache_and_the_database(world: Any) -> None:
    client = Client()
    user = world.users["company_a"]
    assert client.login(username=user.username, password=PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    path = reverse("survey:my_rounds")
    assert client.get(path).status_code == 200

    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get(path).status_code == 200
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    # the old cookie no longer signs anyone in, though the cache had the session
    response = stolen.get(path)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
