"""Capacity plans keep every version; the status history is only added to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from battkomp.organisations.actions import do_add_status, do_save_capacity_plan, do_save_facility
from battkomp.organisations.models import CapacityPlan, CapacityPlanYear, FacilityStatus
from web.personas import OUTSIDERS, SECRETARIAT


def url(name: str, *args: object) -> str:
    """English pages, so the assertions do not depend on the bokmål translation."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=" in response["Location"]


def plan_post(rows: list[tuple[object, object]], note: str = "", blanks: int = 2) -> dict:
    """What the plan table sends: the filled rows, then a few blank ones."""
    all_rows = [*rows, *[("", "")] * blanks]
    data: dict[str, object] = {
        "rows-TOTAL_FORMS": len(all_rows),
        "rows-INITIAL_FORMS": 0,
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
        "note": note,
    }
    for i, (year, capacity) in enumerate(all_rows):
        data[f"rows-{i}-year"] = year
        data[f"rows-{i}-capacity"] = capacity
    return data


def plan_values(plan: CapacityPlan) -> list[tuple[int, float]]:
    return list(plan.years.order_by("year").values_list("year", "capacity"))


@pytest.fixture
def facility(world):
    return do_save_facility(
        world.company_a,
        world.users["analyst"],
        {
            "name": "Cellco Giga 1",
            "code": "cellco-giga-1",
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2027,
            "realisation_probability": 0.5,
            "delay_min": 0,
            "delay_mode": 1,
            "delay_max": 3,
        },
    )


# Plan versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_two_plan_edits_keep_both_versions_with_their_values(world, facility, persona):
    client = world.client(persona)
    plan_url = url("organisations:facility_plan_edit", facility.pk)
    assert client.get(plan_url).status_code == 200

    first = client.post(plan_url, plan_post([(2027, "4"), (2028, "16")], "as announced"))
    assert first.status_code == 302
    assert first["Location"] == url("organisations:facility_detail", facility.pk)
    second = client.post(
        plan_url, plan_post([(2028, "2.5"), (2029, "8"), (2030, "16")], "delayed a year")
    )
    assert second.status_code == 302

    v1, v2 = facility.plans.order_by("version")
    assert (v1.version, v2.version) == (1, 2)
    assert plan_values(v1) == [(2027, 4.0), (2028, 16.0)]
    assert plan_values(v2) == [(2028, 2.5), (2029, 8.0), (2030, 16.0)]
    assert (v1.note, v2.note) == ("as announced", "delayed a year")
    assert v1.created_by == v2.created_by == world.users[persona]
    assert facility.current_plan() == v2


def test_the_plan_form_starts_from_the_current_plan_with_blank_rows(world, facility):
    do_save_capacity_plan(facility, None, [(2027, 4.0), (2028, 16.0)])
    response = world.client("analyst").get(url("organisations:facility_plan_edit", facility.pk))
    formset = response.context["formset"]
    assert [f.initial for f in formset.forms[:2]] == [
        {"year": 2027, "capacity": 4.0},
        {"year": 2028, "capacity": 16.0},
    ]
    assert len(formset.forms) >= 4  # blank rows for new years, no JavaScript needed
    body = response.content.decode()
    assert 'name="rows-0-year"' in body
    assert 'value="2027"' in body


def test_resubmitting_the_form_unchanged_adds_a_version_and_changes_no_old_one(world, facility):
    client = world.client("analyst")
    plan_url = url("organisations:facility_plan_edit", facility.pk)
    client.post(plan_url, plan_post([(2027, "4"), (2028, "16")]))
    old_rows = list(CapacityPlanYear.objects.values_list("pk", "plan_id", "year", "capacity"))
    client.post(plan_url, plan_post([(2027, "4"), (2028, "20")]))
    assert facility.plans.count() == 2
    # every row of version 1 is exactly as it was
    for pk, plan_id, year, capacity in old_rows:
        row = CapacityPlanYear.objects.get(pk=pk)
        assert (row.plan_id, row.year, row.capacity) == (plan_id, year, capacity)


def test_clearing_a_row_drops_that_year_from_the_new_version_only(world, facility):
    do_save_capacity_plan(facility, None, [(2027, 4.0), (2028, 16.0)])
    response = world.client("analyst").post(
        url("organisations:facility_plan_edit", facility.pk), plan_post([("", ""), (2028, "16")])
    )
    assert response.status_code == 302
    v1, v2 = facility.plans.order_by("version")
    assert plan_values(v1) == [(2027, 4.0), (2028, 16.0)]
    assert plan_values(v2) == [(2028, 16.0)]


