"""The analysts' model page and the bundle download: who may see them, and the access log."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from battkomp.accounts.models import AccessLog
from battkomp.engine.bundle import check_bundle
from battkomp.survey.actions import (
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)
from web.personas import OUTSIDERS, SECRETARIAT

HOME = reverse("analysis:home")
DOWNLOAD = reverse("analysis:bundle_download")


@pytest.fixture
def answered(world: Any) -> Any:
    """A round in which company A has submitted its answer."""
    analyst = world.users["analyst"]
    rnd = do_create_round(
        analyst,
        name="Needs 2026",
        first_year=2026,
        last_year=2027,
        opens_on=dt.date(2026, 1, 1),
        deadline=dt.date(2026, 12, 31),
    )
    do_open_round(rnd, analyst)
    (participant,) = do_invite_organisations(rnd, [world.company_a], analyst)
    lines = [
        {
            "role": "process_operator",
            "level": "nkr4",
            "area": "cell_assembly",
            "year": year,
            "new_hires": 5,
            "total_staff": 20,
        }
        for year in (2026, 2027)
    ]
    do_save_response(participant, world.users["company_a"], lines=lines)
    do_submit_response(participant, world.users["company_a"])
    world.round = rnd
    return world


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_see_the_model_page_with_the_rounds(answered: Any, persona: str) -> None:
    response = answered.client(persona).get(HOME)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Needs 2026" in text
    assert DOWNLOAD in text
    assert "retraining_pools" in text  # the tables copied from the demo bundle are named
    assert AccessLog.objects.count() == 0  # counts are shown, no answers: nothing to log


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_for_the_model_page(answered: Any, persona: str) -> None:
    assert answered.client(persona).get(HOME).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(answered: Any) -> None:
    response = answered.client("anonymous").get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_page_reads_in_english_too(answered: Any) -> None:
    response = answered.client("analyst").get("/en" + HOME)
    assert response.status_code == 200
    assert "The model on the platform" in response.content.decode()


def test_the_page_works_without_any_round(world: Any) -> None:
    response = world.client("analyst").get(HOME)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_download_the_bundle_as_a_zip_and_every_download_is_logged(
    answered: Any, persona: str, tmp_path: Path
) -> None:
    response = answered.client(persona).get(DOWNLOAD, {"format": "zip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    folder = tmp_path / names[0].split("/")[0]
    assert (folder / "survey_needs.csv").read_text(encoding="utf-8").count("\n") == 3
    assert check_bundle(folder) == []
    user = answered.users[persona]
    logs = {(log.action, log.organisation_id) for log in AccessLog.objects.filter(user=user)}
    assert logs == {
        ("export_bundle", answered.company_a.pk),
        ("download_bundle", None),
    }


def test_the_bundle_downloads_as_a_workbook_the_model_reads(answered: Any, tmp_path: Path) -> None:
    response = answered.client("analyst").get(
        DOWNLOAD, {"format": "xlsx", "round": answered.round.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    path = tmp_path / "bundle.xlsx"
    path.write_bytes(response.content)
    assert check_bundle(path) == []
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["survey_needs"].iter_rows(values_only=True))
    wb.close()
    assert len(rows) == 3
    assert rows[1][7] == 5  # new_hires is a number, not text
    assert AccessLog.objects.filter(action="download_bundle").count() == 1


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_for_the_download_and_nothing_is_logged(
    answered: Any, persona: str
) -> None:
    assert answered.client(persona).get(DOWNLOAD).status_code == 404
    assert AccessLog.objects.count() == 0


def test_an_anonymous_download_is_sent_to_log_in_and_nothing_is_logged(answered: Any) -> None:
    response = answered.client("anonymous").get(DOWNLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("query", [{"round": "999999"}, {"round": "x"}, {"format": "pdf"}])
def test_a_bad_choice_shows_the_form_again_with_the_error(answered: Any, query: dict) -> None:
    response = answered.client("analyst").get(DOWNLOAD, query)
    assert response.status_code == 400
    assert 'class="errors"' in response.content.decode()
    assert AccessLog.objects.count() == 0


def test_the_download_refuses_to_change_anything_by_post(answered: Any) -> None:
    assert answered.client("analyst").post(DOWNLOAD).status_code == 405
    assert AccessLog.objects.count() == 0
