"""The workshop grid: competence areas × levels, quantified, with each area's status."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.core.codes import codes
from battkomp.offers.actions import do_save_offer
from battkomp.offers.grid import build_grid, filtered_offers
from web.personas import PERSONAS


def url(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def offer(
    world,
    code,
    *,
    level="nkr5",
    status="exists",
    places=None,
    candidates=None,
    areas=(("electrochemistry", 1.0),),
    region="32",
    target_level="",
):
    return do_save_offer(
        world.institution,
        world.users["institution"],
        {
            "code": code,
            "name": f"Offer {code}",
            "kind": "programme",
            "level": level,
            "target_level": target_level,
            "study_places": places,
            "candidates": candidates,
            "first_intake": 2024,
            "region": region,
            "status": status,
        },
        list(areas),
    )


@pytest.fixture
def offers(world):
    """Hand-made offers with known numbers."""
    offer(world, "fagskole-a", places=40, areas=[("electrochemistry", 0.5), ("hse", 0.5)])
    offer(world, "fagskole-b", places=10, status="planned", areas=[("electrochemistry", 1)])
    offer(
        world,
        "master",
        level="nkr7",
        candidates=8,
        status="under_development",
        areas=[("cell_design", 0.25), ("electrochemistry", 0.75)],
        region="50",
    )
    offer(
        world,
        "evu-module",
        level="evu",
        target_level="nkr4",
        places=20,
        areas=[("hse", 1)],
        region="50",
    )


def test_a_cell_is_the_sum_of_places_times_weight(world, offers):
    grid = build_grid(filtered_offers())
    cell = grid.cell("electrochemistry", "nkr5")
    assert cell.value == pytest.approx(40 * 0.5 + 10 * 1.0)
    assert cell.count == 2
    assert grid.cell("hse", "nkr5").value == pytest.approx(20)


def test_candidates_count_where_study_places_are_blank(world, offers):
    grid = build_grid(filtered_offers())
    assert grid.cell("electrochemistry", "nkr7").value == pytest.approx(8 * 0.75)
    assert grid.cell("cell_design", "nkr7").value == pytest.approx(2)


def test_evu_offers_fill_the_evu_column(world, offers):
    grid = build_grid(filtered_offers())
    assert grid.cell("hse", "evu").value == pytest.approx(20)
    assert grid.cell("hse", "nkr4").value == 0


def test_each_area_is_marked_exists_can_be_built_or_missing(world, offers):
    grid = build_grid(filtered_offers())
    assert grid.row("electrochemistry").status == "exists"
    assert grid.row("hse").status == "exists"
    assert grid.row("cell_design").status == "can_be_built"
    for area in codes("area"):
        if area not in {"electrochemistry", "hse", "cell_design"}:
            assert grid.row(area).status == "missing"
    counts = {s: n for s, _label, n, _help in grid.area_status_counts}
    assert counts == {"exists": 2, "can_be_built": 1, "missing": len(codes("area")) - 3}


def test_only_planned_offers_make_an_area_buildable(world):
    offer(world, "planned-only", places=5, status="planned", areas=[("hse", 1)])
    assert build_grid(filtered_offers()).row("hse").status == "can_be_built"


def test_filters_narrow_the_grid_and_the_statuses(world, offers):
    grid = build_grid(filtered_offers(region="50"))
    assert grid.cell("electrochemistry", "nkr5").count == 0
    assert grid.row("electrochemistry").status == "can_be_built"
    grid = build_grid(filtered_offers(status="planned"))
    assert grid.cell("electrochemistry", "nkr5").value == pytest.approx(10)
    assert grid.row("hse").status == "missing"


def test_areas_are_grouped_under_their_parent_group(world):
    grid = build_grid(filtered_offers())
    groups = {g.code: [r.area for r in g.rows] for g in grid.groups}
    assert groups["chemistry_materials"] == [
        "electrochemistry",
        "cell_design",
        "materials_technology",
    ]
    assert sum(len(v) for v in groups.values()) == len(codes("area"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_sees_the_grid_with_numbers_badges_and_legend(world, offers, persona):
    response = world.client(persona).get(url("offers:grid"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<caption" in body
    assert "Chemistry and materials" in body  # a group heading
    assert '<span class="badge exists">Exists</span>' in body
    assert '<span class="badge can_be_built">Can be built</span>' in body
    assert '<span class="badge missing">Missing entirely</span>' in body
    assert "Legend" in body
    assert ">30</a>" in body  # electrochemistry at fagskole: 40 × 0.5 + 10 × 1
    assert ">20</a>" in body  # HSE at fagskole: 40 × 0.5
    grid = response.context["grid"]
    assert grid.cell("electrochemistry", "nkr5").value == pytest.approx(30)


def test_the_grid_filters_by_location_and_status_from_the_query(world, offers):
    response = world.client("anonymous").get(
        url("offers:grid"), {"region": "32", "status": "exists"}
    )
    assert response.status_code == 200
    grid = response.context["grid"]
    assert grid.offer_count == 1
    assert grid.cell("electrochemistry", "nkr5").value == pytest.approx(20)
    body = response.content.decode()
    assert "location: Akershus" in body
    assert "region=32" in body  # the cell links keep the filters


def test_an_unknown_filter_value_is_reported_and_ignored(world, offers):
    response = world.client("anonymous").get(url("offers:grid"), {"region": "zz"})
    assert response.status_code == 200
    assert response.context["grid"].offer_count == 4
    assert "errorlist" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_sees_the_offers_behind_a_cell(world, offers, persona):
    response = world.client(persona).get(
        url("offers:grid_cell"), {"area": "electrochemistry", "level": "nkr5"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Offer fagskole-a" in body
    assert "Offer fagskole-b" in body
    assert "Offer master" not in body
    assert response.context["cell"].value == pytest.approx(30)


def test_a_cell_with_an_unknown_area_or_level_gives_404(world):
    client = world.client("anonymous")
    assert client.get(url("offers:grid_cell"), {"area": "x", "level": "nkr5"}).status_code == 404
    assert client.get(url("offers:grid_cell"), {"area": "hse", "level": "nkr9"}).status_code == 404
    assert client.get(url("offers:grid_cell")).status_code == 404


def test_the_grid_is_in_bokmal_at_the_default_address(world, offers):
    response = world.client("anonymous").get("/offers/")
    assert response.status_code == 200
    assert "Kjemi og materialer" in response.content.decode()
