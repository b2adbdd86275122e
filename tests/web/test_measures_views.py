"""Measure pages for every persona: the public catalogue, the secretariat's list, registering,
editing, status changes and an institution's committed study places, in bokmål and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from battkomp.measures.actions import do_change_measure_status, do_save_measure
from battkomp.measures.models import Measure, MeasureStatusChange
from web.personas import PERSONAS, SECRETARIAT

PARTNERS = ("company_a", "company_b", "institution")

DATA = {
    "commandment": 4,
    "lever": "evu_module",
    "horizon": "",
    "places_per_year": 20,
    "start_year": 2027,
    "source": "test",
}


def make(world: Any, title: str, status: str, owner: Any) -> Measure:
    return do_save_measure(
        world.users["analyst"],
        {**DATA, "title": title},
        [("nkr4", "cell_assembly", 1)],
        owner=owner,
        status=status,
    )


@pytest.fixture
def measures(world: Any) -> dict[str, Measure]:
    return {
        status: make(world, f"Measure {status} of A", status, world.company_a)
        for status in ("proposed", "agreed", "running", "done", "dropped")
    }


def url(name: str, *args: Any, lang: str = "nb") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def form_data(
    title: str = "Battery module", rows: list[tuple[str, str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    rows = rows if rows is not None else [("nkr4", "cell_assembly", "0.5"), ("nkr4", "hse", "0.5")]
    data: dict[str, Any] = {
        "title_en": title,
        "commandment": "4",
        "lever": "evu_module",
        "horizon": "",
        "places_per_year": "25",
        "start_year": "2027",
        "targets-TOTAL_FORMS": str(len(rows) + 1),
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "60",
        **extra,
    }
    for i, (level, area, weight) in enumerate(rows):
        data.update(
            {f"targets-{i}-level": level, f"targets-{i}-area": area, f"targets-{i}-weight": weight}
        )
    return data


def redirected_to_login(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the catalogue -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_the_catalogue_of_the_ten_commandments(
    world: Any, persona: str, measures: Any
) -> None:
    response = world.client(persona).get(url("measures:catalogue"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Bygge kompetanse som et landslag" in text
    assert "Styrke det nordiske batterikompetansesamarbeidet" in text
    for status in ("agreed", "running", "done"):
        assert f"Measure {status} of A" in text
    insider = persona in ("company_a", *SECRETARIAT)
    assert ("Measure proposed of A" in text) is insider
    assert ("Measure dropped of A" in text) is insider


def test_the_catalogue_in_english(world: Any, measures: Any) -> None:
    response = world.client("anonymous").get(url("measures:catalogue", lang="en"))
    text = response.content.decode()
    assert "Build competence as a national team" in text
    assert "The measures of BattKOMP phase 3" in text
    assert "A stronger role for fagskole" in text
    assert 'lang="en"' in text


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_secretariats_list_is_for_analysts_only(
    world: Any, persona: str, measures: Any
) -> None:
    response = world.client(persona).get(url("measures:manage"))
    if persona == "anonymous":
        assert redirected_to_login(response)
    elif persona in SECRETARIAT:
        assert response.status_code == 200
        text = response.content.decode()
        assert text.index("Measure proposed of A") < text.index("Measure agreed of A")
    else:
        assert response.status_code == 404


# --- one measure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("status", ["proposed", "dropped", "agreed"])
def test_who_may_open_a_measure(world: Any, persona: str, status: str, measures: Any) -> None:
    m = measures[status]
    response = world.client(persona).get(url("measures:detail", m.pk))
    public = status == "agreed"
    allowed = public or persona in ("company_a", *SECRETARIAT)
    assert response.status_code == (200 if allowed else 404)


def test_the_history_names_who_only_for_insiders(world: Any, measures: Any) -> None:
    m = measures["agreed"]
    insider = world.client("analyst").get(url("measures:detail", m.pk)).content.decode()
    public = world.client("anonymous").get(url("measures:detail", m.pk)).content.decode()
    assert "analyst@battkomp.test" in insider
    assert "analyst@battkomp.test" not in public


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_edit_a_proposed_measure(world: Any, persona: str, measures: Any) -> None:
    response = world.client(persona).get(url("measures:edit", measures["proposed"].pk))
    if persona == "anonymous":
        assert redirected_to_login(response)
    else:
        ok = persona in ("company_a", *SECRETARIAT)
        assert response.status_code == (200 if ok else 404)


def test_a_partner_cannot_edit_its_measure_once_agreed(world: Any, measures: Any) -> None:
    response = world.client("company_a").get(url("measures:edit", measures["agreed"].pk))
    assert response.status_code == 404
    assert (
        world.client("analyst").get(url("measures:edit", measures["agreed"].pk)).status_code == 200
    )


# --- registering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_register_a_measure(world: Any, persona: str) -> None:
    client = world.client(persona)
    response = client.get(url("measures:new"))
    if persona == "anonymous":
        assert redirected_to_login(response)
        assert redirected_to_login(client.post(url("measures:new"), form_data()))
    elif persona == "handler":
        assert response.status_code == 404
        assert client.post(url("measures:new"), form_data()).status_code == 404
    else:
        assert response.status_code == 200
        posted = client.post(url("measures:new"), form_data(status="agreed"))
        assert posted.status_code == 302
        m = Measure.objects.get()
        if persona in SECRETARIAT:
            assert m.status == "agreed"
            assert m.owner is None
        else:
            assert m.status == "proposed"
            assert m.owner == getattr(world, persona)
        assert posted["Location"] == url("measures:detail", m.pk)
        return
    assert not Measure.objects.exists()


def test_weights_that_do_not_sum_to_one_are_refused_in_the_users_language(world: Any) -> None:
    client = world.client("institution")
    bad = form_data(rows=[("nkr4", "cell_assembly", "0.5"), ("nkr4", "hse", "0.2")])
    response = client.post(url("measures:new"), bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#targets"' in page
    assert "0,7" in page
    response = client.post(url("measures:new", lang="en"), bad)
    assert response.status_code == 400
    assert "The weights sum to 0.7" in response.content.decode()
    assert not Measure.objects.exists()


def test_a_missing_title_is_named(world: Any) -> None:
    response = world.client("analyst").post(url("measures:new", lang="en"), form_data(title=""))
    assert response.status_code == 400
    assert 'href="#id_title_nb"' in response.content.decode()
    assert not Measure.objects.exists()


def test_editing_keeps_the_status_and_replaces_the_targets(world: Any, measures: Any) -> None:
    m = measures["proposed"]
    data = form_data(title="Renamed", rows=[("nkr5", "hse", "1")])
    response = world.client("company_a").post(url("measures:edit", m.pk), data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.title, m.status, m.owner) == ("Renamed", "proposed", world.company_a)
    assert [(t.level, t.area, t.weight) for t in m.targets.all()] == [("nkr5", "hse", 1.0)]


# --- status changes ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_secretariat_changes_a_status(world: Any, persona: str, measures: Any) -> None:
    m = measures["proposed"]
    response = world.client(persona).post(
        url("measures:status", m.pk), {"status": "agreed", "note": "ok"}
    )
    m.refresh_from_db()
    if persona == "anonymous":
        assert redirected_to_login(response)
    elif persona in SECRETARIAT:
        assert response.status_code == 302
        assert m.status == "agreed"
        change = MeasureStatusChange.objects.filter(measure=m).last()
        assert (change.from_status, change.to_status, change.changed_by, change.note) == (
            "proposed",
            "agreed",
            world.users[persona],
            "ok",
        )
        return
    else:
        assert response.status_code == 404
    assert m.status == "proposed"


@pytest.mark.parametrize(
    ("start", "to", "lang", "expected"),
    [
        ("proposed", "agreed", "en", "The model counts “Measure proposed of A” from the next"),
        ("proposed", "agreed", "nb", "Modellen regner med «Measure proposed of A» fra neste"),
        ("running", "done", "en", "The model stops counting “Measure running of A” from the next"),
        ("agreed", "running", "en", None),
        ("proposed", "dropped", "en", None),
    ],
)
def test_a_status_change_says_when_the_model_starts_or_stops_counting_the_measure(
    world: Any, measures: Any, start: str, to: str, lang: str, expected: str | None
) -> None:
    m = measures[start]
    response = world.client("analyst").post(
        url("measures:status", m.pk, lang=lang), {"status": to}, follow=True
    )
    page = response.content.decode()
    m.refresh_from_db()
    assert m.status == to
    if expected is None:
        assert "next model run" not in page
        assert "neste modellkjøring" not in page
    else:
        assert expected in page


def test_a_status_change_not_allowed_is_refused_with_a_message(world: Any, measures: Any) -> None:
    m = measures["done"]
    response = world.client("analyst").post(
        url("measures:status", m.pk, lang="en"), {"status": "proposed"}, follow=True
    )
    assert response.status_code == 200
    assert "was not changed" in response.content.decode()
    m.refresh_from_db()
    assert m.status == "done"


def test_the_list_changes_a_status_with_its_row_prefix(world: Any, measures: Any) -> None:
    m = measures["proposed"]
    back = url("measures:manage") + "?status=proposed"
    response = world.client("analyst").post(
        url("measures:status", m.pk),
        {"prefix": f"m{m.pk}", f"m{m.pk}-status": "dropped", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    m.refresh_from_db()
    assert m.status == "dropped"
    # a dropped measure can be reopened; the history keeps every step
    do_change_measure_status(m, world.users["analyst"], "proposed")
    steps = [(h.from_status, h.to_status) for h in m.history.all()]
    assert steps == [("", "proposed"), ("proposed", "dropped"), ("dropped", "proposed")]


# --- committing study places ---------------------------------------------------------------------

COMMIT = {
    "level": "nkr5",
    "areas": ["cell_assembly", "formation_testing"],
    "places_per_year": "15",
    "start_year": "2028",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_commit_study_places(world: Any, persona: str) -> None:
    client = world.client(persona)
    data = {**COMMIT, "institution": str(world.institution.pk)}
    response = client.post(url("measures:commit"), data)
    if persona == "anonymous":
        assert redirected_to_login(response)
    elif persona in ("institution", *SECRETARIAT):
        assert response.status_code == 302
        assert response["Location"].startswith(url("analysis:institution_view"))
        m = Measure.objects.get()
        assert (m.owner, m.status, m.places_per_year) == (world.institution, "proposed", 15)
        return
    else:
        assert response.status_code == 404
    assert not Measure.objects.exists()


def test_an_editor_cannot_commit_for_another_institution(world: Any) -> None:
    from battkomp.organisations.models import Organisation, OrganisationKind

    other = Organisation.objects.create(name="Other fagskole", kind=OrganisationKind.EDUCATION)
    response = world.client("institution").post(
        url("measures:commit"), {**COMMIT, "institution": str(other.pk)}
    )
    assert response.status_code == 404
    assert not Measure.objects.exists()


def test_the_institution_view_offers_the_commitment_and_lists_it(world: Any) -> None:
    client = world.client("institution")
    page = client.get(url("analysis:institution_view")).content.decode()
    assert 'href="' + url("measures:commit") + '"' in page
    form = client.get(url("measures:commit")).content.decode()
    assert 'action="' + url("measures:commit") + '"' in form
    assert f'name="institution" value="{world.institution.pk}"' in form
    client.post(url("measures:commit"), {**COMMIT, "title": "Battery fagskole places"})
    page = client.get(url("analysis:institution_view", lang="en")).content.decode()
    assert "Battery fagskole places" in page
    assert "Proposed" in page


def test_a_commitment_with_no_areas_shows_the_error(world: Any) -> None:
    response = world.client("institution").post(
        url("measures:commit", lang="en"), {**COMMIT, "areas": []}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Measure.objects.exists()


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_lists_measures_and_keeps_the_status_read_only(world: Any, measures: Any) -> None:
    client = world.client("admin")
    assert client.get("/en/admin/measures/measure/").status_code == 200
    assert client.get("/en/admin/measures/infrastructure/").status_code == 200
    page = client.get(f"/en/admin/measures/measure/{measures['proposed'].pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert world.client("analyst").get("/en/admin/measures/measure/").status_code in (302, 403)


def test_an_analyst_commits_for_an_institution_from_its_view(world: Any) -> None:
    client = world.client("analyst")
    view = url("analysis:institution_view") + f"?institution={world.institution.pk}"
    page = client.get(view).content.decode()
    target = url("measures:commit") + f"?institution={world.institution.pk}"
    assert f'href="{target}"' in page
    assert client.get(target).status_code == 200
    assert client.get(url("measures:commit")).status_code == 404  # which institution?
    response = client.post(target, {**COMMIT, "institution": str(world.institution.pk)})
    assert response["Location"] == view + "#commit"
    assert Measure.objects.get().owner == world.institution
