"""Measures: registering (weights, codes, who may), the status workflow and its audit trail, and
an institution's committed study places."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from battkomp.measures.actions import (
    clean_targets,
    do_change_measure_status,
    do_commit_places,
    do_save_measure,
)
from battkomp.measures.models import Measure, MeasureStatusChange, MeasureTarget

DATA = {
    "title": "More fagskole places in cell assembly",
    "commandment": 6,
    "lever": "educate",
    "horizon": "",
    "places_per_year": 30,
    "start_year": 2027,
    "end_year": None,
    "duration_years": 2,
    "completion_rate": 0.7,
    "cost_nok": 1_000_000,
    "url": "https://example.org/measure",
    "source": "test",
}
TARGETS = [("nkr5", "cell_assembly", 0.6), ("nkr5", "electrode_manufacturing", 0.4)]


def measure(world: Any, persona: str = "analyst", **kw: Any) -> Measure:
    owner = kw.pop("owner", world.institution)
    return do_save_measure(
        world.users[persona],
        {**DATA, **kw.pop("data", {})},
        kw.pop("targets", TARGETS),
        owner=owner,
        **kw,
    )


def test_an_analyst_registers_a_measure_with_its_targets_and_a_first_history_row(
    world: Any,
) -> None:
    m = measure(world, status="agreed")
    assert (m.status, m.horizon, m.owner) == ("agreed", "long", world.institution)
    assert sorted((t.level, t.area, t.weight) for t in m.targets.all()) == sorted(TARGETS)
    (first,) = m.history.all()
    assert (first.from_status, first.to_status, first.changed_by) == (
        "",
        "agreed",
        world.users["analyst"],
    )
    assert m.bundle_id == f"m{m.pk}"


@pytest.mark.parametrize(
    ("targets", "needle"),
    [
        ([("nkr5", "cell_assembly", 0.6), ("nkr5", "hse", 0.3)], "sum to 0.9"),
        ([("nkr5", "cell_assembly", 60), ("nkr5", "hse", 30)], "sum to 90"),
        ([("nkr5", "production", 1)], "group of areas"),
        ([("nkr5", "no_such_area", 1)], "not a known competence area"),
        ([("evu", "hse", 1)], "not an education level"),
        ([("nkr5", "hse", "lots")], "must be a number"),
        ([("nkr5", "hse", 0)], "more than 0"),
        ([("nkr5", "hse", 0.5), ("nkr5", "hse", 0.5)], "given twice"),
        ([], "at least one"),
    ],
)
def test_bad_targets_are_refused_with_a_clear_message_and_nothing_is_written(
    world: Any, targets: list[Any], needle: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        measure(world, targets=targets)
    messages = caught.value.message_dict["targets"]
    assert any(needle in m for m in messages), messages
    assert not Measure.objects.exists()
    assert not MeasureTarget.objects.exists()
    assert not MeasureStatusChange.objects.exists()


def test_percent_weights_are_read_as_shares() -> None:
    cleaned, problems = clean_targets([("nkr6", "hse", "25 %"), ("nkr6", "data_mes", 75)])
    assert problems == []
    assert cleaned == [("nkr6", "hse", 0.25), ("nkr6", "data_mes", 0.75)]


def test_a_level_the_lever_cannot_deliver_at_is_refused() -> None:
    with translation.override("en"):
        _cleaned, problems = clean_targets([("nkr8", "hse", 1)], "evu_module")
    assert problems
    assert "does not deliver" in problems[0]


def test_bad_fields_are_named(world: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        measure(
            world,
            data={"commandment": 11, "lever": "magic", "start_year": 2030, "end_year": 2028},
        )
    errors = caught.value.message_dict
    assert {"commandment", "lever", "end_year"} <= set(errors)
    assert not Measure.objects.exists()


def test_the_status_workflow_is_audited_and_refuses_what_it_does_not_allow(world: Any) -> None:
    m = measure(world)
    analyst = world.users["analyst"]
    do_change_measure_status(m, analyst, "agreed", "board decision")
    do_change_measure_status(m, world.users["admin"], "running")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_change_measure_status(m, analyst, "proposed")
    assert "cannot become" in caught.value.messages[0]
    m.refresh_from_db()
    assert m.status == "running"
    steps = [(h.from_status, h.to_status, h.changed_by) for h in m.history.all()]
    assert steps == [
        ("", "proposed", analyst),
        ("proposed", "agreed", analyst),
        ("agreed", "running", world.users["admin"]),
    ]
    assert m.history.get(to_status="agreed").note == "board decision"


@pytest.mark.parametrize("persona", ["company_a", "institution", "handler"])
def test_only_analysts_change_a_status(world: Any, persona: str) -> None:
    m = measure(world)
    with pytest.raises(PermissionError):
        do_change_measure_status(m, world.users[persona], "agreed")
    m.refresh_from_db()
    assert m.status == "proposed"
    assert m.history.count() == 1


def test_partners_propose_for_their_own_organisation_only(world: Any) -> None:
    m = measure(world, "company_a", owner=None)
    assert (m.status, m.owner) == ("proposed", world.company_a)
    with pytest.raises(PermissionError):
        measure(world, "company_a", owner=world.company_b)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        measure(world, "institution", owner=None, status="agreed")
    assert "proposed" in caught.value.message_dict["status"][0]
    with pytest.raises(PermissionError):
        measure(world, "handler", owner=None)
    assert Measure.objects.count() == 1


def test_a_partner_changes_its_own_measure_only_while_it_is_proposed(world: Any) -> None:
    m = measure(world, "company_a", owner=None)
    measure(world, "company_a", owner=None, measure=m, data={"title": "Renamed"})
    m.refresh_from_db()
    assert m.title == "Renamed"
    with pytest.raises(PermissionError):
        measure(world, "company_b", owner=None, measure=m)
    do_change_measure_status(m, world.users["analyst"], "agreed")
    m.refresh_from_db()
    with pytest.raises(PermissionError):
        measure(world, "company_a", owner=None, measure=m, data={"title": "Again"})
    m.refresh_from_db()
    assert m.title == "Renamed"


def test_an_institution_commits_study_places_as_a_proposed_educate_measure(world: Any) -> None:
    m = do_commit_places(
        world.institution,
        world.users["institution"],
        {
            "level": "nkr5",
            "areas": ["cell_assembly", "hse"],
            "places_per_year": 24,
            "start_year": 2028,
            "title": "",
        },
    )
    assert (m.status, m.commandment, m.lever, m.horizon) == ("proposed", 6, "educate", "long")
    assert m.owner == world.institution
    assert m.places_per_year == 24
    assert sorted((t.level, t.area, t.weight) for t in m.targets.all()) == [
        ("nkr5", "cell_assembly", 0.5),
        ("nkr5", "hse", 0.5),
    ]
    assert world.institution.name in m.title


def test_a_commitment_without_areas_is_refused(world: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        do_commit_places(
            world.institution,
            world.users["institution"],
            {"level": "nkr5", "areas": [], "places_per_year": 5, "start_year": 2028},
        )
    assert "areas" in caught.value.message_dict
    assert not Measure.objects.exists()
