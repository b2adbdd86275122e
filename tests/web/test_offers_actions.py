"""The offer actions: validation of a single offer, and the all-or-nothing, idempotent upsert
the Excel importer uses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from battkomp.offers.access import access_offer_for_user
from battkomp.offers.actions import do_delete_offer, do_save_offer, do_upsert_offers
from battkomp.offers.models import Offer, OfferArea


def row(code: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": code,
        "name": f"Offer {code}",
        "kind": "course",
        "level": "nkr6",
        "target_level": "",
        "study_places": 30,
        "candidates": None,
        "first_intake": 2023,
        "duration_years": 0.5,
        "ects": 10,
        "region": "42",
        "mode": "online",
        "status": "exists",
        "completion_rate": 0.9,
        "capture_share": None,
        "source": "catalogue 2024",
        "areas": [("electrochemistry", 0.6), ("materials_technology", 0.4)],
    }
    data.update(overrides)
    return data


def save(world, **overrides: object) -> Offer:
    data = row(str(overrides.pop("code", "single")), **overrides)
    areas = data.pop("areas")
    return do_save_offer(world.institution, world.users["institution"], data, areas)


# do_save_offer --------------------------------------------------------------------------------


def test_it_saves_an_offer_with_normalised_weights(world):
    offer = save(
        world, areas=[("electrochemistry", 0.3334), ("hse", 0.3333), ("cell_design", 0.3333)]
    )
    weights = [a.weight for a in offer.areas.all()]
    assert sum(weights) == pytest.approx(1.0, abs=1e-9)
    assert offer.updated_by == world.users["institution"]


@pytest.mark.parametrize("weights", [(0.5, 0.4), (0.6, 0.6), (50, 40), (0.5, 0.4985)])
def test_it_rejects_weights_that_do_not_sum_to_1_or_100(world, weights):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        save(world, areas=[("electrochemistry", weights[0]), ("hse", weights[1])])
    assert "areas" in info.value.message_dict
    assert "must add up to 1" in info.value.message_dict["areas"][0]
    assert not Offer.objects.exists()
    assert not OfferArea.objects.exists()


def test_it_accepts_weights_within_a_thousandth_of_1(world):
    offer = save(world, areas=[("electrochemistry", 0.5), ("hse", 0.4995)])
    assert sum(a.weight for a in offer.areas.all()) == pytest.approx(1.0, abs=1e-9)


def test_it_rejects_unknown_areas_groups_and_nonpositive_weights_naming_the_row(world):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        save(
            world,
            areas=[("electrochemistry", 0.5), ("production", 0.3), ("nonsense", 0.1), ("hse", 0)],
        )
    messages = info.value.message_dict["areas"]
    assert any(m.startswith("Row 2:") and "group" in m for m in messages)
    assert any(m.startswith("Row 3:") and "not a known competence area" in m for m in messages)
    assert any(m.startswith("Row 4:") and "more than 0" in m for m in messages)
    assert not Offer.objects.exists()


def test_it_rejects_an_evu_offer_without_a_target_level(world):
    with pytest.raises(ValidationError) as info:
        save(world, level="evu", kind="module", target_level="")
    assert "target_level" in info.value.message_dict
    assert not Offer.objects.exists()


def test_it_rejects_a_target_level_that_is_not_a_true_level(world):
    with pytest.raises(ValidationError) as info:
        save(world, level="evu", kind="module", target_level="evu")
    assert "target_level" in info.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region", "99"),
        ("kind", "seminar"),
        ("status", "dreamt"),
        ("level", "nkr9"),
        ("first_intake", 1800),
        ("completion_rate", 1.5e3),
        ("code", "has spaces"),
        ("study_places", "many"),
        ("ects", -5),
    ],
)
def test_it_rejects_a_bad_field_naming_the_field(world, field, value):
    with pytest.raises(ValidationError) as info:
        save(world, **{field: value})
    assert field in info.value.message_dict
    assert not Offer.objects.exists()


def test_it_reads_shares_given_as_percentages(world):
    offer = save(world, completion_rate="85 %", capture_share=40)
    assert offer.completion_rate == pytest.approx(0.85)
    assert offer.capture_share == pytest.approx(0.4)


def test_it_refuses_offers_for_a_company(world):
    data = row("company-offer")
    areas = data.pop("areas")
    with pytest.raises(ValidationError):
        do_save_offer(world.company_a, world.users["analyst"], data, areas)
    assert not Offer.objects.exists()


def test_it_deletes_an_offer_with_its_areas(world):
    offer = save(world)
    do_delete_offer(offer, world.users["institution"])
    assert not Offer.objects.exists()
    assert not OfferArea.objects.exists()


# access_offer_for_user ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "may_edit"),
    [
        ("company_a", False),
        ("company_b", False),
        ("institution", True),
        ("analyst", True),
        ("admin", True),
        ("handler", False),
    ],
)
def test_access_lets_everyone_read_and_only_editors_and_analysts_edit(world, persona, may_edit):
    offer = save(world)
    user = world.users[persona]
    assert access_offer_for_user(user, offer.pk, edit=False) == offer
    if may_edit:
        assert access_offer_for_user(user, offer.pk, edit=True) == offer
    else:
        with pytest.raises(Http404):
            access_offer_for_user(user, offer.pk, edit=True)


def test_access_lets_anonymous_read_but_not_edit(world):
    from django.contrib.auth.models import AnonymousUser

    offer = save(world)
    assert access_offer_for_user(AnonymousUser(), offer.pk, edit=False) == offer
    with pytest.raises(Http404):
        access_offer_for_user(AnonymousUser(), offer.pk, edit=True)
    with pytest.raises(Http404):
        access_offer_for_user(AnonymousUser(), "not-a-number", edit=False)


# do_upsert_offers -----------------------------------------------------------------------------


def snapshot() -> list[tuple]:
    return [
        (
            o.code,
            o.name,
            o.study_places,
            o.updated_at,
            tuple((a.area, a.weight) for a in o.areas.order_by("area")),
        )
        for o in Offer.objects.order_by("code")
    ]


def test_upsert_creates_then_reports_everything_unchanged_the_second_time(world):
    rows = [
        row("a"),
        row(
            "b",
            level="evu",
            kind="bransjeprogram",
            target_level="nkr4",
            study_places=None,
            candidates=12,
            areas=[("hse", 100)],
        ),
    ]
    user = world.users["institution"]
    assert do_upsert_offers(world.institution, user, rows) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    before = snapshot()
    assert do_upsert_offers(world.institution, user, rows) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert snapshot() == before  # updated_at included: nothing was written


def test_upsert_treats_equivalent_spellings_as_unchanged(world):
    user = world.users["institution"]
    do_upsert_offers(world.institution, user, [row("a")])
    before = snapshot()
    same = row(
        "a",
        study_places="30",
        ects="10,0",
        completion_rate="90 %",
        areas=[("electrochemistry", "60"), ("materials_technology", "40")],
    )
    assert do_upsert_offers(world.institution, user, [same]) == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
    }
    assert snapshot() == before


def test_upsert_updates_changed_rows_and_leaves_the_rest(world):
    user = world.users["institution"]
    do_upsert_offers(world.institution, user, [row("a"), row("b")])
    b_before = Offer.objects.get(code="b").updated_at
    counts = do_upsert_offers(
        world.institution,
        user,
        [row("a", study_places=45, areas=[("hse", 1.0)]), row("b"), row("c")],
    )
    assert counts == {"created": 1, "updated": 1, "unchanged": 1}
    a = Offer.objects.get(code="a")
    assert a.study_places == 45
    assert [(x.area, x.weight) for x in a.areas.all()] == [("hse", 1.0)]
    assert Offer.objects.get(code="b").updated_at == b_before


def test_upsert_writes_nothing_when_one_row_is_bad(world):
    user = world.users["institution"]
    do_upsert_offers(world.institution, user, [row("a")])
    before = snapshot()
    rows = [
        row("a", name="Changed"),
        row("new-one"),
        row("bad", areas=[("electrochemistry", 0.5), ("hse", 0.2)]),
    ]
    with translation.override("en"), pytest.raises(ValidationError) as info:
        do_upsert_offers(world.institution, user, rows)
    problems = info.value.error_list
    assert len(problems) == 1
    assert problems[0].params["row"] == 3
    assert problems[0].params["field"] == "areas"
    assert problems[0].params["code"] == "bad"
    assert "Row 3 (bad), areas:" in info.value.messages[0]
    assert snapshot() == before
    assert not Offer.objects.filter(code__in=["new-one", "bad"]).exists()


def test_upsert_lists_every_problem_with_row_and_field(world):
    rows = [
        row("a", level="evu", target_level=""),
        row("b", study_places=None, candidates=None),
        row("a"),
    ]
    with pytest.raises(ValidationError) as info:
        do_upsert_offers(world.institution, world.users["institution"], rows)
    found = {(e.params["row"], e.params["field"]) for e in info.value.error_list}
    assert found == {(1, "target_level"), (2, "study_places"), (3, "code")}
    assert not Offer.objects.exists()


def test_upsert_refuses_a_code_that_belongs_to_another_institution(world):
    from battkomp.organisations.models import Organisation, OrganisationKind

    other = Organisation.objects.create(name="Other school", kind=OrganisationKind.EDUCATION)
    do_upsert_offers(other, world.users["analyst"], [row("shared")])
    with pytest.raises(ValidationError) as info:
        do_upsert_offers(world.institution, world.users["institution"], [row("shared")])
    assert info.value.error_list[0].params["field"] == "code"
    assert Offer.objects.get(code="shared").institution == other


def test_upsert_of_nothing_changes_nothing(world):
    assert do_upsert_offers(world.institution, world.users["institution"], []) == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
    }


def test_upsert_accepts_areas_as_dicts(world):
    rows = [
        row("a", areas=[{"area": "hse", "weight": 0.5}, {"area": "cell_design", "weight": 0.5}])
    ]
    assert do_upsert_offers(world.institution, world.users["institution"], rows)["created"] == 1
    assert Offer.objects.get(code="a").areas.count() == 2


@pytest.mark.parametrize("region", ["SE", "se", "DK", "FI", "IS"])
def test_it_saves_an_offer_located_in_a_nordic_country(world, region):
    offer = save(world, code=f"nordic-{region.lower()}", region=region)
    assert offer.region == region.upper()
