"""Noise infusion on the platform: every run also runs on noised answers (its public run), a
publication is built only from that, the noise key is a setting (production refuses to publish
without one, and a run noised with another key is refused), and publishing runs the attacker
suite against every earlier publication and refuses, in the user's language, when an answer could
be recovered."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from battkomp.analysis.models import Publication, RunStatus, Scenario
from battkomp.analysis.publishing import actions as publishing_actions
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.publishing.history import findings
from battkomp.analysis.publishing.noise import (
    BASIS_FRAME,
    FINGERPRINT_META,
    PUBLIC_PREFIX,
    NoKeyError,
    noise_key,
)
from battkomp.analysis.runs.actions import do_start_run
from battkomp.demo import load_demo
from battkomp.engine.bundle import load_inputs
from battkomp.engine.sdc import NoiseParameters, key_fingerprint
from battkomp.engine.taxonomy import Taxonomy
from battkomp.survey.models import Participant, ParticipantStatus, Round

DRAWS = 10


@pytest.fixture
def demo(world: Any) -> Any:
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    world.round = Round.objects.get(name="BattKOMP demo 2026")
    return world


def _run(demo: Any) -> Any:
    run = do_start_run(
        demo.users["analyst"], scenario=demo.mid, round=demo.round, draws=DRAWS, seed=3
    )
    assert run.status == RunStatus.DONE, run.error
    return run


def test_a_run_has_a_public_run_on_noised_answers_and_keeps_its_basis(demo: Any) -> None:
    run = _run(demo)
    names = set(run.frames.values_list("name", flat=True))
    assert f"{PUBLIC_PREFIX}totals" in names
    assert BASIS_FRAME in names
    assert not any(n.startswith((PUBLIC_PREFIX, "sdc.")) for n in run.frame_names())
    key = noise_key()
    assert key is not None
    assert run.meta[FINGERPRINT_META] == key_fingerprint(key)
    basis = run.frame(BASIS_FRAME)
    assert basis.height
    assert basis["contributor"].str.starts_with("org-").all()
    # the public run's reported openings are the noised answers: row by row (same draws, so a
    # need line naming a facility is counted in the same draws in both runs) each is the
    # analysts' times a factor, or a mix of factors, within the noise's support, never 1 for all
    keys = ["segment", "region", "role", "level", "area", "year"]
    reported = pl.col("kind") == "reported"
    own = run.frame("detail").filter(reported).select(*keys, "openings")
    public = run.frame(f"{PUBLIC_PREFIX}detail").filter(reported).select(*keys, "openings")
    joined = public.join(own, on=keys, suffix="_own", nulls_equal=True).filter(
        pl.col("openings_own") > 0
    )
    assert joined.height
    ratios = (joined["openings"] / joined["openings_own"]).to_list()
    high = NoiseParameters().high
    assert all(1 - high - 1e-6 <= r <= 1 + high + 1e-6 for r in ratios)
    assert any(abs(r - 1) > 0.05 for r in ratios)


def test_a_publication_is_built_from_the_public_run_with_quality_flags(demo: Any) -> None:
    run = _run(demo)
    publication = do_publish_run(run, demo.users["analyst"], title="Noised")
    raw = run.frame("totals").filter(pl.col("metric") == "openings")
    public = run.frame(f"{PUBLIC_PREFIX}totals").filter(pl.col("metric") == "openings")
    table = publication.table("totals").filter(pl.col("metric") == "openings")
    shown = table.filter(~pl.col("suppressed"))
    assert shown.height
    assert shown["mean"].to_list() == public.join(shown.select("year"), on="year")["mean"].to_list()
    assert shown["mean"].to_list() != raw.join(shown.select("year"), on="year")["mean"].to_list()
    for name in publication.table_names():
        assert "quality" in publication.table(name).columns, name
    flags = set(publication.table("survey_needs")["quality"].drop_nulls().to_list())
    assert flags <= {"G", "H", "J"}
    assert flags
    page = demo.client("anonymous").get(f"/en/published/{publication.version}/").content.decode()
    assert "How company answers are protected" in page
    page = demo.client("anonymous").get(f"/published/{publication.version}/").content.decode()
    assert "Slik beskyttes bedriftenes svar" in page


def test_production_without_a_key_refuses_to_publish(demo: Any, settings: Any) -> None:
    run = _run(demo)
    settings.PRODUCTION = True
    settings.BATTKOMP_SDC_KEY = ""
    settings.BATTKOMP_SDC_KEY_FILE = ""
    assert noise_key() is None
    before = Publication.objects.count()
    with translation.override("nb"), pytest.raises(NoKeyError) as caught:
        do_publish_run(run, demo.users["analyst"], title="No key")
    assert "BATTKOMP_SDC_KEY" in caught.value.messages[0]
    assert "Ingen støynøkkel" in caught.value.messages[0]
    assert Publication.objects.count() == before
    settings.BATTKOMP_SDC_KEY = "short"
    with translation.override("en"), pytest.raises(NoKeyError, match="32 characters"):
        noise_key()


def test_the_key_comes_from_a_file_and_a_run_noised_with_another_key_is_refused(
    demo: Any, settings: Any, tmp_path: Any
) -> None:
    run = _run(demo)
    secret = tmp_path / "sdc-key"
    secret.write_text("a-rotated-key-of-more-than-thirty-two-characters\n", encoding="utf-8")
    settings.BATTKOMP_SDC_KEY = ""
    settings.BATTKOMP_SDC_KEY_FILE = str(secret)
    assert noise_key() == b"a-rotated-key-of-more-than-thirty-two-characters"
    with translation.override("en"), pytest.raises(ValidationError, match="another key"):
        do_publish_run(run, demo.users["analyst"], title="Rotated")
    settings.BATTKOMP_SDC_KEY_FILE = str(tmp_path / "missing")
    with translation.override("en"), pytest.raises(NoKeyError, match="cannot be read"):
        noise_key()


def test_differencing_two_noised_publications_recovers_nothing(demo: Any) -> None:
    first = do_publish_run(_run(demo), demo.users["analyst"], title="All")
    out = Participant.objects.filter(round=demo.round, status=ParticipantStatus.SUBMITTED).first()
    assert out is not None
    Participant.objects.filter(pk=out.pk).update(status=ParticipantStatus.IN_PROGRESS)
    second = do_publish_run(_run(demo), demo.users["analyst"], title="One out")
    assert second.version == first.version + 1
    a, b = first.table("survey_needs"), second.table("survey_needs")
    national = pl.col("area").is_null() & pl.col("level").is_null() & pl.col("year").is_not_null()
    diff = a.filter(national).join(b.filter(national), on="year", suffix="_b")
    assert diff.height
    # The company taken out: its exact yearly totals, which differencing used to give away.
    revision = out.response.submitted_revision()
    assert revision is not None
    truth: dict[int, float] = {}
    for line in revision.snapshot["lines"]:
        truth[int(line["year"])] = truth.get(int(line["year"]), 0.0) + float(
            line.get("new_hires") or 0
        )
    # Which years each publication shows depends on the noise factors (a cell is suppressed
    # where its contributors' noise cancels); wherever both show a year, the difference is the
    # removed company's noised total plus the others' noise, never its exact total.
    both = diff.filter(pl.col("new_hires").is_not_null() & pl.col("new_hires_b").is_not_null())
    for year, a_value, b_value in both.select("year", "new_hires", "new_hires_b").rows():
        exact = truth.get(int(year), 0.0)
        if exact:
            assert abs((a_value - b_value) - exact) > 0.5, (year, a_value, b_value, exact)


def test_publishing_refuses_when_the_history_would_give_an_answer_away(
    demo: Any, monkeypatch: Any
) -> None:
    # without the survey table's noise (every factor 1), differencing gives a company away
    monkeypatch.setattr(
        publishing_actions, "factors", lambda key, contributors: dict.fromkeys(contributors, 1.0)
    )
    first = do_publish_run(_run(demo), demo.users["analyst"], title="Unnoised")
    out = Participant.objects.filter(round=demo.round, status=ParticipantStatus.SUBMITTED).first()
    assert out is not None
    Participant.objects.filter(pk=out.pk).update(status=ParticipantStatus.IN_PROGRESS)
    run = _run(demo)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_publish_run(run, demo.users["analyst"], title="One out")
    assert "Publishing refused" in caught.value.messages[0]
    assert f"v{first.version}" in caught.value.messages[0]
    assert Publication.objects.order_by("-version").first() == first
    with translation.override("nb"), pytest.raises(ValidationError) as caught:
        do_publish_run(run, demo.users["analyst"], title="One out")
    assert "Publisering avvist" in caught.value.messages[0]


def test_the_history_of_the_demo_publications_gives_nothing_away(demo: Any) -> None:
    parents = dict(Taxonomy.from_inputs(load_inputs(None)).area_parent)
    publication = do_publish_run(_run(demo), demo.users["analyst"], title="Again")
    tables = {n: publication.table(n) for n in publication.table_names()}
    basis = publication.run.frame(BASIS_FRAME)
    assert findings(tables, basis, parents) == []
