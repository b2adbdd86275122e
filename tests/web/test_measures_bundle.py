"""Measures reach the model: an institution commits study places, an analyst agrees them, and the
next bundle export (and so the next model run) counts them; proposed ones go out with their
status, which the engine ignores. The demo loads the demo bundle's measures and real labs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from battkomp.analysis.runs.bundle_export import build_bundle, collect_bundle
from battkomp.engine.bundle import check_bundle, demo_bundle_path, load_inputs
from battkomp.engine.schema import TABLES
from battkomp.measures.models import Infrastructure, Measure

pytestmark = pytest.mark.skipif(
    "measures" not in TABLES or "measure_targets" not in TABLES,
    reason="the engine does not know the measures tables yet",
)

COMMIT = {
    "level": "nkr5",
    "areas": ["cell_assembly", "formation_testing"],
    "places_per_year": "40",
    "start_year": "2027",
    "title": "Battery operator places",
}


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def commit_and_confirm(world: Any) -> Measure:
    response = world.client("institution").post(reverse("measures:commit"), COMMIT)
    assert response.status_code == 302
    return Measure.objects.get()


def test_a_commitment_goes_out_as_proposed_and_as_agreed_once_confirmed(
    world: Any, tmp_path: Path
) -> None:
    m = commit_and_confirm(world)
    folder = build_bundle(tmp_path / "proposed")
    assert check_bundle(folder) == []
    (row,) = rows(folder, "measures")
    assert (row["id"], row["status"], row["owner"]) == (f"m{m.pk}", "proposed", "Fagskolen Demo")
    assert row["commandment"] == "6"
    assert row["lever"] == "educate"
    assert float(row["places_per_year"]) == 40
    assert row["start_year"] == "2027"

    response = world.client("analyst").post(
        reverse("measures:status", args=[m.pk]), {"status": "agreed"}
    )
    assert response.status_code == 302
    folder = build_bundle(tmp_path / "agreed")
    assert check_bundle(folder) == []
    (row,) = rows(folder, "measures")
    assert (row["id"], row["status"]) == (f"m{m.pk}", "agreed")
    targets = sorted(
        (t["measure"], t["level"], t["area"], float(t["weight"]))
        for t in rows(folder, "measure_targets")
    )
    assert targets == [
        (f"m{m.pk}", "nkr5", "cell_assembly", 0.5),
        (f"m{m.pk}", "nkr5", "formation_testing", 0.5),
    ]
    inputs = load_inputs(folder, scenario=None)
    assert inputs["measures"]["status"].to_list() == ["agreed"]


def test_the_model_counts_the_measure_only_once_it_is_agreed(world: Any, tmp_path: Path) -> None:
    from battkomp.engine import run_model
    from battkomp.measures.actions import do_change_measure_status

    m = commit_and_confirm(world)
    before = run_model(build_bundle(tmp_path / "before"), draws=10, seed=1)
    do_change_measure_status(m, world.users["analyst"], "agreed")
    after = run_model(build_bundle(tmp_path / "after"), draws=10, seed=1)
    effects_before = before["measure_effects"]
    effects_after = after["measure_effects"]
    assert effects_before.filter(effects_before["measure"] == f"m{m.pk}").height == 0
    mine = effects_after.filter(effects_after["measure"] == f"m{m.pk}")
    assert mine.height > 0
    assert mine["supply"].sum() > 0
    assert set(mine["area"].to_list()) <= {"cell_assembly", "formation_testing"}


def test_a_measure_without_targets_is_left_out_with_a_note(world: Any) -> None:
    Measure.objects.create(
        title_en="Empty", commandment=1, horizon="long", lever="educate", start_year=2027
    )
    contents = collect_bundle()
    assert contents.tables["measures"] == []
    assert any("Empty" in n for n in contents.notes)


def test_the_demo_loads_measures_and_infrastructure_once(db: None, tmp_path: Path) -> None:
    from battkomp.demo import load_demo

    first = load_demo()
    demo = load_inputs(demo_bundle_path(), scenario=None)["measures"]
    assert first.created.get("measures") == demo.height
    assert first.created.get("infrastructure", 0) >= 3
    assert Measure.objects.filter(synthetic=True).count() == demo.height
    assert Infrastructure.objects.filter(approved=True, public=True).count() >= 3
    assert all(i.source.startswith("https://") for i in Infrastructure.objects.all())
    again = load_demo()
    assert "measures" not in again.created
    assert "infrastructure" not in again.created
    folder = build_bundle(tmp_path / "bundle")
    assert check_bundle(folder) == []
    ours = load_inputs(folder, scenario=None)["measures"]
    assert sorted(zip(ours["name"], ours["status"], strict=True)) == sorted(
        zip(demo["name"], demo["status"], strict=True)
    )
    assert sorted(ours["places_per_year"].to_list()) == sorted(demo["places_per_year"].to_list())


def test_the_demo_pages_show_the_public_measures_and_the_labs(db: None) -> None:
    from django.test import Client

    from battkomp.demo import load_demo

    load_demo()
    client = Client()
    catalogue = client.get("/en/measures/").content.decode()
    katalog = client.get("/measures/").content.decode()
    for m in Measure.objects.all():
        assert (m.title_en in catalogue) is m.is_public, m.title_en
        assert (m.title_nb in katalog) is m.is_public, m.title_nb
    assert "{{" not in catalogue
    assert "{%" not in catalogue
    assert "lang-fallback" not in catalogue + katalog  # every demo measure has both titles
    labs = client.get("/infrastructure/").content.decode()
    assert "SINTEFs batterilab" in labs
    assert "Morrow Research Centre (batteriinnovasjonssenter)" in labs
    assert "SINTEF Battery Lab" not in labs
    assert "{{" not in labs
    labs_en = client.get("/en/infrastructure/").content.decode()
    assert "SINTEF Battery Lab" in labs_en
    assert "SINTEFs batterilab" not in labs_en
    assert "lang-fallback" not in labs + labs_en
    assert "{%" not in labs
