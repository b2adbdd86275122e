"""Offers through Excel and CSV: an institution's template and upload (its editors and analysts)
and the public export; imports are all-or-nothing and idempotent."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from battkomp.offers.actions import do_save_offer
from battkomp.offers.models import Offer, OfferArea
from battkomp.organisations.models import Organisation, OrganisationKind
from battkomp.workbooks.columns import OFFERS_SHEET_COLUMNS, header_aliases
from battkomp.workbooks.exporters import XLSX_CONTENT_TYPE as XLSX
from web.personas import PERSONAS, SECRETARIAT

ALIASES = {**header_aliases(OFFERS_SHEET_COLUMNS), "institution": "institution"}
#: What the template and the exports write: a name beside each code (``kind_name``).
SHEET = [c.name for c in OFFERS_SHEET_COLUMNS]


def codes_of(header: Any) -> list[Any]:
    """A header row as column codes: the templates head their columns in the reader's
    language ("Role (code)"), and the import reads either."""
    return [ALIASES.get(str(h).strip().lower(), h) for h in header]


HEADER = [
    "code",
    "name_nb",
    "name_en",
    "kind",
    "level",
    "target_level",
    "study_places",
    "candidates",
    "first_intake",
    "duration_years",
    "ects",
    "region",
    "mode",
    "status",
    "completion_rate",
    "capture_share",
    "source",
    "areas",
]
EDITORS = ("institution", "analyst", "admin")
OUTSIDERS = ("company_a", "company_b", "handler")

BATTERY = {
    "code": "fagskolen-battery",
    "name_nb": "Batteriproduksjonsteknologi",
    "name_en": "Battery production technology",
    "kind": "programme",
    "level": "nkr5",
    "target_level": "",
    "study_places": 40,
    "candidates": None,
    "first_intake": 2024,
    "duration_years": 2,
    "ects": 120,
    "region": "32",
    "mode": "campus",
    "status": "exists",
    "completion_rate": 0.8,
    "capture_share": None,
    "source": "https://fagskolen.example/battery",
}


def url(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.fixture
def offer(world) -> Offer:
    return do_save_offer(
        world.institution,
        world.users["institution"],
        dict(BATTERY),
        [("electrochemistry", 0.6), ("cell_assembly", 0.4)],
    )


@pytest.fixture
def other(world) -> Organisation:
    """Another institution, with an offer of its own."""
    org = Organisation.objects.create(name="Universitetet", kind=OrganisationKind.EDUCATION)
    do_save_offer(
        org,
        None,
        dict(BATTERY, code="uni-chem", name_en="Battery chemistry", level="nkr7"),
        [("electrochemistry", 1.0)],
    )
    return org


def row(**values: Any) -> list[Any]:
    data = {**BATTERY, "areas": "electrochemistry:0.6; cell_assembly:0.4", **values}
    return [data[name] for name in HEADER]


def sheet_row(**values: Any) -> list[Any]:
    """A row in the template's columns: the names beside the codes blank unless given."""
    data = {**BATTERY, "areas": "electrochemistry:0.6; cell_assembly:0.4", **values}
    return [data.get(name) for name in SHEET]


def workbook_bytes(rows: list[list[Any]], *, header: list[str] = HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "offers"
    ws.append(header)
    for values in rows:
        ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, target: str, data: bytes, name: str = "offers.xlsx"):
    return client.post(target, {"file": SimpleUploadedFile(name, data)})


def state() -> list[tuple[Any, ...]]:
    """Every offer and area, to compare the database before and after."""
    offers = list(Offer.objects.order_by("code").values_list(*HEADER[:-1], "updated_at"))
    areas = list(
        OfferArea.objects.order_by("offer__code", "area").values_list(
            "offer__code", "area", "weight"
        )
    )
    return [*offers, *areas]


def read_xlsx(content: bytes, sheet: str = "offers") -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))


# --------------------------------------------------------------------------- who may do what


