"""Published snapshots never change, so their dashboard, downloads and report files are built
once and then served from the cache every worker shares (the tests use a per-process cache)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.models import Publication, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo

DRAWS = 50


@pytest.fixture
def publication(world: Any) -> Publication:
    load_demo()
    run = do_start_run(
        world.users["analyst"], scenario=Scenario.objects.get(name="mid"), draws=DRAWS, seed=3
    )
    assert run.status == "done", run.error
    return do_publish_run(run, world.users["analyst"], title="Cached")


@pytest.fixture
def table_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a snapshot table (parquet) during the test."""
    reads: list[str] = []
    original = Publication.table

    def counting(self: Publication, name: str) -> Any:
        reads.append(name)
        return original(self, name)

    monkeypatch.setattr(Publication, "table", counting)
    return reads


def dashboard(version: int) -> str:
    with translation.override("en"):
        return reverse("published:dashboard", args=[version])


def test_the_dashboard_is_built_once_and_then_served_from_the_cache(
    publication: Publication, table_reads: list[str]
) -> None:
    url = dashboard(publication.version)
    first = Client().get(url)
    assert first.status_code == 200
    assert table_reads  # the first visitor builds it
    table_reads.clear()
    second = Client().get(url)
    assert second.status_code == 200
    assert table_reads == []  # the next ones are served from the cache
    assert first.content == second.content


def test_anonymous_visitors_get_the_whole_page_from_the_cache_and_can_switch_language(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from battkomp.analysis.dashboards import public

    url = dashboard(publication.version)
    first = Client(enforce_csrf_checks=True).get(url)
    assert "csrfmiddlewaretoken" not in first.content.decode()  # nothing per visitor
    assert "csrftoken" not in first.cookies
    built: list[int] = []
    monkeypatch.setattr(public, "_shape", lambda p: built.append(1))  # would fail if called
    client = Client(enforce_csrf_checks=True)
    again = client.get(url)
    assert again.content == first.content
    assert built == []
    switched = client.post("/i18n/setlang/", {"language": "nb", "next": url})
    assert switched.status_code == 302


def test_signed_in_people_get_their_own_header_around_the_cached_content(
    publication: Publication, world: Any
) -> None:
    url = dashboard(publication.version)
    Client().get(url)
    page = world.client("analyst").get(url).content.decode()
    assert "Log out" in page
    assert "Log out" not in Client().get(url).content.decode()


def test_filters_are_cached_each_and_bad_filters_are_not(
    publication: Publication, table_reads: list[str]
) -> None:
    from django.core.cache import cache

    url = dashboard(publication.version)
    Client().get(url + "?level=nkr4")
    table_reads.clear()
    assert Client().get(url + "?level=nkr4").status_code == 200
    assert table_reads == []
    before = len(cache._cache)  # type: ignore[attr-defined]
    for n in range(5):
        assert Client().get(url + f"?year_from=17{n}").status_code == 400
    assert len(cache._cache) == before  # type: ignore[attr-defined]


def test_downloads_are_built_once(publication: Publication, table_reads: list[str]) -> None:
    with translation.override("en"):
        url = reverse("published:download", args=[publication.version, "totals", "csv"])
        view = dashboard(publication.version) + "?view=national&format=xlsx"
    for target in (url, view):
        first = Client().get(target)
        assert first.status_code == 200
        table_reads.clear()
        again = Client().get(target)
        assert again.content == first.content
        assert table_reads == []
    assert Client().get(url.replace("totals", "no_such_table")).status_code == 404


def test_the_report_is_written_by_the_task_and_then_read_from_disk(
    publication: Publication, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from battkomp.analysis.report import files

    with translation.override("en"):
        url = reverse("published:report", args=[publication.version]) + "?format=html&lang=en"
    # No worker yet (a queue that never runs): the visitor is told to come back, nothing is
    # generated in the request, and the rendering is queued once however many ask.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "mail", "runs"],
        }
    }
    from django_tasks import task_backends

    generated: list[str] = []
    monkeypatch.setattr(files, "generate", lambda *a: generated.append("x") or b"<html></html>")
    pending = Client().get(url)
    assert pending.status_code == 503
    assert pending["Retry-After"] == "30"
    Client().get(url)
    assert generated == []
    assert len(task_backends["default"].results) == 1
    # The worker renders it: every later request reads the file.
    monkeypatch.undo()
    from battkomp.analysis.report.tasks import render_report

    render_report.call(publication.pk, "html", "en")
    ready = Client().get(url)
    assert ready.status_code == 200
    assert ready.content.startswith(b"<!DOCTYPE html>")
    assert "sha256-" in ready["Content-Security-Policy"]


