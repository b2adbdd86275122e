"""The demo loader: the demo bundle in the database, demo accounts for every role, run twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from battkomp.analysis.models import ModelRun, Publication
from battkomp.analysis.runs.bundle_export import build_bundle
from battkomp.core.users import Role
from battkomp.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_ROUND_NAME,
    DemoSummary,
    load_demo,
    publish_demo_snapshot,
)
from battkomp.engine.bundle import check_bundle, demo_bundle_path, load_inputs
from battkomp.offers.models import Offer, OfferArea
from battkomp.organisations.models import CapacityPlan, Facility, FacilityStatus, Organisation
from battkomp.survey.models import NeedLine, Participant, ParticipantStatus, Revision, Round

MODELS = (
    Organisation,
    Facility,
    FacilityStatus,
    CapacityPlan,
    Offer,
    OfferArea,
    Round,
    Participant,
    NeedLine,
    Revision,
    Publication,
    ModelRun,
    get_user_model(),
)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def demo(db: None) -> None:
    load_demo()


def test_loading_the_demo_twice_changes_nothing_the_second_time(demo: None) -> None:
    first = counts()
    summary = load_demo()
    assert summary.created == {}
    assert counts() == first


def test_the_demo_snapshot_is_published_once_and_the_public_can_read_it(demo: None) -> None:
    assert not Publication.objects.exists()  # load_demo itself leaves the run history empty
    publish_demo_snapshot(DemoSummary())
    publish_demo_snapshot(DemoSummary())
    publication = Publication.objects.get()
    assert publication.version == 1
    assert publication.run.scenario_name == "mid"
    client = Client()
    for url in ("/published/", "/published/1/", "/published/1/dashboard/"):
        assert client.get(url).status_code == 200, url
    report = client.get("/published/1/report/?format=html")
    assert report.status_code == 200
    assert b"<svg" in report.content


def test_the_demo_holds_the_demo_bundle(demo: None) -> None:
    inputs = load_inputs(demo_bundle_path(), scenario=None)
    assert Facility.objects.count() == inputs["facilities"].height
    assert Offer.objects.count() == inputs["education_offers"].height
    assert NeedLine.objects.count() == inputs["survey_needs"].height
    for facility in Facility.objects.all():
        assert facility.current_status() is not None
        assert facility.current_plan().version == 1


def test_the_survey_companies_are_fictional_and_marked_synthetic(demo: None) -> None:
    rnd = Round.objects.get(name=DEMO_ROUND_NAME)
    assert (rnd.status, rnd.first_year, rnd.last_year) == ("open", 2026, 2030)
    participants = list(rnd.participants.select_related("organisation"))
    assert len(participants) == 8
    assert all(p.organisation.synthetic for p in participants)
    assert all(p.status == ParticipantStatus.SUBMITTED for p in participants)
    assert all(p.response.revisions.count() >= 2 for p in participants)
    assert not Organisation.objects.get(name="Morrow Batteries ASA").synthetic


def test_there_is_a_demo_login_for_every_role(demo: None) -> None:
    roles = {a.role for a in DEMO_ACCOUNTS}
    assert roles == set(Role.values)
    for account in DEMO_ACCOUNTS:
        client = Client()
        assert client.login(username=account.email, password=DEMO_PASSWORD), account.email
        profile = get_user_model().objects.get(username=account.email).profile
        assert profile.role == account.role
        if account.role in {Role.RESPONDENT, Role.EDITOR}:
            assert profile.organisation is not None
            assert profile.organisation.synthetic


def test_the_demo_runs_through_the_model(demo: None, tmp_path: Path) -> None:
    folder = build_bundle(tmp_path / "bundle")
    assert check_bundle(folder) == []
    # all of the demo's scenario changes find their facilities in the database
    demo_rows = (demo_bundle_path() / "scenario_overrides.csv").read_text().count("\n")
    assert (folder / "scenario_overrides.csv").read_text().count("\n") == demo_rows


def test_the_demo_comes_back_out_of_the_database_as_it_went_in(demo: None, tmp_path: Path) -> None:
    """Loading the demo bundle and exporting it again gives the model the same inputs (but for
    organisation ids, sources and columns the register does not hold)."""
    import polars as pl

    ours = load_inputs(build_bundle(tmp_path / "bundle"), scenario=None)
    theirs = load_inputs(demo_bundle_path(), scenario=None)
    held = {f.name for f in Facility._meta.get_fields()} | {"id", "status"}
    for table in (
        "facilities",
        "capacity_plans",
        "survey_needs",
        "education_offers",
        "offer_areas",
    ):
        a, b = ours[table], theirs[table]
        drop = [c for c in a.columns if c in {"organisation", "source", "status_date"}]
        if table == "facilities":
            drop += [c for c in a.columns if c not in held]
        if table == "education_offers":
            # the register holds an offer's name_nb and name_en (compared); the bundle's plain
            # `name` is written from them (English, else bokmål), the demo file's is its own
            drop.append("name")
        # floats as stored and normalised by the database may differ in the last bits
        a, b = a.drop(drop), b.drop(drop)
        floats = [pl.col(c).round(9) for c, t in a.schema.items() if t == pl.Float64]
        a, b = a.with_columns(floats), b.with_columns(floats)
        assert a.sort(a.columns).equals(b.sort(b.columns)), table
    assert ours["organisations"].filter(pl.col("synthetic")).height >= 8


def test_the_load_demo_command_prints_the_logins(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo data added" in out
    assert all(a.email in out for a in DEMO_ACCOUNTS)
    call_command("load_demo")
    assert "already loaded" in capsys.readouterr().out


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATTKOMP_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    return env


@pytest.mark.slow  # `battkomp demo` twice in a subprocess: migrations and the demo on a file
def test_battkomp_demo_prepares_the_database_and_prints_the_logins(tmp_path: Path) -> None:
    data = tmp_path / "data"
    command = [sys.executable, "-m", "battkomp.cli", "demo", "--no-serve", "--data-dir", str(data)]
    first = subprocess.run(
        command, capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert (data / "battkomp.sqlite3").exists()
    assert "http://127.0.0.1:8000/" in first.stdout
    for account in DEMO_ACCOUNTS:
        assert account.email in first.stdout
    assert DEMO_PASSWORD in first.stdout
    second = subprocess.run(
        command, capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=300
    )
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout
