"""Facilities: who may add, change and read them, and the checks on their facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from battkomp.organisations.access import access_facility_for_user, facilities_for_user
from battkomp.organisations.actions import do_add_status, do_save_capacity_plan, do_save_facility
from battkomp.organisations.models import Facility
from web.personas import OUTSIDERS, SECRETARIAT


def url(name: str, *args: object) -> str:
    """English pages, so the assertions do not depend on the bokmål translation."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=" in response["Location"]


def facility_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Cellco Giga 1",
        "code": "cellco-giga-1",
        "segment": "cell_manufacturing",
        "region": "42",
        "start_year": 2027,
        "realisation_probability": 0.4,
        "delay_min": 0,
        "delay_mode": 2,
        "delay_max": 5,
        "intensity": 60.0,
        "source": "Press release, 2025",
    }
    data.update(overrides)
    return data


def form_data(**overrides: object) -> dict[str, object]:
    data = facility_data(**overrides)
    return {k: ("" if v is None else v) for k, v in data.items()}


@pytest.fixture
def facilities(world):
    """A facility of company A (with a plan and a status) and one of company B."""
    analyst = world.users["analyst"]
    a = do_save_facility(world.company_a, analyst, facility_data())
    do_save_capacity_plan(a, analyst, [(2027, 4.0), (2028, 16.0)], "first plan")
    do_add_status(a, analyst, "announced", dt.date(2024, 5, 1), "press release")
    b = do_save_facility(
        world.company_b,
        analyst,
        facility_data(name="Anodeco Plant", code="anodeco-plant", segment="active_materials"),
    )
    return {"a": a, "b": b}


# Reading ------------------------------------------------------------------------------------

READ_MATRIX = [
    ("company_a", "a", 200),
    ("company_a", "b", 404),
    ("company_b", "b", 200),
    ("company_b", "a", 404),
    ("institution", "a", 404),
    ("institution", "b", 404),
    ("handler", "a", 404),
    ("analyst", "a", 200),
    ("analyst", "b", 200),
    ("admin", "a", 200),
    ("admin", "b", 200),
]


@pytest.mark.parametrize(("persona", "which", "expected"), READ_MATRIX)
def test_a_facility_page_is_for_its_organisation_and_the_secretariat(
    world, facilities, persona, which, expected
):
    facility = facilities[which]
    response = world.client(persona).get(url("organisations:facility_detail", facility.pk))
    assert response.status_code == expected
    if expected == 200:
        assert facility.name in response.content.decode()


def test_anonymous_visitors_are_sent_to_login_from_a_facility_page(world, facilities):
    response = world.client("anonymous").get(
        url("organisations:facility_detail", facilities["a"].pk)
    )
    assert_login_redirect(response)


def test_an_institution_editor_reads_the_institutions_own_facilities(world):
    lab = do_save_facility(
        world.institution,
        world.users["analyst"],
        facility_data(name="Battery lab", code="battery-lab", segment="research_services"),
    )
    assert (
        world.client("institution").get(url("organisations:facility_detail", lab.pk)).status_code
        == 200
    )
    assert (
        world.client("company_a").get(url("organisations:facility_detail", lab.pk)).status_code
        == 404
    )


def test_the_facility_page_shows_the_facts_the_plan_and_the_status(world, facilities):
    body = (
        world.client("company_a")
        .get(url("organisations:facility_detail", facilities["a"].pk))
        .content.decode()
    )
    assert "cellco-giga-1" in body
    assert "Agder" in body
    assert "Announced" in body
    assert "2027" in body
    assert "16" in body
    assert "first plan" in body
    # members read; they get no management links
    assert url("organisations:facility_edit", facilities["a"].pk) not in body


def test_an_organisation_page_lists_only_its_own_facilities(world, facilities):
    body = (
        world.client("company_a")
        .get(url("organisations:organisation_detail", world.company_a.pk))
        .content.decode()
    )
    assert "Cellco Giga 1" in body
    assert "Anodeco Plant" not in body


def test_an_unknown_facility_gives_404_even_to_analysts(world):
    assert (
        world.client("analyst").get(url("organisations:facility_detail", 999999)).status_code == 404
    )


# Adding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_add_a_facility_to_an_organisation(world, persona):
    client = world.client(persona)
    new_url = url("organisations:facility_new", world.company_b.pk)
    assert client.get(new_url).status_code == 200
    response = client.post(new_url, form_data(code="anodeco-2", intensity=""))
    facility = Facility.objects.get(code="anodeco-2")
    assert response.status_code == 302
    assert response["Location"] == url("organisations:facility_detail", facility.pk)
    assert facility.organisation == world.company_b
    assert facility.start_year == 2027
    assert facility.realisation_probability == pytest.approx(0.4)
    assert (facility.delay_min, facility.delay_mode, facility.delay_max) == (0, 2, 5)
    assert facility.intensity is None
    assert not facility.plans.exists()
    assert not facility.statuses.exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_cannot_add_facilities_not_even_to_their_own_organisation(world, persona):
    client = world.client(persona)
    for org in (world.company_a, world.institution):
        new_url = url("organisations:facility_new", org.pk)
        assert client.get(new_url).status_code == 404
        assert client.post(new_url, form_data()).status_code == 404
    assert not Facility.objects.exists()