def test_made_up_query_parameters_add_nothing_to_the_cache(publication: Publication) -> None:
    """Parameters other than the filters are ignored: ``?anything=N`` is served the page
    already cached and stores nothing new (the cache cannot be filled or flushed that way)."""
    from django.core.cache import caches

    url = dashboard(publication.version)
    first = Client().get(url)
    stored = set(caches["default"]._cache)  # type: ignore[attr-defined]
    for n in range(5):
        again = Client().get(f"{url}?anything{n}=1&utm_source=x")
        assert again.status_code == 200
        assert again.content == first.content
    assert set(caches["default"]._cache) == stored  # type: ignore[attr-defined]


def test_a_cached_page_goes_gzip_compressed_to_a_browser_and_as_it_is_to_others(
    publication: Publication, table_reads: list[str]
) -> None:
    """The dashboard is half a megabyte of HTML: stored gzip-compressed once and sent so to
    every client that accepts gzip; one that does not gets it as it is (both from the cache)."""
    import gzip

    url = dashboard(publication.version)
    plain_first = Client().get(url)
    browser = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    packed = browser.get(url)
    again = browser.get(url)
    plain = Client().get(url)
    table_reads.clear()
    assert Client().get(url).content == plain.content
    assert table_reads == []
    for response in (packed, again):
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert gzip.decompress(response.content) == plain.content
    assert len(packed.content) * 4 < len(plain.content)
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]
    assert plain.content == plain_first.content
    assert b"<html" in plain.content.lower()


def test_the_file_cache_stores_values_uncompressed_and_reads_old_entries(tmp_path: Any) -> None:
    import pickle

    from django.core.cache.backends.filebased import FileBasedCache

    from battkomp.core.filecache import FileCache

    old = FileBasedCache(str(tmp_path), {})
    new = FileCache(str(tmp_path), {})
    old.set("written-before", {"page": b"x" * 1000}, timeout=None)
    assert new.get("written-before") == {"page": b"x" * 1000}
    assert new.touch("written-before", timeout=None)
    assert new.get("written-before") == {"page": b"x" * 1000}
    new.set("page", (b"\x1f\x8b...", "text/html"), timeout=None)
    assert new.get("page") == (b"\x1f\x8b...", "text/html")
    with open(new._key_to_file("page"), "rb") as f:
        pickle.load(f)  # the expiry
        assert pickle.loads(f.read()) == (b"\x1f\x8b...", "text/html")  # no zlib
    assert new.add("page", 1) is False
    assert new.get("missing", "default") == "default"


def test_publishing_warms_the_dashboard_so_the_first_visitor_is_served_from_the_cache(
    world: Any, table_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publish task renders the dashboard's default view in both languages into the cache:
    the very first visitor of each language gets the stored page, built by nobody on the way
    (no snapshot table read, the dashboard's builder never called)."""
    import gzip

    from django.core.cache import cache

    from battkomp.analysis.dashboards import public
    from battkomp.analysis.publishing.tasks import publish_run
    from battkomp.core.snapshot_cache import snapshot_key

    load_demo()
    analyst = world.users["analyst"]
    run = do_start_run(analyst, scenario=Scenario.objects.get(name="mid"), draws=DRAWS, seed=3)
    assert run.status == "done", run.error
    version = publish_run.call(run.pk, analyst.pk, "Varm", "", "Warm", "")
    publication = Publication.objects.get(version=version)
    table_reads.clear()

    def not_built(p: Publication) -> None:
        raise AssertionError("the dashboard was built on a visitor's request")

    monkeypatch.setattr(public, "_shape", not_built)
    for lang in ("nb", "en"):
        with translation.override(lang):
            url = reverse("published:dashboard", args=[version])
            key = snapshot_key(publication, "page", "dashboard", url)
        assert cache.get(key) is not None, lang  # stored by the task, before any visitor
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert f'<html lang="{lang}"' in gzip.decompress(response.content).decode()
    assert table_reads == []
