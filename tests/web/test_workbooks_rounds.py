"""The analysts' export of a round: every submitted answer, as handed in, with each read logged."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.models import AccessLog
from battkomp.core.terms import column_code
from battkomp.survey.actions import (
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import Participant, Round
from web.personas import OUTSIDERS, SECRETARIAT
from web.shared import download_dicts

YEARS = (2025, 2026)


def url(round_: Round) -> str:
    with translation.override("en"):
        return reverse("workbooks:round_export", args=[round_.pk])


def lines(role: str, new_hires: int, comment: str = "") -> list[dict]:
    return [
        {
            "role": role,
            "level": "nkr4",
            "area": "chemical_process",
            "year": year,
            "new_hires": new_hires,
            "total_staff": 10 * new_hires,
            "comment": comment,
        }
        for year in YEARS
    ]


@pytest.fixture
def round_(world) -> Round:
    """Company A has submitted (and changed a line since); company B has only saved."""
    round_ = do_create_round(
        None,
        name="Needs 2025",
        first_year=YEARS[0],
        last_year=YEARS[-1],
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    do_open_round(round_, None)
    do_invite_organisations(round_, [world.company_a, world.company_b], None)
    a = Participant.objects.get(round=round_, organisation=world.company_a)
    b = Participant.objects.get(round=round_, organisation=world.company_b)
    do_submit_response(a, None, lines=lines("process_operator", 5, comment="=2+2"))
    do_save_response(a, None, lines=lines("process_operator", 8))  # not submitted again
    do_save_response(b, None, lines=lines("chemist", 1))
    return round_


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_export_the_submitted_answers_of_a_round(world, round_, persona):
    response = world.client(persona).get(url(round_))
    assert response.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content))["needs"].iter_rows(values_only=True)
    )
    # Headed in the reader's language (the analyst's pages here are English), a name beside
    # each code.
    assert list(rows[0][:6]) == [
        "Organisation",
        "Organisation number",
        "Status (code)",
        "Status",
        "Submitted at",
        "Revision",
    ]
    with translation.override("en"):
        header = [column_code(h) for h in rows[0]]
    assert header[header.index("role") + 1] == "role_name"
    data = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert {(d["status"], d["status_name"]) for d in data} == {("submitted", "Submitted")}
    assert {(d["role"], d["role_name"]) for d in data} == {("process_operator", "Process operator")}
    assert {d["organisation"] for d in data} == {"Cellco AS"}
    assert [d["year"] for d in data] == list(YEARS)
    assert {d["new_hires"] for d in data} == {5}  # what was submitted, not the later save
    assert all(isinstance(d["total_staff"], int) for d in data)
    assert {d["comment"] for d in data} == {"'=2+2"}


def test_the_round_export_as_csv(world, round_):
    response = world.client("analyst").get(url(round_), {"format": "csv"})
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = download_dicts(response)
    assert [(r["organisation"], r["year"], r["new_hires"]) for r in rows] == [
        ("Cellco AS", "2025", "5"),
        ("Cellco AS", "2026", "5"),
    ]
    assert rows[0]["comment"] == "'=2+2"


def test_each_organisation_in_the_export_is_logged(world, round_):
    world.client("analyst").get(url(round_))
    logs = AccessLog.objects.filter(user=world.users["analyst"], action="round_export")
    assert [log.organisation for log in logs] == [world.company_a]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404(world, round_, persona):
    assert world.client(persona).get(url(round_)).status_code == 404
    assert not AccessLog.objects.exists()


def test_anonymous_is_sent_to_login(world, round_):
    response = world.client("anonymous").get(url(round_))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_round_that_does_not_exist_is_404(world):
    with translation.override("en"):
        target = reverse("workbooks:round_export", args=[999999])
    assert world.client("analyst").get(target).status_code == 404


def test_the_submission_time_is_given_in_oslo_with_its_offset(world, round_):
    """23:30 UTC on 5 December is 00:30 on 6 December in Oslo: the day the site shows."""
    a = Participant.objects.get(round=round_, organisation=world.company_a)
    Participant.objects.filter(pk=a.pk).update(
        submitted_at=dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)
    )
    response = world.client("analyst").get(url(round_), {"format": "csv"})
    rows = download_dicts(response)
    assert {r["submitted_at"] for r in rows} == {"2026-12-06T00:30:00+01:00"}