@pytest.mark.parametrize(
    ("rows", "row", "text"),
    [
        ([(2027, "4"), (2028, "-1")], 2, "greater than or equal to 0"),
        ([(2027, "4"), (1800, "16")], 2, "greater than or equal to 1990"),
        ([(2027, "4"), (2101, "16")], 2, "less than or equal to 2100"),
        ([(2027, "4"), (2028, "8"), (2027, "16")], 3, "The year 2027 is already given in row 1."),
        ([(2027, "4"), (2028, "lots")], 2, "Enter a number."),
        ([(2027, "4"), (2028, "")], 2, "Give the capacity for this year."),
        ([(2027, "4"), ("", "3")], 2, "Give the year of this capacity."),
    ],
)
def test_a_bad_row_is_named_in_the_error_and_no_version_is_added(world, facility, rows, row, text):
    do_save_capacity_plan(facility, None, [(2026, 1.0)])
    response = world.client("analyst").post(
        url("organisations:facility_plan_edit", facility.pk), plan_post(rows, "bad")
    )
    assert response.status_code == 200
    summary = response.context["errors"]
    assert any(e.startswith(f"Row {row}, ") and text in e for e in summary), summary
    body = response.content.decode()
    assert f"Row {row}, " in body
    assert "bad</textarea>" in body  # the note is kept for the next try
    assert facility.plans.count() == 1
    assert plan_values(facility.current_plan()) == [(2026, 1.0)]


def test_every_problem_in_the_table_is_reported_in_one_round(world, facility):
    response = world.client("analyst").post(
        url("organisations:facility_plan_edit", facility.pk),
        plan_post([(2027, "4"), (1800, "-1"), (2027, "3")]),
    )
    assert response.status_code == 200
    summary = response.context["errors"]
    assert len(summary) == 3
    assert summary[0].startswith("Row 2, Year:")
    assert summary[1].startswith("Row 2, Capacity (GWh/yr):")
    assert summary[2] == "Row 3, Year: The year 2027 is already given in row 1."
    assert not facility.plans.exists()


def test_an_empty_plan_is_refused(world, facility):
    response = world.client("analyst").post(
        url("organisations:facility_plan_edit", facility.pk), plan_post([])
    )
    assert response.status_code == 200
    assert "A capacity plan needs at least one year." in response.content.decode()
    assert not facility.plans.exists()


def test_capacity_may_be_typed_with_a_decimal_comma_in_bokmal(world, facility):
    with translation.override("nb"):
        plan_url = reverse("organisations:facility_plan_edit", args=[facility.pk])
    response = world.client("analyst").post(plan_url, plan_post([(2027, "2,5")]))
    assert response.status_code == 302
    assert plan_values(facility.current_plan()) == [(2027, 2.5)]


def test_the_facility_page_shows_the_current_plan_and_every_version(world, facility):
    analyst = world.users["analyst"]
    do_save_capacity_plan(facility, analyst, [(2027, 4.0), (2028, 16.0)], "as announced")
    do_save_capacity_plan(facility, analyst, [(2029, 8.5)], "delayed")
    response = world.client("company_a").get(url("organisations:facility_detail", facility.pk))
    context = response.context
    assert context["current_plan"].version == 2
    assert [v["plan"].version for v in context["versions"]] == [2, 1]
    assert context["all_years"] == [2027, 2028, 2029]
    assert context["versions"][0]["cells"] == [None, None, 8.5]
    assert context["versions"][1]["cells"] == [4.0, 16.0, None]
    body = response.content.decode()
    assert "as announced" in body
    assert "delayed" in body
    assert "analyst@battkomp.test" in body
    assert "8.5" in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_cannot_edit_a_plan_not_even_their_own(world, facility, persona):
    plan_url = url("organisations:facility_plan_edit", facility.pk)
    client = world.client(persona)
    assert client.get(plan_url).status_code == 404
    assert client.post(plan_url, plan_post([(2027, "4")])).status_code == 404
    assert not CapacityPlan.objects.exists()


def test_anonymous_visitors_cannot_edit_a_plan(world, facility):
    response = world.client("anonymous").post(
        url("organisations:facility_plan_edit", facility.pk), plan_post([(2027, "4")])
    )
    assert_login_redirect(response)
    assert not CapacityPlan.objects.exists()


def test_editing_the_plan_of_an_unknown_facility_gives_404(world):
    response = world.client("analyst").get(url("organisations:facility_plan_edit", 999999))
    assert response.status_code == 404


# The plan action ----------------------------------------------------------------------------


def test_the_plan_action_numbers_versions_from_one(world, facility):
    p1 = do_save_capacity_plan(facility, world.users["analyst"], [(2028, 16.0), (2027, 4.0)])
    p2 = do_save_capacity_plan(facility, None, [(2027, 0.0)], "cancelled for now")
    assert (p1.version, p2.version) == (1, 2)
    assert plan_values(p1) == [(2027, 4.0), (2028, 16.0)]
    assert plan_values(p2) == [(2027, 0.0)]
    assert p2.created_by is None


