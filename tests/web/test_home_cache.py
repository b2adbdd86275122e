"""The home page, like a published dashboard, is served whole from the shared cache to anonymous
visitors (the crowd after a press release); it names the latest snapshot, so publishing one
changes it at once (the key names the latest publication). Signed-in people get their own
header; made-up queries do not fill the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from battkomp.analysis.models import Publication
from battkomp.analysis.runs.actions import do_create_run
from battkomp.site import views


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the home page is rendered (not served from the cache)."""
    rendered: list[str] = []
    original = views.render

    def counting(request: Any, template: str, *args: Any, **kwargs: Any) -> Any:
        rendered.append(template)
        return original(request, template, *args, **kwargs)

    monkeypatch.setattr(views, "render", counting)
    return rendered


def publish(world: Any, version: int, title: str) -> Publication:
    """A publication row (the home page shows only its title, date and version)."""
    run = do_create_run(world.users["analyst"], draws=10)
    return Publication.objects.create(
        run=run, version=version, title_nb=title, published_at=timezone.now()
    )


def test_anonymous_visitors_get_the_home_page_from_the_cache(world, builds) -> None:
    first = Client().get("/en/")
    assert first.status_code == 200
    assert builds == ["home.html"]
    second = Client().get("/en/")
    assert second.status_code == 200
    assert builds == ["home.html"]  # not rendered again
    assert second.content == first.content
    assert "csrftoken" not in first.cookies
    assert "Log out" not in first.content.decode()


def test_each_language_has_its_own_page(world, builds) -> None:
    english = Client().get("/en/").content.decode()
    norwegian = Client().get("/").content.decode()
    assert "The ten battery competence commandments" in english
    assert "The ten battery competence commandments" not in norwegian
    assert len(builds) == 2


def test_publishing_changes_the_home_page_at_once(world, builds) -> None:
    before = Client().get("/en/").content.decode()
    assert "Latest results" not in before
    publish(world, 1, "Results 2026")
    after = Client().get("/en/").content.decode()
    assert "Results 2026" in after
    assert "/published/1/dashboard/" in after
    publish(world, 2, "Results 2027")
    newer = Client().get("/en/").content.decode()
    assert "Results 2027" in newer
    assert "Results 2026" not in newer
    assert len(builds) == 3


def test_signed_in_people_get_their_own_header(world, builds) -> None:
    Client().get("/en/")  # cached for anonymous visitors
    page = world.client("analyst").get("/en/").content.decode()
    assert "Log out" in page
    assert "csrfmiddlewaretoken" in page
    assert len(builds) == 2
    # ... and the anonymous page is still the anonymous one.
    assert "Log out" not in Client().get("/en/").content.decode()


def test_made_up_queries_are_served_the_same_cached_page(world, builds) -> None:
    for n in range(5):
        assert Client().get(f"/en/?junk={n}").status_code == 200
    assert builds == ["home.html"]
    keys = getattr(cache, "_cache", {})
    assert sum(":home:" in str(k) for k in keys) <= 1


def test_a_cached_home_page_costs_no_database_query(world, builds) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    publish(world, 1, "Results 2026")
    Client().get("/en/")
    with CaptureQueriesContext(connection) as queries:
        page = Client().get("/en/").content.decode()
    assert "Results 2026" in page
    assert queries.captured_queries == []


def test_a_publication_is_looked_up_once_and_an_unknown_version_every_time(world) -> None:
    from django.db import connection
    from django.http import Http404
    from django.test.utils import CaptureQueriesContext

    from battkomp.analysis.access import access_publication

    published = publish(world, 1, "Results 2026")
    assert access_publication(1) == published
    with CaptureQueriesContext(connection) as queries:
        assert access_publication("1").title == "Results 2026"
    assert queries.captured_queries == []
    for version in (2, 9223372036854775808):
        with pytest.raises(Http404):
            access_publication(version)
    publish(world, 2, "Results 2027")
    assert access_publication(2).title == "Results 2027"  # not remembered as missing