def test_anonymous_visitors_cannot_add_facilities(world):
    response = world.client("anonymous").post(
        url("organisations:facility_new", world.company_a.pk), form_data()
    )
    assert_login_redirect(response)
    assert not Facility.objects.exists()


def test_adding_a_facility_to_an_unknown_organisation_gives_404(world):
    response = world.client("analyst").post(url("organisations:facility_new", 999999), form_data())
    assert response.status_code == 404
    assert not Facility.objects.exists()


def test_a_facility_code_is_unique(world, facilities):
    response = world.client("analyst").post(
        url("organisations:facility_new", world.company_a.pk), form_data(name="Another")
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert not Facility.objects.filter(name="Another").exists()


@pytest.mark.parametrize(
    ("delays", "field"),
    [
        ((3, 2, 5), "delay_mode"),  # most likely before shortest
        ((0, 4, 3), "delay_max"),  # longest before most likely
        ((2, 2, 1), "delay_max"),
    ],
)
def test_delays_must_be_ordered_shortest_most_likely_longest(world, delays, field):
    low, mode, high = delays
    response = world.client("analyst").post(
        url("organisations:facility_new", world.company_a.pk),
        form_data(delay_min=low, delay_mode=mode, delay_max=high),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert "cannot be shorter than" in str(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Facility.objects.exists()


def test_equal_delays_are_allowed(world):
    facility = do_save_facility(
        world.company_a, None, facility_data(delay_min=2, delay_mode=2, delay_max=2)
    )
    assert (facility.delay_min, facility.delay_mode, facility.delay_max) == (2, 2, 2)


def test_the_action_checks_the_delay_order_too(world):
    with pytest.raises(ValidationError) as caught:
        do_save_facility(world.company_a, None, facility_data(delay_min=5, delay_mode=1))
    assert set(caught.value.message_dict) == {"delay_mode"}
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"realisation_probability": 1.5}, "realisation_probability"),
        ({"start_year": 1800}, "start_year"),
        ({"segment": "ufo"}, "segment"),
        ({"region": "99"}, "region"),
        ({"intensity": -1}, "intensity"),
        ({"name": ""}, "name"),
        ({"code": "not a slug"}, "code"),
    ],
)
def test_the_facility_facts_are_checked(world, overrides, field):
    response = world.client("analyst").post(
        url("organisations:facility_new", world.company_a.pk), form_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Facility.objects.exists()
    with pytest.raises(ValidationError) as caught:
        do_save_facility(world.company_a, None, facility_data(**overrides))
    assert field in caught.value.message_dict
    assert not Facility.objects.exists()


def test_a_probability_may_be_typed_with_a_decimal_comma_in_bokmal(world):
    with translation.override("nb"):
        new_url = reverse("organisations:facility_new", args=[world.company_a.pk])
    response = world.client("analyst").post(new_url, form_data(realisation_probability="0,35"))
    assert response.status_code == 302
    assert Facility.objects.get().realisation_probability == pytest.approx(0.35)


# Changing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_and_admins_change_a_facility(world, facilities, persona):
    facility = facilities["a"]
    client = world.client(persona)
    assert client.get(url("organisations:facility_edit", facility.pk)).status_code == 200
    response = client.post(
        url("organisations:facility_edit", facility.pk),
        form_data(name="Cellco Giga One", start_year=2029, realisation_probability=0.2),
    )
    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.name == "Cellco Giga One"
    assert facility.start_year == 2029
    assert facility.realisation_probability == pytest.approx(0.2)
    assert facility.organisation == world.company_a
    # the plan and the history are untouched by an edit of the facts
    assert facility.plans.count() == 1
    assert facility.statuses.count() == 1


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_members_cannot_change_facilities_not_even_their_own(world, facilities, persona):
    for facility in facilities.values():
        client = world.client(persona)
        assert client.get(url("organisations:facility_edit", facility.pk)).status_code == 404
        response = client.post(
            url("organisations:facility_edit", facility.pk), form_data(name="Hacked")
        )
        assert response.status_code == 404
    assert not Facility.objects.filter(name="Hacked").exists()


def test_anonymous_visitors_cannot_change_facilities(world, facilities):
    facility = facilities["a"]
    response = world.client("anonymous").post(
        url("organisations:facility_edit", facility.pk), form_data(name="Hacked")
    )
    assert_login_redirect(response)
    facility.refresh_from_db()
    assert facility.name == "Cellco Giga 1"


def test_a_bad_change_leaves_the_facility_as_it_was(world, facilities):
    facility = facilities["a"]
    response = world.client("analyst").post(
        url("organisations:facility_edit", facility.pk),
        form_data(name="Renamed", delay_min=4, delay_mode=1, delay_max=0),
    )
    assert response.status_code == 200
    assert "Edit Cellco Giga 1" in response.content.decode()
    facility.refresh_from_db()
    assert facility.name == "Cellco Giga 1"
    assert (facility.delay_min, facility.delay_mode, facility.delay_max) == (0, 2, 5)


def test_a_facility_keeps_its_own_code_when_edited(world, facilities):
    facility = facilities["a"]
    response = world.client("analyst").post(
        url("organisations:facility_edit", facility.pk), form_data(source="Updated source")
    )
    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.code == "cellco-giga-1"
    assert facility.source == "Updated source"


def test_a_facility_cannot_be_saved_under_another_organisation(world, facilities):
    with pytest.raises(ValueError, match="another organisation"):
        do_save_facility(world.company_b, None, {"name": "Moved"}, facilities["a"])


# Access functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "readable", "editable"),
    [
        ("company_a", {"a"}, set()),
        ("company_b", {"b"}, set()),
        ("institution", set(), set()),
        ("handler", set(), set()),
        ("analyst", {"a", "b"}, {"a", "b"}),
        ("admin", {"a", "b"}, {"a", "b"}),
    ],
)
def test_access_facility_for_user_follows_the_contract(
    world, facilities, persona, readable, editable
):
    user = world.users[persona]
    for key, facility in facilities.items():
        for edit, allowed in ((False, readable), (True, editable)):
            if key in allowed:
                assert access_facility_for_user(user, facility.pk, edit=edit) == facility
            else:
                with pytest.raises(Http404):
                    access_facility_for_user(user, facility.pk, edit=edit)
    expected = {facilities[k].pk for k in readable}
    assert set(facilities_for_user(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("bad_id", [None, "abc", 999999, -1])
def test_access_facility_for_user_gives_404_for_unknown_ids(world, bad_id):
    with pytest.raises(Http404):
        access_facility_for_user(world.users["analyst"], bad_id, edit=False)


def test_anonymous_users_can_access_no_facility(world, facilities):
    for edit in (False, True):
        with pytest.raises(Http404):
            access_facility_for_user(AnonymousUser(), facilities["a"].pk, edit=edit)
    assert not facilities_for_user(AnonymousUser()).exists()


# Built share and announced jobs (issue 14) ----------------------------------------------------


def test_the_built_share_and_announced_jobs_are_saved_shown_and_exported(world, tmp_path):
    from battkomp.analysis.runs.bundle_export import build_bundle
    from battkomp.engine.bundle import load_inputs

    with translation.override("nb"):
        new_url = reverse("organisations:facility_new", args=[world.company_a.pk])
    response = world.client("analyst").post(
        new_url,
        form_data(share_low="0,2", share_mode="0,5", share_high="1", announced_jobs="2500"),
    )
    assert response.status_code == 302
    facility = Facility.objects.get()
    assert (facility.share_low, facility.share_mode, facility.share_high) == pytest.approx(
        (0.2, 0.5, 1.0)
    )
    assert facility.announced_jobs == pytest.approx(2500.0)
    do_add_status(facility, None, "announced", dt.date(2026, 1, 5), "")
    do_save_capacity_plan(facility, None, [(2027, 4.0)], "")
    page = world.client("analyst").get(url("organisations:facility_detail", facility.pk))
    text = page.content.decode()
    assert "Share of the plan built: lowest, most likely, highest" in text
    assert "0.2, 0.5, 1<" in text  # shares as num:"-2" writes them (no trailing zeros)
    assert "2,500" in text
    row = load_inputs(build_bundle(tmp_path / "bundle"))["facilities"].row(0, named=True)
    assert (row["share_low"], row["share_mode"], row["share_high"]) == pytest.approx(
        (0.2, 0.5, 1.0)
    )
    assert row["announced_jobs"] == pytest.approx(2500.0)


def test_blank_shares_take_the_status_default(world):
    facility = do_save_facility(world.company_a, None, facility_data())
    assert (facility.share_low, facility.share_mode, facility.share_high) == (None, None, None)
    assert facility.announced_jobs is None
    page = world.client("analyst").get(url("organisations:facility_detail", facility.pk))
    assert "the status default" in page.content.decode()


@pytest.mark.parametrize(
    ("shares", "field"),
    [
        ((0.5, 0.3, 1.0), "share_mode"),  # most likely below lowest
        ((0.1, 0.6, 0.4), "share_high"),  # highest below most likely
        ((0.6, None, 0.4), "share_high"),  # highest below lowest, mode from the status
        ((None, None, 0.0), "share_high"),  # nothing built: that is the probability's job
    ],
)
def test_built_shares_must_be_ordered_lowest_most_likely_highest(world, shares, field):
    low, mode, high = shares
    overrides = {"share_low": low, "share_mode": mode, "share_high": high}
    response = world.client("analyst").post(
        url("organisations:facility_new", world.company_a.pk), form_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    with pytest.raises(ValidationError) as caught:
        do_save_facility(world.company_a, None, facility_data(**overrides))
    assert set(caught.value.message_dict) == {field}
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"share_low": 1.5}, "share_low"), ({"announced_jobs": -3}, "announced_jobs")],
)
def test_shares_are_between_0_and_1_and_announced_jobs_not_negative(world, overrides, field):
    with pytest.raises(ValidationError) as caught:
        do_save_facility(world.company_a, None, facility_data(**overrides))
    assert field in caught.value.message_dict
