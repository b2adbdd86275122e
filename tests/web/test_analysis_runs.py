"""Model runs on the platform: who may start and see them, the results stored in the database,
reproducibility, two runs side by side, failures, the background start and the command."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.models import AccessLog
from battkomp.analysis.models import ModelRun, ModelRunFrame, RunStatus, Scenario
from battkomp.analysis.runs.actions import do_create_run, do_execute_run, do_start_run
from battkomp.analysis.runs.bundle_export import build_bundle
from battkomp.analysis.runs.queries import load_frames
from battkomp.demo import load_demo
from battkomp.engine import run_model
from web.personas import OUTSIDERS, SECRETARIAT

DRAWS = 50


def en(name: str, *args: Any) -> str:
    """The English address of a page (the texts checked below are the English source)."""
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def demo(world: Any) -> Any:
    """The personas, plus the demo data: facilities, offers, a submitted round, low/mid/high."""
    load_demo()
    world.mid = Scenario.objects.get(name="mid")
    world.high = Scenario.objects.get(name="high")
    return world


@pytest.fixture
def done_run(demo: Any) -> ModelRun:
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    assert run.status == RunStatus.DONE, run.error
    return run


# --- who may see and start runs -------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_see_the_runs_page_and_a_run(done_run: ModelRun, demo: Any, persona: str) -> None:
    client = demo.client(persona)
    page = client.get(en("analysis:runs"))
    assert page.status_code == 200
    assert en("analysis:run_detail", done_run.pk) in page.content.decode()
    detail = client.get(en("analysis:run_detail", done_run.pk))
    assert detail.status_code == 200
    assert done_run.input_hash in detail.content.decode()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everyone_else_gets_404_for_every_run_page(
    done_run: ModelRun, demo: Any, persona: str
) -> None:
    client = demo.client(persona)
    pk = done_run.pk
    assert client.get(en("analysis:runs")).status_code == 404
    assert client.get(en("analysis:run_detail", pk)).status_code == 404
    compare = en("analysis:run_compare") + f"?a={pk}&b={pk}"
    assert client.get(compare).status_code == 404
    assert client.get(en("analysis:run_compare")).status_code == 404
    response = client.post(
        en("analysis:run_start"), {"scenario": "weighted", "draws": 10, "seed": 1}
    )
    assert response.status_code == 404
    assert ModelRun.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_log_in_for_every_run_page(
    done_run: ModelRun, demo: Any
) -> None:
    client = demo.client("anonymous")
    login = reverse("accounts:login")
    pk = done_run.pk
    for url in (
        reverse("analysis:runs"),
        reverse("analysis:run_detail", args=[pk]),
        reverse("analysis:run_compare") + f"?a={pk}&b={pk}",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login)
    response = client.post(reverse("analysis:run_start"), {"scenario": "weighted", "draws": 10})
    assert response.status_code == 302
    assert response["Location"].startswith(login)
    assert ModelRun.objects.count() == 1


def test_an_unknown_run_is_404_for_analysts_too(demo: Any) -> None:
    client = demo.client("analyst")
    assert client.get(en("analysis:run_detail", 999)).status_code == 404
    assert client.get(en("analysis:run_compare") + "?a=998&b=999").status_code == 404


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_an_analyst_starts_a_small_run_from_the_page_and_it_runs_at_once(
    demo: Any, persona: str
) -> None:
    response = demo.client(persona).post(
        en("analysis:run_start"),
        {"scenario": str(demo.high.pk), "round": "", "draws": DRAWS, "seed": 3},
    )
    run = ModelRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == en("analysis:run_detail", run.pk)
    assert (run.status, run.scenario, run.draws, run.seed) == ("done", demo.high, DRAWS, 3)
    assert run.created_by == demo.users[persona]
    assert run.round is not None
    assert run.round.name == "BattKOMP demo 2026"
    assert run.frames.count() >= 10


def test_a_start_with_bad_draws_re_renders_the_form_with_the_error(demo: Any) -> None:
    response = demo.client("analyst").post(
        en("analysis:run_start"), {"scenario": "weighted", "draws": 0, "seed": -1}
    )
    assert response.status_code == 400
    assert 'id="id_draws_errors"' in response.content.decode()
    assert 'id="id_seed_errors"' in response.content.decode()
    assert ModelRun.objects.count() == 0


# --- results in the database ----------------------------------------------------------------


def test_a_run_stores_every_frame_equal_to_a_direct_run_of_the_same_bundle(
    demo: Any, tmp_path: Path
) -> None:
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=11)
    assert run.status == RunStatus.DONE, run.error
    stored = load_frames(run)
    direct = run_model(
        build_bundle(tmp_path / "bundle", round=run.round), "mid", draws=DRAWS, seed=11
    )
    assert set(stored) == set(direct.frames)
    for name, df in direct.frames.items():
        assert isinstance(stored[name], pl.DataFrame)
        assert stored[name].equals(df), name
    assert run.input_hash == direct.meta["input_hash"]
    assert run.battkomp_version == direct.meta["battkomp_version"]
    assert run.meta["seed"] == 11
    assert run.meta["draws"] == DRAWS
    assert run.meta["scenario"] == "mid"
    assert (run.progress_done, run.progress_total) == (DRAWS, DRAWS)
    assert run.finished_at is not None
    assert run.frame("totals").equals(direct["totals"])


def test_weighted_and_base_runs_are_stored_too(demo: Any) -> None:
    analyst = demo.users["analyst"]
    weighted = do_start_run(analyst, weighted=True, draws=DRAWS, seed=1)
    base = do_start_run(analyst, draws=DRAWS, seed=1)
    assert weighted.status == base.status == RunStatus.DONE
    assert (weighted.scenario_name, base.scenario_name) == ("weighted", "base")
    scenarios = load_frames(weighted, ["scenarios"])["scenarios"]
    assert set(scenarios["scenario"]) == {"low", "mid", "high"}
    assert weighted.input_hash != base.input_hash


def test_a_run_logs_the_analysts_use_of_each_companys_answers(done_run: ModelRun) -> None:
    entries = AccessLog.objects.filter(detail__contains=f"model run #{done_run.pk}")
    assert entries.count() == 8  # the demo round's eight submitted responses
    assert {e.user for e in entries} == {done_run.created_by}


def test_the_run_page_shows_the_meta_the_national_totals_and_the_time_squeeze(
    done_run: ModelRun, demo: Any
) -> None:
    response = demo.client("analyst").get(en("analysis:run_detail", done_run.pk))
    text = response.content.decode()
    assert done_run.input_hash in text
    assert done_run.battkomp_version in text
    assert "National totals" in text
    assert "The time squeeze" in text
    assert "P10–P90" in text
    for year in (2026, 2040):
        assert f'<th scope="row">{year}</th>' in text
    assert "run-progress.js" not in text  # done: nothing follows it
    assert "script-src 'none'" in response["Content-Security-Policy"]
    assert "<progress" not in text
    totals = done_run.frame("totals")
    gap_2030 = totals.filter((pl.col("year") == 2030) & (pl.col("metric") == "headcount"))
    assert f"{round(gap_2030['mean'][0]):,}" in text  # English grouping
    assert "Reproduces run" not in text  # nothing to reproduce yet


# --- reproducibility --------------------------------------------------------------------------


def test_re_running_the_same_inputs_reproduces_the_numbers_and_the_page_says_so(
    done_run: ModelRun, demo: Any
) -> None:
    again = do_start_run(demo.users["admin"], scenario=demo.mid, draws=DRAWS, seed=7)
    assert again.input_hash == done_run.input_hash
    first, second = load_frames(done_run), load_frames(again)
    assert all(first[name].equals(second[name]) for name in first)
    text = demo.client("analyst").get(en("analysis:run_detail", again.pk)).content.decode()
    assert f"Reproduces run #{done_run.pk} exactly" in text
    # another seed is another run, not a reproduction
    other = do_start_run(demo.users["admin"], scenario=demo.mid, draws=DRAWS, seed=8)
    text = demo.client("analyst").get(en("analysis:run_detail", other.pk)).content.decode()
    assert "Reproduces run" not in text


def test_a_changed_database_changes_the_input_hash(done_run: ModelRun, demo: Any) -> None:
    from battkomp.organisations.models import Facility

    facility = Facility.objects.get(code="elinor_orkland")
    # the demo's facilities leave their delays blank (the status defaults, nullable since
    # 2f74470), so the change gives explicit delays longer than the announced default (0-6)
    facility.delay_min, facility.delay_mode, facility.delay_max = 1, 2, 7
    facility.save()
    again = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    assert again.status == RunStatus.DONE
    assert again.input_hash != done_run.input_hash
    text = demo.client("analyst").get(en("analysis:run_detail", again.pk)).content.decode()
    assert "Reproduces run" not in text


def test_numbers_that_differ_under_the_same_inputs_are_called_out(
    done_run: ModelRun, demo: Any
) -> None:
    again = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    totals = again.frame("totals").with_columns(pl.col("mean") + 1)
    frame = again.frames.get(name="totals")
    buffer = io.BytesIO()
    totals.write_parquet(buffer)
    frame.data = buffer.getvalue()
    frame.save()
    text = demo.client("analyst").get(en("analysis:run_detail", again.pk)).content.decode()
    assert f"Does not reproduce run #{done_run.pk}" in text


# --- comparing ---------------------------------------------------------------------------------


def test_two_runs_side_by_side_show_the_totals_the_difference_and_what_differs(
    done_run: ModelRun, demo: Any
) -> None:
    other = do_start_run(demo.users["analyst"], scenario=demo.high, draws=DRAWS, seed=9)
    url = en("analysis:run_compare") + f"?a={done_run.pk}&b={other.pk}"
    response = demo.client("admin").get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Run A: #{done_run.pk}" in text
    assert f"Run B: #{other.pk}" in text
    assert "Difference (B − A)" in text
    differs = text.count("<strong>differs</strong>")
    assert differs == 3  # inputs, scenario, seed (same round, draws and version)
    a = done_run.frame("totals").filter((pl.col("metric") == "shortage") & (pl.col("year") == 2035))
    b = other.frame("totals").filter((pl.col("metric") == "shortage") & (pl.col("year") == 2035))
    diff = b["mean"][0] - a["mean"][0]
    assert f"{diff:,.1f}" in text


def test_a_run_compared_with_its_reproduction_differs_in_nothing(
    done_run: ModelRun, demo: Any
) -> None:
    again = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    url = en("analysis:run_compare") + f"?a={done_run.pk}&b={again.pk}"
    text = demo.client("analyst").get(url).content.decode()
    assert "<strong>differs</strong>" not in text
    # five metrics × 15 years, every difference zero; the difference is the row's last cell (a
    # mean of either run may itself be 0.0, e.g. a year without shortage, so cells are not counted)
    rows = re.findall(
        r'<th scope="row">\d{4}</th>\s*<td class="num">[^<]*</td>\s*'
        r'<td class="num">[^<]*</td>\s*<td class="num">([^<]*)</td>',
        text,
    )
    assert rows == ["0.0"] * (5 * 15)


def test_the_compare_page_without_runs_offers_a_choice_and_bad_ids_are_errors(
    done_run: ModelRun, demo: Any
) -> None:
    client = demo.client("analyst")
    page = client.get(en("analysis:run_compare"))
    assert page.status_code == 200
    assert f'<option value="{done_run.pk}"' in page.content.decode()
    assert client.get(en("analysis:run_compare") + "?a=x&b=1").status_code == 400


# --- failures -----------------------------------------------------------------------------------


def test_a_run_that_fails_records_the_error(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import battkomp.engine as engine

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the engine broke down")

    monkeypatch.setattr(engine, "run_model", broken)
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=1)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "RuntimeError: the engine broke down" in run.error
    assert run.finished_at is not None
    assert run.frames.count() == 0
    text = demo.client("analyst").get(en("analysis:run_detail", run.pk)).content.decode()
    assert "The run failed" in text
    assert "the engine broke down" in text


def test_a_run_whose_scenario_was_deleted_fails_with_a_clear_error(demo: Any) -> None:
    run = do_create_run(demo.users["analyst"], scenario=demo.high, draws=DRAWS, seed=1)
    demo.high.delete()
    run.refresh_from_db()
    do_execute_run(run)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "The scenario 'high' no longer exists." in run.error


def test_a_bundle_the_engine_refuses_fails_the_run_with_its_problems(demo: Any) -> None:
    from battkomp.analysis.models import ScenarioOverride

    # a change that was valid when saved, but whose row is gone (written behind the form's back)
    ScenarioOverride.objects.create(
        scenario=demo.mid,
        position=99,
        table="facilities",
        key="gone_plant",
        column="delay_mode",
        value="3",
    )
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=1)
    assert run.status == RunStatus.FAILED
    assert "The input bundle built from the database has problems" in run.error
    assert "gone_plant" in run.error


# --- progress and the background -----------------------------------------------------------


def test_progress_is_stored_while_the_model_runs(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import battkomp.engine as engine

    seen: list[tuple[int, int]] = []
    real = engine.run_model

    def watched(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def spy(done: int, total: int) -> None:
            progress(done, total)
            run = ModelRun.objects.get()
            assert run.status == RunStatus.RUNNING
            seen.append((run.progress_done, run.progress_total))

        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(engine, "run_model", watched)
    run = do_start_run(demo.users["analyst"], weighted=True, draws=1000, seed=2, background=False)
    assert run.status == RunStatus.DONE
    assert len(seen) >= 2
    assert seen[-1] == (1000, 1000)
    assert all(0 < done <= total == 1000 for done, total in seen)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "runs"],
    }
}


@pytest.fixture
def queued(settings: Any) -> Any:
    """The real queue: a started run waits as a task row until a worker takes it."""
    settings.TASKS = DATABASE_TASKS
    return settings


def test_a_run_from_the_page_goes_to_the_task_queue(demo: Any, queued: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    response = demo.client("analyst").post(
        en("analysis:run_start"), {"scenario": "weighted", "draws": 5000, "seed": 4}
    )
    run = ModelRun.objects.get()
    assert response["Location"] == en("analysis:run_detail", run.pk)
    assert run.status == RunStatus.QUEUED
    (task,) = DBTaskResult.objects.all()
    assert task.queue_name == "runs"
    assert task.task_path == "battkomp.analysis.runs.tasks.execute_run"
    assert task.args_kwargs == {"args": [run.pk], "kwargs": {}}


def test_a_queued_run_shows_a_progress_bar_a_refresh_link_and_its_progress_script(
    demo: Any, queued: Any
) -> None:
    """No meta refresh (axe's meta-refresh: a page must not reload itself on a timer): the
    site's own script follows the run, allowed by the CSP on this page only, and a Refresh link
    does it by hand without scripts."""
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=1000, seed=1)
    text = demo.client("analyst").get(en("analysis:run_detail", run.pk)).content.decode()
    assert "Waiting for a task worker" in text
    ModelRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress_done=250)
    response = demo.client("analyst").get(en("analysis:run_detail", run.pk))
    text = response.content.decode()
    assert "http-equiv" not in text
    assert '<progress id="run-progress" max="1000" value="250">' in text
    assert "250 of 1,000 draws done" in text
    assert re.search(r'<script src="/static/battkomp/run-progress[^"]*\.js" defer></script>', text)
    assert f'data-status-url="{en("analysis:run_status", run.pk)}"' in text
    assert 'id="run-live" role="status"' in text
    assert f'<a href="{en("analysis:run_detail", run.pk)}" class="button">Refresh</a>' in text
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'none'" not in policy.split("script-src")[1].split(";")[0]
    # elsewhere no script runs
    home = demo.client("analyst").get(en("analysis:runs"))
    assert "script-src 'none'" in home["Content-Security-Policy"]


def test_the_run_status_is_json_for_its_analysts_only(demo: Any, queued: Any) -> None:
    run = do_start_run(demo.users["analyst"], scenario=demo.mid, draws=1000, seed=1)
    ModelRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress_done=250, progress_total=1000
    )
    for lang, text in (
        ("en", "250 of 1,000 draws done"),
        ("nb", "250 av 1\u202f000 trekninger utført"),
    ):
        with translation.override(lang):
            address = reverse("analysis:run_status", args=[run.pk])
            shown = str(RunStatus.RUNNING.label)
        response = demo.client("analyst").get(address)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]
        assert response.json() == {
            "status": "running",
            "status_display": shown,
            "active": True,
            "done": 250,
            "total": 1000,
            "text": text,
        }
    ModelRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    done = demo.client("analyst").get(en("analysis:run_status", run.pk)).json()
    assert done["active"] is False
    assert done["status"] == "done"
    for persona in OUTSIDERS:
        response = demo.client(persona).get(en("analysis:run_status", run.pk))
        assert response.status_code == 404
        assert b"draws" not in response.content
    assert demo.client("anonymous").get(en("analysis:run_status", run.pk)).status_code == 302


# --- the command ---------------------------------------------------------------------------------


def test_the_command_carries_out_a_queued_run(
    demo: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = do_create_run(demo.users["analyst"], scenario=demo.mid, draws=DRAWS, seed=7)
    assert run.status == RunStatus.QUEUED
    call_command("execute_model_run", "--run", str(run.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    out = capsys.readouterr().out
    assert f"Model run #{run.pk}: done" in out
    assert run.input_hash in out
    assert "2040" in out
    assert ModelRunFrame.objects.filter(run=run, name="totals").exists()
    with pytest.raises(CommandError, match="is done, not queued"):
        call_command("execute_model_run", "--run", str(run.pk))
    with pytest.raises(CommandError, match="no model run with id"):
        call_command("execute_model_run", "--run", "999")


def test_the_command_creates_and_runs_a_run_for_a_named_scenario(
    done_run: ModelRun, demo: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    round_id = str(done_run.round_id)
    args = ("--scenario", "mid", "--draws", str(DRAWS), "--seed", "7", "--round", round_id)
    call_command("execute_model_run", *args)
    run = ModelRun.objects.latest("pk")
    assert run.pk != done_run.pk
    assert (run.status, run.scenario, run.created_by) == (RunStatus.DONE, demo.mid, None)
    assert run.input_hash == done_run.input_hash
    assert load_frames(run)["totals"].equals(done_run.frame("totals"))
    out = capsys.readouterr().out
    assert "National totals" in out
    assert run.input_hash in out
    call_command("execute_model_run", "--scenario", "weighted", "--draws", "20", "--seed", "1")
    assert ModelRun.objects.latest("pk").weighted


def test_the_command_refuses_an_unknown_scenario_or_round_or_bad_draws(demo: Any) -> None:
    with pytest.raises(CommandError, match=r"no scenario 'nope'.*high, low, mid"):
        call_command("execute_model_run", "--scenario", "nope")
    with pytest.raises(CommandError, match="no survey round"):
        call_command("execute_model_run", "--scenario", "mid", "--round", "999")
    with pytest.raises(CommandError, match="--draws"):
        call_command("execute_model_run", "--scenario", "mid", "--draws", "0")
    with pytest.raises(CommandError, match="--run ID"):
        call_command("execute_model_run")
    assert ModelRun.objects.count() == 0


def test_the_command_reports_a_failed_run(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import battkomp.engine as engine

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("out of cheese")

    monkeypatch.setattr(engine, "run_model", broken)
    with pytest.raises(CommandError, match="out of cheese"):
        call_command("execute_model_run", "--scenario", "low", "--draws", "10")
    assert ModelRun.objects.get().status == RunStatus.FAILED
