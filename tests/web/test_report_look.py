"""The report as a publication, and the site's small finishing touches around it: the download
line of a snapshot's page, and the site's icon on every kind of page (the site's own pages, the
admin, the HTML report, and ``/favicon.ico`` for what the browser shows by itself, such as the
PDF report in its viewer).

The snapshot and its report files are built once for the module (see shared.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.runs.actions import do_start_run
from web.shared import fresh_world, refetch

DRAWS = 30


def url(name: str, lang: str, *args: Any) -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def text_of(html: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, white space squashed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.fixture(scope="module")
def _published(module_transaction: Any, module_demo: Any) -> Publication:
    def publish() -> Publication:
        mid = Scenario.objects.get(name="mid")
        run = do_start_run(module_demo.users["analyst"], scenario=mid, draws=DRAWS, seed=7)
        assert run.status == RunStatus.DONE, run.error
        return do_publish_run(run, module_demo.users["analyst"], title="Needs 2026")

    return module_transaction(publish)


@pytest.fixture
def world(module_demo: Any, db: None) -> Any:
    return fresh_world(module_demo)


@pytest.fixture
def published(_published: Publication, world: Any) -> Publication:
    return refetch(_published)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "Last ned rapport: PDF · HTML · XLSX"), ("en", "Download report: PDF · HTML · XLSX")],
)
def test_the_download_line_reads_as_a_sentence_with_one_link_per_format(
    published: Publication, world: Any, lang: str, expected: str
) -> None:
    page = world.client("anonymous").get(url("published:detail", lang, published.version))
    assert page.status_code == 200
    (line,) = re.findall(r'<p class="downloads">(.*?)</p>', page.content.decode(), re.S)
    assert text_of(line) == expected
    report = url("published:report", lang, published.version)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', line)
    assert links == [
        (report, "PDF"),
        (f"{report}?format=html", "HTML"),
        (f"{report}?format=xlsx", "XLSX"),
    ]


def test_the_admin_pages_carry_the_site_icon(world: Any) -> None:
    login = world.client("anonymous").get(url("admin:login", "nb"))
    index = world.client("admin").get(url("admin:index", "en"))
    change_list = world.client("admin").get(reverse("admin:analysis_publication_changelist"))
    for page in (login, index, change_list):
        assert page.status_code == 200
        html = page.content.decode()
        assert re.search(r'<link rel="icon" href="/static/battkomp/favicon\.svg"', html), html[:600]


def test_favicon_ico_answers_with_the_site_icon_for_pages_that_name_none(world: Any) -> None:
    response = world.client("anonymous").get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/battkomp/favicon.ico"
    found = finders.find("battkomp/favicon.ico")
    assert found, "static/battkomp/favicon.ico is missing (tools/favicon.py writes it)"
    icon = Path(found).read_bytes()
    assert icon[:6] == b"\x00\x00\x01\x00\x01\x00"  # an ICO with one image
    assert icon[22:30] == b"\x89PNG\r\n\x1a\n"  # which is a PNG
    for name in ("favicon-32.png", "favicon-180.png"):
        png = finders.find(f"battkomp/{name}")
        assert png, name
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
