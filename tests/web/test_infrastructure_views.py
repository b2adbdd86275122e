"""The research and test infrastructure register (commandment 8) for every persona: the public
list with its filters and its order by the published gap, registering (partners' entries wait
for approval), editing, approving and deleting, in bokmål and English."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.measures.actions import do_save_infrastructure
from battkomp.measures.models import Infrastructure
from web.personas import PERSONAS, SECRETARIAT

BASE = {"kind": "lab", "region": "50", "place": "Trondheim", "public": True}


def url(name: str, *args: Any, lang: str = "nb") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def redirected_to_login(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def register(world: Any) -> dict[str, Infrastructure]:
    analyst = world.users["analyst"]
    return {
        "open": do_save_infrastructure(
            analyst,
            {**BASE, "name": "Open cell lab", "owner_name": "SINTEF", "areas": ["cell_assembly"]},
        ),
        "hidden": do_save_infrastructure(
            analyst,
            {**BASE, "name": "Hidden lab", "owner_name": "X", "public": False, "areas": ["hse"]},
        ),
        "pending": do_save_infrastructure(
            world.users["company_a"],
            {**BASE, "name": "Cellco pilot line", "region": "42", "areas": ["formation_testing"]},
        ),
    }


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_is_public_and_shows_pending_entries_only_to_their_owner_and_analysts(
    world: Any, persona: str, register: Any
) -> None:
    response = world.client(persona).get(url("infrastructure:list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Open cell lab" in text
    assert ("Cellco pilot line" in text) is (persona in ("company_a", *SECRETARIAT))
    assert ("Hidden lab" in text) is (persona in SECRETARIAT)
    assert ('action="' + url("infrastructure:approve", register["pending"].pk)) in text or (
        persona not in SECRETARIAT
    )


def test_the_list_filters_by_area_and_region(world: Any, register: Any) -> None:
    client = world.client("analyst")
    by_area = client.get(url("infrastructure:list"), {"area": "formation_testing"})
    text = by_area.content.decode()
    assert "Cellco pilot line" in text
    assert "Open cell lab" not in text
    by_region = client.get(url("infrastructure:list"), {"region": "50", "area": ""})
    text = by_region.content.decode()
    assert "Open cell lab" in text
    assert "Cellco pilot line" not in text


def test_the_list_in_english(world: Any, register: Any) -> None:
    response = world.client("anonymous").get(url("infrastructure:list", lang="en"))
    text = response.content.decode()
    assert "Research and test infrastructure" in text
    assert "Laboratory" in text
    assert "alphabetical order" in text  # nothing is published


# --- one entry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["open", "hidden", "pending"])
def test_who_may_open_an_entry(world: Any, persona: str, which: str, register: Any) -> None:
    response = world.client(persona).get(url("infrastructure:detail", register[which].pk))
    allowed = {
        "open": set(PERSONAS),
        "hidden": set(SECRETARIAT),
        "pending": {"company_a", *SECRETARIAT},
    }[which]
    assert response.status_code == (200 if persona in allowed else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_edit_an_entry(world: Any, persona: str, register: Any) -> None:
    response = world.client(persona).get(url("infrastructure:edit", register["pending"].pk))
    if persona == "anonymous":
        assert redirected_to_login(response)
    else:
        assert response.status_code == (200 if persona in ("company_a", *SECRETARIAT) else 404)
    response = world.client(persona).get(url("infrastructure:edit", register["open"].pk))
    if persona != "anonymous":
        assert response.status_code == (200 if persona in SECRETARIAT else 404)


# --- registering and approving ------------------------------------------------------------------


def post_data(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name_en": name,
        "kind": "pilot_line",
        "region": "42",
        "place": "Arendal",
        "areas": ["cell_assembly", "electrode_manufacturing"],
        "access_terms_en": "By agreement",
        "url": "https://example.org/lab",
        "public": "on",
        **extra,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_register_and_whether_it_waits_for_approval(world: Any, persona: str) -> None:
    client = world.client(persona)
    response = client.get(url("infrastructure:new"))
    data = post_data("New line", owner_name="Some owner")
    if persona == "anonymous":
        assert redirected_to_login(response)
        assert redirected_to_login(client.post(url("infrastructure:new"), data))
    elif persona == "handler":
        assert response.status_code == 404
        assert client.post(url("infrastructure:new"), data).status_code == 404
    else:
        assert response.status_code == 200
        posted = client.post(url("infrastructure:new"), data)
        assert posted.status_code == 302, posted.content.decode()[:2000]
        item = Infrastructure.objects.get()
        assert item.areas == ["electrode_manufacturing", "cell_assembly"]
        if persona in SECRETARIAT:
            assert item.approved
            assert item.owner_name == "Some owner"
            assert item.owner is None
        else:
            assert not item.approved
            assert item.owner == getattr(world, persona)
            assert item.owner_name == ""
        return
    assert not Infrastructure.objects.exists()


def test_the_secretariat_must_name_an_owner(world: Any) -> None:
    response = world.client("analyst").post(url("infrastructure:new", lang="en"), post_data("X"))
    assert response.status_code == 400
    assert "Give the owner" in response.content.decode()
    assert not Infrastructure.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_secretariat_approves(world: Any, persona: str, register: Any) -> None:
    item = register["pending"]
    response = world.client(persona).post(url("infrastructure:approve", item.pk))
    item.refresh_from_db()
    if persona == "anonymous":
        assert redirected_to_login(response)
    elif persona in SECRETARIAT:
        assert response.status_code == 302
        assert item.approved
        assert item.approved_by == world.users[persona]
        assert (
            "Cellco pilot line"
            in world.client("anonymous").get(url("infrastructure:list")).content.decode()
        )
        return
    else:
        assert response.status_code == 404
    assert not item.approved


def test_a_partners_change_waits_for_approval_again(world: Any, register: Any) -> None:
    item = register["pending"]
    world.client("analyst").post(url("infrastructure:approve", item.pk))
    response = world.client("company_a").post(
        url("infrastructure:edit", item.pk), post_data("Cellco pilot line 2")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "Cellco pilot line 2"
    assert not item.approved
    assert item.owner == world.company_a


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_delete(world: Any, persona: str, register: Any) -> None:
    item = register["pending"]
    response = world.client(persona).post(url("infrastructure:delete", item.pk))
    exists = Infrastructure.objects.filter(pk=item.pk).exists()
    if persona == "anonymous":
        assert redirected_to_login(response)
        assert exists
    elif persona in ("company_a", *SECRETARIAT):
        assert response.status_code == 302
        assert not exists
    else:
        assert response.status_code == 404
        assert exists


# --- ordered by the published gap ---------------------------------------------------------------


def publish_by_area(rows: list[tuple[str, int, float, bool]]) -> Any:
    """A published snapshot whose protected ``by_area`` table holds these (area, year, mean
    shortage, suppressed) rows."""
    import io

    from django.utils import timezone

    from battkomp.analysis.models import ModelRun, Publication, PublicationTable, RunStatus

    run = ModelRun.objects.create(scenario_name="test", draws=1, status=RunStatus.DONE)
    publication = Publication.objects.create(
        run=run, version=1, title_nb="Test snapshot", published_at=timezone.now(), meta={}
    )
    frame = pl.DataFrame(
        {
            "year": [r[1] for r in rows],
            "area": [r[0] for r in rows],
            "metric": ["shortage"] * len(rows),
            "mean": [None if r[3] else r[2] for r in rows],
            "p10": [None if r[3] else r[2] / 2 for r in rows],
            "p90": [None if r[3] else r[2] * 2 for r in rows],
            "suppressed": [r[3] for r in rows],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    PublicationTable.objects.create(publication=publication, name="by_area", data=buffer.getvalue())
    return publication


def test_the_areas_with_the_largest_published_gap_come_first(world: Any) -> None:
    publish_by_area(
        [
            ("cell_assembly", 2027, 120.0, False),
            ("cell_assembly", 2028, 80.0, False),
            ("hse", 2027, 15.0, False),
            # suppressed: skipped, even though the hidden number might be larger
            ("bms_software", 2027, 0.0, True),
        ]
    )
    analyst = world.users["analyst"]
    base = {**BASE, "owner_name": "Owner"}
    do_save_infrastructure(analyst, {**base, "name": "Aaa small gap lab", "areas": ["hse"]})
    do_save_infrastructure(
        analyst, {**base, "name": "Zzz large gap lab", "areas": ["cell_assembly", "hse"]}
    )
    do_save_infrastructure(
        analyst, {**base, "name": "Bbb suppressed lab", "areas": ["bms_software"]}
    )
    do_save_infrastructure(analyst, {**base, "name": "Mmm no area lab", "areas": []})
    expected = ["Zzz large gap lab", "Aaa small gap lab", "Bbb suppressed lab", "Mmm no area lab"]
    text = world.client("anonymous").get(url("infrastructure:list")).content.decode()
    positions = [text.index(name) for name in expected]
    assert positions == sorted(positions)
    assert "Test snapshot" in text
    api = world.client("anonymous").get("/api/infrastructure").json()["items"]
    assert [i["name"] for i in api] == expected
    assert [i["largest_gap"] for i in api] == [120.0, 15.0, None, None]
    detail = world.client("anonymous").get(
        url("infrastructure:detail", Infrastructure.objects.get(name_nb="Zzz large gap lab").pk)
    )
    page = detail.content.decode()
    assert page.index("Cellemontering") < page.index("HMS (brann")
