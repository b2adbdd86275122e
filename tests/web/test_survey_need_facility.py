"""A need line for a planned plant (issue 14 §4): a line may name one of the answering
organisation's own facilities (or a subsidiary's), never another organisation's, through the
action, the needs form, the workbook and the API; the bundle built from the database writes it,
so the model counts the answer at the plant's realisation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from battkomp.analysis.runs.bundle_export import build_bundle
from battkomp.organisations.actions import do_add_status, do_save_facility
from battkomp.organisations.models import Facility, Organisation, OrganisationKind
from battkomp.survey.actions import (
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import NeedLine, Participant, Revision
from web.workbook_support import NEED_COLUMNS, workbook_bytes

YEARS = (2026, 2027, 2028)


def en(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def make_facility(world: Any, org: Organisation, code: str, name: str) -> Facility:
    fac = do_save_facility(
        org,
        world.users["analyst"],
        {
            "name": name,
            "code": code,
            "segment": "cell_manufacturing",
            "region": "42",
            "start_year": 2027,
            "realisation_probability": 0.6,
            "source": "test data",
        },
    )
    do_add_status(fac, world.users["analyst"], "construction", dt.date(2026, 1, 10))
    return fac


@pytest.fixture
def setup(world: Any) -> dict[str, Any]:
    own = make_facility(world, world.company_a, "cellco_pilot", "Cellco Pilot Line")
    other = make_facility(world, world.company_b, "anodeco_secret", "Anodeco Secret Plant")
    rnd = do_create_round(
        None,
        name="Needs 2026",
        first_year=YEARS[0],
        last_year=YEARS[-1],
        opens_on=dt.date(2026, 1, 1),
        deadline=dt.date(2026, 12, 31),
    )
    do_open_round(rnd, None)
    do_invite_organisations(rnd, [world.company_a, world.company_b], None)
    participant = Participant.objects.get(round=rnd, organisation=world.company_a)
    return {"own": own, "other": other, "participant": participant, "world": world}


def line(year: int = 2026, **values: Any) -> dict[str, Any]:
    return {
        "role": "process_operator",
        "level": "nkr4",
        "area": "electrode_manufacturing",
        "year": year,
        "new_hires": 10,
        "total_staff": 20 + year - 2026,
        **values,
    }


def stored_facilities() -> list[str | None]:
    return [n.facility.code if n.facility else None for n in NeedLine.objects.order_by("year")]


# --- the action -----------------------------------------------------------------------------


def test_a_line_may_name_the_organisations_own_facility(setup: dict[str, Any]) -> None:
    user = setup["world"].users["company_a"]
    do_save_response(
        setup["participant"], user, lines=[line(2026, facility="cellco_pilot"), line(2027)]
    )
    assert stored_facilities() == ["cellco_pilot", None]
    snapshot = Revision.objects.get().snapshot
    assert [n["facility"] for n in snapshot["lines"]] == ["cellco_pilot", None]


def test_a_saves_revision_holds_exactly_the_stored_lines(setup: dict[str, Any]) -> None:
    """The save builds its revision's snapshot from the lines it stored, without reading them
    back: it must be what reading them back gives (values, types, order, facility by code)."""
    from battkomp.survey.actions import _stored_lines

    user = setup["world"].users["company_a"]
    lines = [
        line(2027, facility="CELLCO_PILOT", share_abroad="0.25", recruit_difficulty="4"),
        line(2026, new_hires=None, total_staff="7", comment="  kept  ", critical_competences=""),
    ]
    revision = do_save_response(setup["participant"], user, lines=lines)
    response = setup["participant"].response
    stored = _stored_lines(response)
    assert revision.snapshot["lines"] == stored
    assert Revision.objects.get(pk=revision.pk).snapshot["lines"] == stored
    assert [type(v) for v in stored[0].values()] == [
        type(v) for v in revision.snapshot["lines"][0].values()
    ]
    assert stored[0]["facility"] == "cellco_pilot"
    assert revision.number == 1
    assert do_save_response(setup["participant"], user, lines=lines[:1]).number == 2


@pytest.mark.parametrize("code", ["anodeco_secret", "no_such_plant"])
def test_another_organisations_facility_is_refused_naming_line_and_field(
    setup: dict[str, Any], code: str
) -> None:
    user = setup["world"].users["company_a"]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        do_save_response(setup["participant"], user, lines=[line(2026), line(2027, facility=code)])
    (message,) = caught.value.messages
    assert message.startswith("Line 2, facility:")
    assert f"“{code}” is not a facility of your organisation" in message
    assert not NeedLine.objects.exists()
    with translation.override("nb"), pytest.raises(ValidationError) as norsk:
        do_save_response(setup["participant"], user, lines=[line(2027, facility=code)])
    (melding,) = norsk.value.messages
    assert melding.startswith("Linje 1, anlegg:")
    assert "ikke et anlegg i organisasjonen" in melding


def test_a_parent_may_name_its_subsidiarys_facility(setup: dict[str, Any]) -> None:
    world = setup["world"]
    sub = Organisation.objects.create(
        name="Cellco Sub AS", kind=OrganisationKind.COMPANY, parent=world.company_a
    )
    make_facility(world, sub, "cellco_sub_plant", "Sub plant")
    do_save_response(
        setup["participant"],
        world.users["company_a"],
        lines=[line(2026, facility="cellco_sub_plant")],
    )
    assert stored_facilities() == ["cellco_sub_plant"]
    # but the subsidiary may not name its parent's
    other = Participant.objects.get(round=setup["participant"].round, organisation=world.company_b)
    with pytest.raises(ValidationError):
        do_save_response(other, None, lines=[line(2026, facility="cellco_sub_plant")])


# --- the needs form -------------------------------------------------------------------------


def form_post(facility: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "save",
        "access_is_challenge": "yes",
        "comments": "",
        "line_count": 1,
        "line-0-role": "process_operator",
        "line-0-level": "nkr4",
        "line-0-area": "electrode_manufacturing",
        "line-0-facility": facility,
    }
    for year in YEARS:
        data[f"line-0-new_hires_{year}"] = "10"
        data[f"line-0-total_staff_{year}"] = "20"
    return data


def test_the_form_offers_only_the_organisations_own_facilities(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    html = client.get(en("survey:response", setup["participant"].pk)).content.decode()
    assert 'name="line-0-facility"' in html
    assert '<option value="cellco_pilot">Cellco Pilot Line (cellco_pilot)</option>' in html
    assert "anodeco_secret" not in html
    assert "Anodeco Secret Plant" not in html


@pytest.mark.parametrize(
    ("lang", "help_text"),
    [
        ("en", "the answer then counts at the plant's probability of being built."),
        ("nb", "svaret telles da med "),
    ],
)
def test_the_form_shows_the_facility_help_text_tied_to_the_select(
    setup: dict[str, Any], lang: str, help_text: str
) -> None:
    client = setup["world"].client("company_a")
    with translation.override(lang):
        url = reverse("survey:response", args=(setup["participant"].pk,))
    html = client.get(url).content.decode()
    # The select names its help text (Django adds aria-describedby), and the text is on the page
    # under that id.
    assert 'aria-describedby="id_line-0-facility_helptext"' in html
    start = html.index('id="id_line-0-facility_helptext">')
    assert help_text in html[start : start + 300].replace("&#x27;", "'")


def test_the_form_saves_the_facility_and_shows_it_again(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    target = en("survey:response", setup["participant"].pk)
    response = client.post(target, form_post("cellco_pilot"))
    assert response.status_code == 302
    assert stored_facilities() == ["cellco_pilot"] * 3
    html = client.get(target).content.decode()
    assert '<option value="cellco_pilot" selected>' in html
    # blank: the organisation as a whole
    client.post(target, form_post(""))
    assert stored_facilities() == [None] * 3


def test_a_save_naming_no_facility_does_not_read_them(setup: dict[str, Any]) -> None:
    """The facilities are read to check a line that names one, or to show the form again; a
    save whose lines name none stores the same without reading them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = setup["world"].client("company_a")
    target = en("survey:response", setup["participant"].pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(target, form_post(""))
    assert response.status_code == 302
    assert stored_facilities() == [None] * 3
    assert not [q for q in queries.captured_queries if "actors_facility" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        client.post(target, form_post("cellco_pilot"))
    assert [q for q in queries.captured_queries if "actors_facility" in q["sql"]]
    assert stored_facilities() == ["cellco_pilot"] * 3


@pytest.mark.parametrize("action", ["add_lines", "submit"])
def test_a_form_shown_again_offers_the_facilities_though_no_line_named_one(
    setup: dict[str, Any], action: str
) -> None:
    client = setup["world"].client("company_a")
    target = en("survey:response", setup["participant"].pk)
    data = form_post("")
    data["action"] = action
    del data["line-0-total_staff_2027"]  # submitting needs it: the form is shown again
    response = client.post(target, data)
    assert response.status_code == 200
    html = response.content.decode()
    for index in (0, 1, 2, 3) if action == "add_lines" else (0,):
        assert f'name="line-{index}-facility"' in html
    assert '<option value="cellco_pilot">Cellco Pilot Line (cellco_pilot)</option>' in html
    assert 'aria-describedby="id_line-0-facility_helptext"' in html
    assert "anodeco_secret" not in html


def test_the_form_refuses_another_organisations_facility(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    target = en("survey:response", setup["participant"].pk)
    response = client.post(target, form_post("anodeco_secret"))
    # Saved as a draft (a draft is never refused), the line flagged and not stored.
    assert response.status_code == 302
    html = client.get(target).content.decode()
    assert "Line 1, Facility:" in html
    assert "Anodeco Secret Plant" not in html
    assert not NeedLine.objects.exists()


# --- the workbook ---------------------------------------------------------------------------


def upload(client: Any, participant: Participant, rows: list[list[Any]], header: list[str]):
    file = SimpleUploadedFile("needs.xlsx", workbook_bytes(rows, header=header))
    return client.post(en("workbooks:needs_upload", participant.pk), {"file": file})


OLD_HEADER = NEED_COLUMNS
HEADER = [*OLD_HEADER, "facility"]


def wb_row(year: int, total_staff: int, facility: str | None) -> list[Any]:
    return [
        "process_operator",
        "nkr4",
        "electrode_manufacturing",
        year,
        10,
        total_staff,
        None,
        None,
        None,
        None,
        facility,
    ]


def test_the_template_lists_only_the_organisations_facilities(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    content = client.get(en("workbooks:needs_template", setup["participant"].pk)).content
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert [c.value for c in wb["needs"][1]][-1] == "Facility (code)"
    codes = [c for row in wb["codes"].iter_rows(values_only=True) for c in row if c]
    assert "cellco_pilot" in codes
    assert "anodeco_secret" not in codes
    assert "Anodeco Secret Plant" not in codes


def test_an_unknown_facility_code_is_reported_by_sheet_row_and_column(
    setup: dict[str, Any],
) -> None:
    client = setup["world"].client("company_a")
    rows = [wb_row(2026, 20, "cellco_pilot"), wb_row(2027, 21, "anodeco_secret")]
    response = upload(client, setup["participant"], rows, HEADER)
    assert response.status_code == 400
    text = response.content.decode()
    assert (
        "Sheet needs, row 3, column facility: “anodeco_secret” is not a facility of your "
        "organisation" in text
    )
    assert not NeedLine.objects.exists()


def test_the_facility_survives_a_workbook_round_trip(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    participant = setup["participant"]
    rows = [wb_row(2026, 20, "CELLCO_PILOT"), wb_row(2027, 21, None)]
    response = upload(client, participant, rows, HEADER)
    assert response.status_code == 200, response.content.decode()
    assert stored_facilities() == ["cellco_pilot", None]
    revisions = Revision.objects.count()
    exported = client.get(en("workbooks:needs_export", participant.pk), {"format": "csv"})
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["Facility (code)"] for r in table] == ["cellco_pilot", ""]
    template = client.get(en("workbooks:needs_template", participant.pk)).content
    again = client.post(
        en("workbooks:needs_upload", participant.pk),
        {"file": SimpleUploadedFile("needs.xlsx", template)},
    )
    assert again.status_code == 200
    assert b"Imported: 0 changes" in again.content
    assert Revision.objects.count() == revisions
    # a file from an older template, without the column, still imports (every line blank)
    old = upload(client, participant, [r[:-1] for r in rows], OLD_HEADER)
    assert old.status_code == 200, old.content.decode()
    assert stored_facilities() == [None, None]


# --- the API --------------------------------------------------------------------------------


def send(client: Any, method: str, path: str, body: Any = None):
    return getattr(client, method)(
        path, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_api_reads_and_writes_the_facility(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    path = f"/api/responses/{setup['participant'].pk}"
    body = {"lines": [line(2026, facility="cellco_pilot"), line(2027)]}
    assert send(client, "put", path, body).status_code == 200
    lines = send(client, "get", path).json()["lines"]
    assert [n["facility"] for n in lines] == ["cellco_pilot", None]
    schema = client.get("/api/openapi.json").json()
    assert "facility" in schema["components"]["schemas"]["NeedLine"]["properties"]


def test_the_api_refuses_another_organisations_facility(setup: dict[str, Any]) -> None:
    client = setup["world"].client("company_a")
    path = f"/api/responses/{setup['participant'].pk}"
    response = send(client, "put", path, {"lines": [line(2026, facility="anodeco_secret")]})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["msg"].startswith("Line 1, facility:")
    assert not NeedLine.objects.exists()


# --- the bundle -----------------------------------------------------------------------------


def test_the_bundle_from_the_database_names_the_facility(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    user = setup["world"].users["company_a"]
    lines = [line(y, facility="cellco_pilot") for y in YEARS]
    lines += [line(y, role="chemist", level="nkr7", area="electrochemistry") for y in YEARS]
    do_save_response(setup["participant"], user, lines=lines)
    do_submit_response(setup["participant"], user)
    folder = build_bundle(tmp_path / "bundle")
    with open(folder / "survey_needs.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_role = {(r["role"], r["year"]): r["facility"] for r in rows}
    assert {by_role[("process_operator", str(y))] for y in YEARS} == {"cellco_pilot"}
    assert {by_role[("chemist", str(y))] for y in YEARS} == {""}
    with open(folder / "facilities.csv", encoding="utf-8", newline="") as f:
        assert "cellco_pilot" in {r["id"] for r in csv.DictReader(f)}
