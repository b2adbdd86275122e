"""No lost updates on offers and capacity plans: an edit names the version it was based on (the
forms' hidden ``based_on``, the API's ``based_on``); when someone saved in between it is refused
(409) with who saved and what differs, and nothing is written. Saving again on the stored version
replaces it deliberately."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.offers.actions import StaleOffer, do_save_offer, do_upsert_offers
from battkomp.offers.models import Offer
from battkomp.organisations.actions import StalePlan, do_save_capacity_plan

from .test_api_write import api_client, send
from .test_api_write import facility as api_facility
from .test_offers_views import form_post, make_offer, offer_data
from .test_offers_views import url as en_url
from .test_organisations_plans import facility, plan_post, plan_values

__all__ = ["api_facility", "facility"]  # fixtures, used below


def based_on_in(html: str) -> int:
    match = re.search(r'name="based_on" value="(\d+)"', html)
    assert match, "the form carries the version it shows"
    return int(match.group(1))


@pytest.fixture
def colleague(world) -> Client:
    """A second editor of the same institution, logged in: the other person with the offer open."""
    user = do_create_user(
        "second@fagskolen.test",
        "correct-horse-battery-staple",
        Role.EDITOR,
        world.institution,
        name="Kari Nordmann",
    )
    client = Client()
    client.force_login(user)
    return client


# --- offers --------------------------------------------------------------------------------------


def test_every_save_of_an_offer_adds_one_to_its_version(world):
    offer = make_offer(world)
    assert offer.version == 1
    do_save_offer(
        world.institution,
        world.users["institution"],
        offer_data(name="Renamed"),
        [("electrochemistry", 1.0)],
        offer=offer,
    )
    assert Offer.objects.get(pk=offer.pk).version == 2
    # An import that changes the offer adds one too; one that changes nothing does not.
    row = {**offer_data(name="Renamed again"), "areas": [("electrochemistry", 1.0)]}
    assert do_upsert_offers(world.institution, None, [row])["updated"] == 1
    assert Offer.objects.get(pk=offer.pk).version == 3
    assert do_upsert_offers(world.institution, None, [row])["unchanged"] == 1
    assert Offer.objects.get(pk=offer.pk).version == 3


def test_a_save_on_a_stale_offer_form_is_refused_and_shows_where_the_offer_differs(
    world, colleague
):
    offer = make_offer(world, study_places=40)
    edit = en_url("offers:edit", offer.pk)
    mine, theirs = world.client("institution"), colleague
    # Both open the form at version 1.
    assert based_on_in(mine.get(edit).content.decode()) == 1
    assert based_on_in(theirs.get(edit).content.decode()) == 1

    # The colleague saves first: 60 study places.
    saved = theirs.post(edit, {**form_post(study_places=60), "based_on": "1"})
    assert saved.status_code == 302
    assert Offer.objects.get(pk=offer.pk).version == 2

    # The first editor saves on the stale form: a new name, the old 40 study places.
    refused = mine.post(edit, {**form_post(study_places=40, name="My new name"), "based_on": "1"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Someone else changed this offer" in html
    assert "Kari Nordmann" in html
    assert "version 1" in html
    assert "version 2" in html
    assert "Nothing of yours was saved" in html
    assert "Study places per year: stored 60, yours 40" in html
    assert "stored Battery production technology, yours My new name" in html
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.study_places, stored.name, stored.version) == (60, offer.name, 2)
    # What this editor typed stays in the form, now based on the stored version.
    assert 'value="My new name"' in html
    assert based_on_in(html) == 2

    # Saving again replaces the stored offer deliberately.
    again = mine.post(edit, {**form_post(study_places=40, name="My new name"), "based_on": "2"})
    assert again.status_code == 302
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.study_places, stored.name, stored.version) == (40, "My new name", 3)


def test_the_stale_offer_message_is_in_bokmal_for_a_bokmal_editor(world):
    offer = make_offer(world)
    do_save_offer(
        world.institution,
        world.users["analyst"],
        offer_data(study_places=60),
        [("electrochemistry", 0.5), ("cell_assembly", 0.5)],
        offer=offer,
    )
    with translation.override("nb"):
        with pytest.raises(StaleOffer) as caught:
            do_save_offer(
                world.institution,
                world.users["institution"],
                offer_data(study_places=40),
                [("electrochemistry", 0.5), ("cell_assembly", 0.5)],
                offer=offer,
                based_on=1,
            )
        message = caught.value.message()
    assert "versjon 1" in message, message
    assert "versjon 2" in message, message
    assert "Nothing" not in message
    assert any("60" in c and "40" in c for c in caught.value.changes), caught.value.changes
    assert Offer.objects.get(pk=offer.pk).study_places == 60


@pytest.mark.parametrize("mode", ["session", "token"])
def test_a_stale_offer_change_through_the_api_is_409_and_writes_nothing(world, mode):
    offer = make_offer(world)
    path = f"/api/offers/{offer.pk}"
    client = api_client(world, "institution", mode)
    read = send(client, "get", path).json()
    assert read["version"] == 1
    body = {k: v for k, v in read.items() if k not in {"id", "institution", "updated_at"}}
    body.pop("version")

    # Someone else saves in between (the analyst, on the page).
    do_save_offer(
        world.institution,
        world.users["analyst"],
        offer_data(candidates=25),
        [("electrochemistry", 0.5), ("cell_assembly", 0.5)],
        offer=offer,
    )
    refused = send(client, "put", path, {**body, "study_places": 45, "based_on": 1})
    assert refused.status_code == 409
    answer = refused.json()
    assert answer["version"] == 2
    assert "version 1" in answer["detail"]
    assert "Nothing of yours was saved" in answer["detail"]
    assert any("Candidates per year: stored 25, yours –" in c for c in answer["changes"]), answer
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.study_places, stored.candidates, stored.version) == (40, 25, 2)

    # Based on the stored version: saved.
    saved = send(client, "put", path, {**body, "study_places": 45, "based_on": 2})
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["study_places"], saved.json()["version"]) == (45, 3)
    # Without based_on: not checked, as before.
    assert send(client, "put", path, {**body, "study_places": 46}).status_code == 200


@pytest.mark.parametrize("based_on", [0, -1, 2**31, True, "1"])
def test_a_based_on_that_is_not_a_version_is_422(world, based_on):
    offer = make_offer(world)
    path = f"/api/offers/{offer.pk}"
    client = api_client(world, "institution", "token")
    read = send(client, "get", path).json()
    skip = {"id", "institution", "updated_at", "version"}
    body = {k: v for k, v in read.items() if k not in skip}
    response = send(client, "put", path, {**body, "based_on": based_on})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "based_on"


# --- capacity plans ------------------------------------------------------------------------------


def test_a_save_on_a_stale_plan_form_is_refused_and_shows_what_changed(world, facility):
    do_save_capacity_plan(facility, world.users["analyst"], [(2027, 4.0), (2028, 16.0)])
    plan_url = en_url("organisations:facility_plan_edit", facility.pk)
    mine, theirs = world.client("analyst"), world.client("admin")
    assert based_on_in(mine.get(plan_url).content.decode()) == 1
    assert based_on_in(theirs.get(plan_url).content.decode()) == 1

    saved = theirs.post(
        plan_url, {**plan_post([(2027, "4"), (2028, "20"), (2029, "24")], "Q3"), "based_on": "1"}
    )
    assert saved.status_code == 302

    refused = mine.post(
        plan_url, {**plan_post([(2027, "6"), (2028, "16")], "mine"), "based_on": "1"}
    )
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Someone else changed this capacity plan" in html
    assert "Nothing of yours was saved" in html
    assert "2028: 16 → 20 GWh/yr" in html
    assert "2029: added, 24 GWh/yr" in html
    assert "Note of version 2: Q3" in html
    assert list(facility.plans.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert plan_values(facility.current_plan()) == [(2027, 4.0), (2028, 20.0), (2029, 24.0)]
    assert based_on_in(html) == 2
    assert 'value="6"' in html  # the typed rows stay

    again = mine.post(plan_url, {**plan_post([(2027, "6"), (2028, "16")], "mine"), "based_on": "2"})
    assert again.status_code == 302
    assert plan_values(facility.current_plan()) == [(2027, 6.0), (2028, 16.0)]
    assert facility.current_plan().version == 3


def test_a_first_plan_based_on_no_plan_is_refused_when_someone_added_one(world, facility):
    plan_url = en_url("organisations:facility_plan_edit", facility.pk)
    client = world.client("analyst")
    assert based_on_in(client.get(plan_url).content.decode()) == 0
    do_save_capacity_plan(facility, world.users["admin"], [(2027, 4.0)])
    refused = client.post(plan_url, {**plan_post([(2027, "5")]), "based_on": "0"})
    assert refused.status_code == 409
    assert "2027: added, 4 GWh/yr" in refused.content.decode()
    assert facility.plans.count() == 1


def test_the_stale_plan_message_is_in_bokmal(world, facility):
    do_save_capacity_plan(facility, world.users["admin"], [(2027, 4.0)])
    do_save_capacity_plan(facility, world.users["admin"], [(2027, 5.0)])
    with translation.override("nb"), pytest.raises(StalePlan) as caught:
        do_save_capacity_plan(facility, world.users["analyst"], [(2027, 6.0)], based_on=1)
    assert "versjon 1" in caught.value.message(), caught.value.message()
    assert any("4 → 5" in c for c in caught.value.changes), caught.value.changes
    assert facility.plans.count() == 2


@pytest.mark.parametrize("mode", ["session", "token"])
def test_a_stale_plan_through_the_api_is_409_and_writes_nothing(world, api_facility, mode):
    client = api_client(world, "analyst", mode)
    path = f"/api/facilities/{api_facility.pk}/plans"
    read = send(client, "get", f"/api/facilities/{api_facility.pk}").json()
    assert read["plan_versions"] == [1]
    do_save_capacity_plan(api_facility, world.users["admin"], [(2026, 3.0)], note="other")
    body = {"years": [{"year": 2026, "capacity": 9.0}], "based_on": 1}
    refused = send(client, "post", path, body)
    assert refused.status_code == 409
    answer = refused.json()
    assert answer["version"] == 2
    assert any("2026: 1 → 3 GWh/yr" in c for c in answer["changes"]), answer
    assert api_facility.plans.count() == 2
    created = send(client, "post", path, {**body, "based_on": 2})
    assert created.status_code == 201
    assert created.json()["version"] == 3