def test_versions_are_counted_per_facility(world, facility):
    other = do_save_facility(
        world.company_b,
        None,
        {
            "name": "Anode plant",
            "code": "anode-plant",
            "segment": "active_materials",
            "region": "40",
            "start_year": 2026,
            "realisation_probability": 0.8,
        },
    )
    do_save_capacity_plan(facility, None, [(2027, 4.0)])
    assert do_save_capacity_plan(other, None, [(2026, 1.0)]).version == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(2027, 4.0), (2028, -1.0)], "Row 2: the capacity cannot be negative (-1.0)."),
        ([(2027, 4.0), (1800, 16.0)], "Row 2: the year 1800 is outside 1990–2100."),
        ([(2027, 4.0), (2027, 16.0)], "Row 2: the year 2027 is already given in row 1."),
        ([(2027.5, 4.0)], "Row 1: the year must be a whole number."),
        ([(2027, float("nan"))], "Row 1: the capacity must be a number."),
        ([(2027, "4")], "Row 1: the capacity must be a number."),
        ([(2027,)], "Row 1: give a year and a capacity."),
        ([], "A capacity plan needs at least one year."),
    ],
)
def test_the_plan_action_names_the_bad_row_and_writes_nothing(world, facility, rows, message):
    do_save_capacity_plan(facility, None, [(2026, 1.0)])
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_save_capacity_plan(facility, None, rows, "bad")
    assert message in caught.value.messages
    assert facility.plans.count() == 1
    assert CapacityPlanYear.objects.count() == 1


def test_the_plan_action_reports_every_bad_row_at_once(world, facility):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_save_capacity_plan(facility, None, [(1800, 1.0), (2027, -3.0), (2028, 1.0)])
    assert caught.value.messages == [
        "Row 1: the year 1800 is outside 1990–2100.",
        "Row 2: the capacity cannot be negative (-3.0).",
    ]
    assert not CapacityPlan.objects.exists()


# Status history -----------------------------------------------------------------------------


def status_post(status: str, date: str, note: str = "") -> dict[str, str]:
    return {"status": status, "date": date, "note": note}


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_add_a_status(world, facility, persona):
    client = world.client(persona)
    status_url = url("organisations:facility_status_add", facility.pk)
    assert client.get(status_url).status_code == 200
    response = client.post(status_url, status_post("fid", "2025-03-01", "financing closed"))
    assert response.status_code == 302
    assert response["Location"] == url("organisations:facility_detail", facility.pk)
    status = FacilityStatus.objects.get(facility=facility)
    assert status.status == "fid"
    assert status.date == dt.date(2025, 3, 1)
    assert status.note == "financing closed"
    assert status.recorded_by == world.users[persona]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_cannot_add_a_status_not_even_to_their_own_facility(world, facility, persona):
    status_url = url("organisations:facility_status_add", facility.pk)
    client = world.client(persona)
    assert client.get(status_url).status_code == 404
    assert client.post(status_url, status_post("cancelled", "2025-01-01")).status_code == 404
    assert not FacilityStatus.objects.exists()


def test_anonymous_visitors_cannot_add_a_status(world, facility):
    response = world.client("anonymous").post(
        url("organisations:facility_status_add", facility.pk),
        status_post("cancelled", "2025-01-01"),
    )
    assert_login_redirect(response)
    assert not FacilityStatus.objects.exists()


def test_the_current_status_is_the_latest_by_date_not_by_entry(world, facility):
    client = world.client("analyst")
    status_url = url("organisations:facility_status_add", facility.pk)
    for status, date in [
        ("construction", "2023-06-01"),
        ("operating", "2024-08-15"),
        ("announced", "2021-10-27"),  # entered late, dated early
        ("fid", "2022-09-01"),
    ]:
        assert client.post(status_url, status_post(status, date)).status_code == 302
    assert FacilityStatus.objects.filter(facility=facility).count() == 4
    assert facility.current_status().status == "operating"

    response = client.get(url("organisations:facility_detail", facility.pk))
    assert [s.status for s in response.context["statuses"]] == [
        "operating",
        "construction",
        "fid",
        "announced",
    ]
    assert response.context["status"].status == "operating"
    body = response.content.decode()
    order = [body.index(label) for label in ("Operating", "Under construction", "Announced")]
    assert order == sorted(order)

    client.post(status_url, status_post("paused", "2025-01-15", "cuts"))
    assert facility.current_status().status == "paused"
    assert facility.statuses.count() == 5  # the history is only added to


def test_two_statuses_on_the_same_day_the_later_entry_wins(world, facility):
    do_add_status(facility, None, "construction", dt.date(2024, 1, 1))
    do_add_status(facility, None, "paused", dt.date(2024, 1, 1))
    assert facility.current_status().status == "paused"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (status_post("exploded", "2024-01-01"), "status"),
        (status_post("operating", ""), "date"),
        (status_post("operating", "not a date"), "date"),
    ],
)
def test_a_bad_status_is_shown_on_the_form_and_nothing_is_added(world, facility, data, field):
    response = world.client("analyst").post(
        url("organisations:facility_status_add", facility.pk), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not FacilityStatus.objects.exists()


@pytest.mark.parametrize(
    ("status", "date", "field"),
    [
        ("exploded", dt.date(2024, 1, 1), "status"),
        ("operating", "2024-01-01", "date"),
        ("operating", dt.date(1800, 1, 1), "date"),
    ],
)
def test_the_status_action_checks_status_and_date(world, facility, status, date, field):
    with pytest.raises(ValidationError) as caught:
        do_add_status(facility, None, status, date)
    assert field in caught.value.message_dict
    assert not FacilityStatus.objects.exists()
