"""Noise infusion on the platform: every run also runs on noised answers (its public run), a
publication is built only from that, the noise key is a setting (production refuses to publish
without one, and a run noised with another key is refused), and publishing runs the attacker
suite against every earlier publication and refuses, in the user's language, when an answer could
be recovered."""

from __future__ import annotations

import importlib
from typing import Any

import polars as pl
import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import translation

from battkomp.analysis.models import NoiseDraw, Publication, RunStatus, Scenario
from battkomp.analysis.publishing import actions as publishing_actions
from battkomp.analysis.publishing.actions import do_publish_run
from battkomp.analysis.publishing.draws import targets
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
from battkomp.engine.attacks import NOISED
from battkomp.engine.bundle import load_inputs
from battkomp.engine.sdc import CANDIDATES, NoiseParameters, factors, key_fingerprint
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
        publishing_actions,
        "noise_of",
        lambda key, basis: dict.fromkeys(basis["contributor"].to_list(), 1.0),
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


# ------------------------------------------------------------- balanced noise: stored draws


def _noise_in_totals(key: bytes, basis: pl.DataFrame, draws: dict[str, int] | None) -> float:
    """The largest share of noise in a survey year's national new hires or staff."""
    table = targets(basis)
    ids = sorted(set(table["contributor"].to_list()))
    f = factors(key, ids, choices=draws)
    noised = table.with_columns(
        (pl.col("value") * pl.col("contributor").replace_strict(f, return_dtype=pl.Float64)).alias(
            "noised"
        )
    )
    sums = noised.group_by("target").agg(pl.col("value").sum(), pl.col("noised").sum())
    return float(((sums["noised"] - sums["value"]).abs() / sums["value"]).max())


def test_each_organisation_s_draw_is_chosen_once_stored_and_kept(demo: Any) -> None:
    key = noise_key()
    assert key is not None
    first = _run(demo)
    basis = first.frame(BASIS_FRAME)
    ids = sorted(set(basis["contributor"].to_list()))
    stored = {d.contributor: d.draw for d in NoiseDraw.objects.filter(key=key_fingerprint(key))}
    assert sorted(stored) == ids  # every organisation the run noised, and only those
    assert set(NoiseDraw.objects.values_list("key", flat=True)) == {key_fingerprint(key)}
    # the public run read each answer times the factor of the stored draw
    f = factors(key, ids, choices=stored)
    rows = basis.filter(pl.col("value") > 0)
    for contributor, value, noised in rows.select("contributor", "value", NOISED["value"]).rows():
        assert noised == pytest.approx(value * f[contributor], rel=1e-9)
    # the choice balances the survey's national totals (the demo key): never worse than the
    # plain draws, and better here
    assert _noise_in_totals(key, basis, stored) < _noise_in_totals(key, basis, None)
    # a later run with one organisation out and another's answer changed chooses nothing again
    out = Participant.objects.filter(round=demo.round, status=ParticipantStatus.SUBMITTED).first()
    assert out is not None
    Participant.objects.filter(pk=out.pk).update(status=ParticipantStatus.IN_PROGRESS)
    _run(demo)
    Participant.objects.filter(pk=out.pk).update(status=ParticipantStatus.SUBMITTED)
    again = _run(demo)
    assert dict(NoiseDraw.objects.values_list("contributor", "draw")) == stored
    publication = do_publish_run(again, demo.users["analyst"], title="Stored draws")
    assert publication.version
    # a draw is never chosen again, not even by saving the row
    row = NoiseDraw.objects.first()
    assert row is not None
    row.draw = (row.draw + 1) % CANDIDATES
    with pytest.raises(ValueError, match="never chosen again"):
        row.save()


def test_a_rotated_key_gets_draws_of_its_own_and_the_old_key_s_stay(
    demo: Any, settings: Any
) -> None:
    _run(demo)
    old = list(NoiseDraw.objects.values_list("key", "contributor", "draw"))
    assert old
    settings.BATTKOMP_SDC_KEY = "a-rotated-key-of-more-than-thirty-two-characters"
    run = _run(demo)
    new_key = noise_key()
    assert new_key is not None
    new = NoiseDraw.objects.filter(key=key_fingerprint(new_key))
    assert sorted(new.values_list("contributor", flat=True)) == sorted(c for _, c, _ in old)
    kept = NoiseDraw.objects.exclude(key=key_fingerprint(new_key))
    assert list(kept.values_list("key", "contributor", "draw")) == old
    assert do_publish_run(run, demo.users["analyst"], title="Rotated key").version


def test_a_run_noised_with_other_draws_than_the_stored_ones_is_refused(demo: Any) -> None:
    run = _run(demo)
    row = NoiseDraw.objects.order_by("contributor").first()
    assert row is not None
    # as if the draw had changed since the run (it never may): the run's tables are refused
    NoiseDraw.objects.filter(pk=row.pk).update(draw=(row.draw + 1) % CANDIDATES)
    before = Publication.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match="other noise factors"):
        do_publish_run(run, demo.users["analyst"], title="Other draws")
    with translation.override("nb"), pytest.raises(ValidationError) as caught:
        do_publish_run(run, demo.users["analyst"], title="Other draws")
    assert "støyfaktorer" in caught.value.messages[0]
    assert Publication.objects.count() == before


def test_organisations_noised_before_the_draws_were_stored_keep_the_plain_draw(
    demo: Any,
) -> None:
    run = _run(demo)
    NoiseDraw.objects.all().delete()  # as before migration 0005
    migration = importlib.import_module("battkomp.analysis.migrations.0005_noise_draw")
    migration.record_plain_draws(django_apps, None)
    key = str(run.meta[FINGERPRINT_META])
    contributors = set(run.frame(BASIS_FRAME)["contributor"].to_list())
    rows = set(NoiseDraw.objects.values_list("key", "contributor", "draw"))
    assert rows == {(key, c, 0) for c in contributors}