def test_an_editor_downloads_the_template_of_their_own_institution(world, offer):
    response = world.client("institution").get(url("workbooks:offers_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    rows = read_xlsx(response.content)
    assert codes_of(rows[0]) == SHEET
    values = dict(zip(SHEET, rows[1], strict=True))
    assert values["code"] == "fagskolen-battery"
    assert (values["kind"], values["kind_name"]) == ("programme", "Programme")
    assert values["study_places"] == 40
    assert values["areas"] == "electrochemistry:0.6; cell_assembly:0.4"
    assert values["areas_name"] == (
        "Electrochemistry and cell chemistry 60 %; Cell assembly (stacking/winding, welding, "
        "electrolyte filling, sealing) 40 %"
    )


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_and_analysts_get_the_institutions_template(world, offer, persona):
    response = world.client(persona).get(url("workbooks:offers_template", world.institution.pk))
    assert response.status_code == 200
    assert read_xlsx(response.content)[1][0] == "fagskolen-battery"


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_for_templates_and_uploads(world, offer, persona):
    client = world.client(persona)
    before = state()
    for name in ("workbooks:offers_template", "workbooks:offers_upload"):
        assert client.get(url(name)).status_code == 404
        assert client.get(url(name, world.institution.pk)).status_code == 404
    data = workbook_bytes([row(study_places=99)])
    assert upload(client, url("workbooks:offers_upload"), data).status_code == 404
    assert (
        upload(client, url("workbooks:offers_upload", world.institution.pk), data).status_code
        == 404
    )
    assert state() == before


def test_an_editor_gets_404_for_another_institution(world, other):
    client = world.client("institution")
    before = state()
    assert client.get(url("workbooks:offers_template", other.pk)).status_code == 404
    assert client.get(url("workbooks:offers_upload", other.pk)).status_code == 404
    data = workbook_bytes([row(code="uni-chem", study_places=99)])
    assert upload(client, url("workbooks:offers_upload", other.pk), data).status_code == 404
    assert state() == before


def test_a_company_is_not_an_institution_whose_offers_can_be_managed(world):
    response = world.client("analyst").get(url("workbooks:offers_template", world.company_a.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", SECRETARIAT)
def test_analysts_without_an_institution_are_sent_to_choose_one(world, persona):
    for name in ("workbooks:offers_template", "workbooks:offers_upload"):
        response = world.client(persona).get(url(name))
        assert response.status_code == 302
        assert response["Location"] == url("offers:mine")


def test_anonymous_is_sent_to_login_for_templates_and_uploads(world, offer):
    client = world.client("anonymous")
    before = state()
    for name in ("workbooks:offers_template", "workbooks:offers_upload"):
        assert_login_redirect(client.get(url(name)))
        assert_login_redirect(client.get(url(name, world.institution.pk)))
    assert_login_redirect(
        upload(
            client, url("workbooks:offers_upload", world.institution.pk), workbook_bytes([row()])
        )
    )
    assert state() == before


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_and_analysts_can_import_offers(world, offer, persona):
    target = (
        url("workbooks:offers_upload")
        if persona == "institution"
        else url("workbooks:offers_upload", world.institution.pk)
    )
    assert world.client(persona).get(target).status_code == 200
    data = workbook_bytes(
        [
            row(study_places=60),
            row(
                code="fagskolen-evu",
                name_en="Battery safety (EVU)",
                kind="module",
                level="evu",
                target_level="nkr5",
                study_places=None,
                candidates=25,
                duration_years=0.5,
                ects=10,
                mode="online",
                status="planned",
                completion_rate="90 %",
                areas="hse",
            ),
        ]
    )
    response = upload(world.client(persona), target, data)
    assert response.status_code == 200, response.content.decode()
    assert b"Offers registered: 1. Offers updated: 1. Offers unchanged: 0." in response.content
    offer.refresh_from_db()
    assert offer.study_places == 60
    assert offer.updated_by == world.users[persona]
    evu = Offer.objects.get(code="fagskolen-evu")
    assert evu.institution == world.institution
    assert (evu.level, evu.target_level, evu.candidates, evu.mode) == ("evu", "nkr5", 25, "online")
    assert evu.completion_rate == pytest.approx(0.9)
    assert list(evu.areas.values_list("area", "weight")) == [("hse", 1.0)]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_everyone_can_export_the_public_offers(world, offer, other, persona, fmt):
    response = world.client(persona).get(url("workbooks:offers_export"), {"format": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        rows = read_xlsx(response.content)
    else:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert codes_of(rows[0]) == ["institution", *SHEET]
    assert rows[0][0] == "Institution"
    assert [r[0] for r in rows[1:]] == ["Fagskolen Demo", "Universitetet"]


def test_one_institutions_offers_export_in_the_templates_columns(world, offer, other):
    response = world.client("anonymous").get(
        url("workbooks:offers_export", world.institution.pk), {"format": "xlsx"}
    )
    rows = read_xlsx(response.content)
    assert codes_of(rows[0]) == SHEET
    assert [r[0] for r in rows[1:]] == ["fagskolen-battery"]
    values = dict(zip(SHEET, rows[1], strict=True))
    assert isinstance(values["study_places"], int)
    assert isinstance(values["ects"], int | float)
    assert values["completion_rate"] == 0.8
    assert (
        world.client("anonymous")
        .get(url("workbooks:offers_export", world.company_a.pk))
        .status_code
        == 404
    )


# --------------------------------------------------------------------------- round trip


def test_a_filled_in_template_imports_and_importing_it_again_changes_nothing(world, offer):
    client = world.client("institution")
    template = client.get(url("workbooks:offers_template")).content
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.sheetnames == ["instructions", "offers", "codes"]
    wb["offers"].append(
        sheet_row(
            code="fagskolen-bms",
            name_en="=BMS and embedded software",
            kind="course",
            level="nkr5",
            study_places=20,
            region=3,
            status="under_development",
            areas="bms_software:50; data_mes:50",
        )
    )
    name_cell = wb["offers"].cell(row=3, column=3)
    name_cell.data_type = "s"  # text, as Excel keeps it, not a formula
    buffer = io.BytesIO()
    wb.save(buffer)
    filled = buffer.getvalue()

    first = upload(client, url("workbooks:offers_upload"), filled)
    assert first.status_code == 200, first.content.decode()
    assert b"Offers registered: 1. Offers updated: 0. Offers unchanged: 1." in first.content
    bms = Offer.objects.get(code="fagskolen-bms")
    assert bms.name == "=BMS and embedded software"
    assert bms.region == "03"
    assert sorted(bms.areas.values_list("area", "weight")) == [
        ("bms_software", 0.5),
        ("data_mes", 0.5),
    ]

    before = state()
    second = upload(client, url("workbooks:offers_upload"), filled)
    assert second.status_code == 200
    assert b"Imported: 0 changes" in second.content
    assert b"Offers registered: 0. Offers updated: 0. Offers unchanged: 2." in second.content
    assert state() == before


def test_an_export_imports_back_as_no_change(world, offer):
    do_save_offer(
        world.institution,
        None,
        dict(BATTERY, code="third", name_en="-Thirds", source="@src"),
        [("electrochemistry", 1 / 3), ("cell_design", 1 / 3), ("hse", 1 / 3)],
    )
    client = world.client("institution")
    before = state()
    for fmt in ("xlsx", "csv"):
        export = client.get(url("workbooks:offers_export", world.institution.pk), {"format": fmt})
        response = upload(client, url("workbooks:offers_upload"), export.content, f"offers.{fmt}")
        assert response.status_code == 200, response.content.decode()
        assert b"Imported: 0 changes" in response.content
    assert state() == before


def test_offers_left_out_of_the_file_stay(world, offer):
    data = workbook_bytes([row(code="new-one", name_en="New")])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 200
    assert set(Offer.objects.values_list("code", flat=True)) == {"fagskolen-battery", "new-one"}


# --------------------------------------------------------------------------- the report


def test_a_file_with_three_planted_errors_lists_them_and_changes_nothing(world, offer):
    before = state()
    data = workbook_bytes(
        [
            row(study_places=55),
            row(code="second", level="nkr9"),  # row 3
            row(code="third", kind="webinar"),  # row 4
            row(code="fourth", areas="electrochemistry:0.5; cell_magic:0.5"),  # row 5
        ]
    )
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "3 problems" in text, text
    assert "Sheet offers, row 3, column level: “nkr9” is not a known code." in text
    assert "Sheet offers, row 4, column kind: “webinar” is not a known code." in text
    assert "Sheet offers, row 5, column areas: “cell_magic” is not a known competence area." in text
    assert state() == before


def test_the_actions_own_rules_are_reported_by_row_and_column(world, offer, other):
    before = state()
    data = workbook_bytes(
        [
            row(level="evu", target_level=""),  # row 2: EVU needs a target level
            row(code="uni-chem"),  # row 3: another institution's code
            row(code="x", study_places="many"),  # row 4
            row(code="y", areas="electrochemistry:0.5; hse:0.2"),  # row 5: weights sum 0.7
        ]
    )
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Sheet offers, row 2, column target_level:" in text
    assert "Sheet offers, row 3, column code:" in text
    assert "belongs to another institution" in text
    assert "Sheet offers, row 4, column study_places: Enter a whole number." in text
    assert "Sheet offers, row 5, column areas:" in text
    assert state() == before


def test_cell_and_action_problems_are_listed_together(world, offer):
    before = state()
    data = workbook_bytes([row(kind="webinar", study_places="many")])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    text = response.content.decode()
    assert "2 problems" in text
    assert "row 2, column kind" in text
    assert "row 2, column study_places" in text
    assert state() == before


def test_a_required_cell_left_blank_is_reported(world, offer):
    data = workbook_bytes([row(name_nb="", name_en="", areas=None)])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    text = response.content.decode()
    assert (
        "Sheet offers, row 2, column name_nb: Give the offer a name (in bokmål or English)."
    ) in text
    assert "Sheet offers, row 2, column areas: This column is required." in text


def test_the_template_has_dropdowns_for_every_code_and_choice_column(world, offer):
    response = world.client("institution").get(url("workbooks:offers_template"))
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["offers"]
    assert ws.freeze_panes == "A2"
    rules = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv
        for dv in ws.data_validations.dataValidation
    }
    letters = {name: chr(ord("A") + i) for i, name in enumerate(SHEET)}
    for name in ("kind", "level", "target_level", "region", "mode", "status"):
        for column in (name, f"{name}_name"):  # the codes, and their names beside them
            assert rules[letters[column]].type == "list", column
            assert rules[letters[column]].formula1.startswith("codes!$"), column
    for name in ("study_places", "candidates", "first_intake"):
        assert rules[letters[name]].type == "whole", name
    for name in ("duration_years", "ects", "completion_rate", "capture_share"):
        assert rules[letters[name]].type == "decimal", name
    assert (rules[letters["first_intake"]].formula1, rules[letters["first_intake"]].formula2) == (
        "1990",
        "2100",
    )
    codes_header = next(wb["codes"].iter_rows(max_row=1, values_only=True))
    assert [c for c in codes_header if c and c != "name"] == [
        "Kind (code)",
        "Education level (code)",
        "Education level (code)",
        "Region (code)",
        "Mode of study (code)",
        "Status (code)",
        "Competence area (code)",
    ]
    instructions = [c for r in wb["instructions"].iter_rows(values_only=True) for c in r if c]
    assert "Education offers: how to fill in this template" in instructions


def test_numbers_outside_the_templates_bounds_are_reported_once(world, offer):
    before = state()
    data = workbook_bytes([row(study_places=3_000_000_000, ects=700)])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    text = response.content.decode()
    assert "2 problems" in text
    assert "row 2, column study_places: Enter a number from 0 to 1,000,000." in text
    assert "row 2, column ects: Enter a number from 0 to 600." in text
    assert state() == before


# --------------------------------------------------------------------------- shares (issue 15)
# The offers sheet leaves its share cells to the offers action, which reads them by the one share
# rule of every path (battkomp.engine.quantities.parse_share); the import places its problems at
# the sheet's row and column.


@pytest.mark.parametrize(
    ("cell", "stored"),
    [(0.85, 0.85), ("85 %", 0.85), (85, 0.85), ("0,85", 0.85), (1, 1.0), ("1,5 %", 0.015)],
)
def test_the_offers_import_reads_a_share_by_the_one_rule(world, offer, cell, stored):
    data = workbook_bytes([row(completion_rate=cell, capture_share=cell)])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 200, response.content.decode()
    saved = Offer.objects.get(code=BATTERY["code"])
    assert saved.completion_rate == pytest.approx(stored)
    assert saved.capture_share == pytest.approx(stored)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        (1.5, "“1.5” is ambiguous: write a share from 0 to 1"),
        ("1,2", "“1,2” is ambiguous"),
        (250, "Enter a share from 0 to 1, or a percentage from 0 to 100"),
        (-0.1, "Enter a share from 0 to 1"),
        ("nan", "Enter a share from 0 to 1"),
        ("many", "Enter a share from 0 to 1"),
    ],
)
def test_the_offers_import_refuses_a_share_naming_sheet_row_and_column(world, offer, cell, words):
    before = state()
    data = workbook_bytes([row(), row(code="new", capture_share=cell)])
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "1 problem" in text, text
    assert f"Sheet offers, row 3, column capture_share: {words}" in text, text
    assert state() == before


def test_the_offers_import_refuses_an_ambiguous_share_in_bokmal_and_from_csv(world, offer):
    before = state()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerow(row(completion_rate="1,5"))
    with translation.override("nb"):
        target = reverse("workbooks:offers_upload")
    response = upload(
        world.client("institution"), target, buffer.getvalue().encode(), name="offers.csv"
    )
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Rad 2, kolonne completion_rate: «1,5» er tvetydig" in text, text
    assert state() == before


def test_a_file_from_the_template_before_names_had_two_languages_still_imports(world, offer):
    """Its single ``name`` column is the name in the uploader's language (English here)."""
    header = ["name" if c == "name_nb" else c for c in HEADER if c != "name_en"]
    values = {**BATTERY, "name": "Battery safety", "code": "older", "areas": "hse:1"}
    data = workbook_bytes([[values[c] for c in header]], header=header)
    response = upload(world.client("institution"), url("workbooks:offers_upload"), data)
    assert response.status_code == 200, response.content.decode()
    older = Offer.objects.get(code="older")
    assert (older.name_nb, older.name_en) == ("", "Battery safety")
