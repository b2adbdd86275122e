"""Needs through Excel and CSV: the template, the upload and the export of one participant's
answers, who may use them, and that an import is all-or-nothing and idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from battkomp.accounts.models import AccessLog
from battkomp.survey.actions import (
    do_close_round,
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
    do_submit_response,
)
from battkomp.survey.models import NeedLine, Participant, ParticipantStatus, Revision, Round
from battkomp.workbooks.columns import NEEDS_SHEET_COLUMNS, header_aliases
from battkomp.workbooks.exporters import XLSX_CONTENT_TYPE as XLSX
from web.workbook_support import NEED_COLUMNS, workbook_bytes

HEADER = NEED_COLUMNS
#: What the template and the exports write: the columns above, a name beside each code
#: (``role_name``) and the facility (columns a file may leave out, so the uploads here, made as
#: older templates were, still import).
EXPORTED = [c.name for c in NEEDS_SHEET_COLUMNS]
ALIASES = header_aliases(NEEDS_SHEET_COLUMNS)


def codes_of(header: Any) -> list[Any]:
    """A header row as column codes: the templates head their columns in the reader's
    language ("Role (code)"), and the import reads either."""
    return [ALIASES.get(str(h).strip().lower(), h) for h in header]


ALLOWED = ("company_a", "analyst", "admin")
OUTSIDERS = ("company_b", "institution", "handler")

CHEMIST = {
    "role": "chemist",
    "level": "nkr7",
    "area": "electrochemistry",
    "year": 2025,
    "new_hires": 2,
    "total_staff": 4,
    "recruit_difficulty": 5,
    "share_abroad": 0.625,
    "critical_competences": "Cell chemistry",
    "comment": "",
}


def url(name: str, *args: object) -> str:
    """English pages, so the assertions do not depend on the bokmål translation."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def make_round(*, open_: bool = True) -> Round:
    round_ = do_create_round(
        None,
        name="Needs 2025",
        first_year=2025,
        last_year=2027,
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    if open_:
        do_open_round(round_, None)
    return round_


@pytest.fixture
def participant(world) -> Participant:
    """Company A's participation in an open round, with one saved line."""
    round_ = make_round()
    do_invite_organisations(round_, [world.company_a, world.company_b], None)
    participant = Participant.objects.get(round=round_, organisation=world.company_a)
    do_save_response(participant, world.users["company_a"], lines=[dict(CHEMIST)])
    return participant


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client, target: str, data: bytes, name: str = "needs.xlsx"):
    return client.post(target, {"file": SimpleUploadedFile(name, data)})


def lines_of(participant: Participant) -> list[tuple[Any, ...]]:
    return sorted(
        NeedLine.objects.filter(response__participant=participant).values_list(
            *HEADER[:6], "recruit_difficulty", "share_abroad", "critical_competences", "comment"
        )
    )


def revisions_of(participant: Participant) -> int:
    return Revision.objects.filter(response__participant=participant).count()


def row(**values: Any) -> list[Any]:
    line = {**CHEMIST, **values}
    return [line[name] for name in HEADER]


def sheet_row(**values: Any) -> list[Any]:
    """A row in the template's columns: blank names and facility unless given."""
    line = {**CHEMIST, **values}
    return [line.get(name) for name in EXPORTED]


def read_xlsx(content: bytes, sheet: str = "needs") -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return list(wb[sheet].iter_rows(values_only=True))


# --------------------------------------------------------------------------- who may do what


@pytest.mark.parametrize("persona", ALLOWED)
def test_the_template_is_for_the_organisation_and_analysts(world, participant, persona):
    response = world.client(persona).get(url("workbooks:needs_template", participant.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    rows = read_xlsx(response.content)
    assert codes_of(rows[0]) == EXPORTED
    values = dict(zip(EXPORTED, rows[1], strict=True))
    assert [values[name] for name in HEADER[:6]] == [
        "chemist",
        "nkr7",
        "electrochemistry",
        2025,
        2,
        4,
    ]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_for_the_template(world, participant, persona):
    response = world.client(persona).get(url("workbooks:needs_template", participant.pk))
    assert response.status_code == 404


def test_anonymous_is_sent_to_login_from_every_needs_page(world, participant):
    client = world.client("anonymous")
    for name in ("workbooks:needs_template", "workbooks:needs_upload", "workbooks:needs_export"):
        assert_login_redirect(client.get(url(name, participant.pk)))
    before = lines_of(participant)
    data = workbook_bytes([row(new_hires=9)])
    assert_login_redirect(upload(client, url("workbooks:needs_upload", participant.pk), data))
    assert lines_of(participant) == before


@pytest.mark.parametrize("persona", ALLOWED)
def test_the_upload_page_is_for_the_organisation_and_analysts(world, participant, persona):
    response = world.client(persona).get(url("workbooks:needs_upload", participant.pk))
    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert url("workbooks:needs_template", participant.pk).encode() in response.content


@pytest.mark.parametrize("persona", ALLOWED)
def test_the_organisation_and_analysts_can_import_needs(world, participant, persona):
    data = workbook_bytes([row(new_hires=9), row(year=2026, new_hires=3)])
    response = upload(world.client(persona), url("workbooks:needs_upload", participant.pk), data)
    assert response.status_code == 200
    assert b"Imported: 2 changes" in response.content
    assert lines_of(participant) == [
        ("chemist", "nkr7", "electrochemistry", 2025, 9, 4, 5, 0.625, "Cell chemistry", ""),
        ("chemist", "nkr7", "electrochemistry", 2026, 3, 4, 5, 0.625, "Cell chemistry", ""),
    ]
    latest = Revision.objects.filter(response__participant=participant).first()
    assert latest.kind == "import"
    assert latest.created_by == world.users[persona]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_and_change_nothing_when_uploading(world, participant, persona):
    client = world.client(persona)
    assert client.get(url("workbooks:needs_upload", participant.pk)).status_code == 404
    before, revisions = lines_of(participant), revisions_of(participant)
    data = workbook_bytes([row(new_hires=9)])
    response = upload(client, url("workbooks:needs_upload", participant.pk), data)
    assert response.status_code == 404
    assert lines_of(participant) == before
    assert revisions_of(participant) == revisions


def test_a_participant_that_does_not_exist_is_404(world):
    for name in ("workbooks:needs_template", "workbooks:needs_upload", "workbooks:needs_export"):
        assert world.client("analyst").get(url(name, 999999)).status_code == 404


@pytest.mark.parametrize("persona", ALLOWED)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_organisation_and_analysts_can_export_the_needs(world, participant, persona, fmt):
    response = world.client(persona).get(
        url("workbooks:needs_export", participant.pk), {"format": fmt}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_for_the_export(world, participant, persona):
    response = world.client(persona).get(url("workbooks:needs_export", participant.pk))
    assert response.status_code == 404


def test_an_unknown_export_format_is_a_clear_400(world, participant):
    response = world.client("company_a").get(
        url("workbooks:needs_export", participant.pk), {"format": "pdf"}
    )
    assert response.status_code == 400
    assert b"format=xlsx or format=csv" in response.content


def test_analysts_reads_of_the_answers_are_logged(world, participant):
    client = world.client("analyst")
    client.get(url("workbooks:needs_template", participant.pk))
    client.get(url("workbooks:needs_export", participant.pk), {"format": "csv"})
    actions = set(
        AccessLog.objects.filter(user=world.users["analyst"]).values_list("action", flat=True)
    )
    assert {"needs_template", "needs_export"} <= actions
    assert AccessLog.objects.filter(organisation=world.company_a).count() == 2
    world.client("company_a").get(url("workbooks:needs_export", participant.pk))
    assert AccessLog.objects.filter(user=world.users["company_a"]).count() == 0


def test_a_respondent_does_not_see_a_draft_rounds_participant(world):
    round_ = make_round(open_=False)
    do_invite_organisations(round_, [world.company_a], None)
    participant = Participant.objects.get(round=round_)
    response = world.client("company_a").get(url("workbooks:needs_template", participant.pk))
    assert response.status_code == 404


# --------------------------------------------------------------------------- the round trip


def test_a_filled_in_template_imports_and_importing_it_again_changes_nothing(world, participant):
    client = world.client("company_a")
    template = client.get(url("workbooks:needs_template", participant.pk)).content
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.sheetnames == ["instructions", "needs", "codes"]
    ws = wb["needs"]
    ws.append(
        sheet_row(
            role="process_operator",
            level="nkr4",
            area="chemical_process",
            year=2026,
            new_hires=12,
            total_staff=40,
            recruit_difficulty=4,
            share_abroad=0.25,
            critical_competences="Dry-room discipline",
            comment="-shift work",
        )
    )
    ws.append(
        sheet_row(
            role="process_operator",
            level="nkr4",
            area="chemical_process",
            year=2027,
            new_hires=14.0,
            total_staff="54",
            recruit_difficulty=None,
            share_abroad="30 %",
            critical_competences=None,
            comment=None,
        )
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    filled = buffer.getvalue()
    revisions = revisions_of(participant)

    first = upload(client, url("workbooks:needs_upload", participant.pk), filled)
    assert first.status_code == 200, first.content.decode()
    assert b"Imported: 2 changes" in first.content
    assert lines_of(participant) == [
        ("chemist", "nkr7", "electrochemistry", 2025, 2, 4, 5, 0.625, "Cell chemistry", ""),
        (
            "process_operator",
            "nkr4",
            "chemical_process",
            2026,
            12,
            40,
            4,
            0.25,
            "Dry-room discipline",
            "-shift work",
        ),
        ("process_operator", "nkr4", "chemical_process", 2027, 14, 54, None, 0.3, "", ""),
    ]
    assert revisions_of(participant) == revisions + 1
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.IN_PROGRESS

    stored = lines_of(participant)
    second = upload(client, url("workbooks:needs_upload", participant.pk), filled)
    assert second.status_code == 200
    assert b"Imported: 0 changes" in second.content
    assert lines_of(participant) == stored
    assert revisions_of(participant) == revisions + 1


def test_a_template_downloaded_after_an_import_imports_as_no_change(world, participant):
    client = world.client("company_a")
    do_save_response(
        participant,
        world.users["company_a"],
        lines=[dict(CHEMIST, comment='=HYPERLINK("http://x")', critical_competences="@risk")],
    )
    template = client.get(url("workbooks:needs_template", participant.pk)).content
    values = dict(zip(EXPORTED, read_xlsx(template)[1], strict=True))
    assert (values["critical_competences"], values["comment"]) == (
        "'@risk",
        '\'=HYPERLINK("http://x")',
    )
    revisions = revisions_of(participant)
    response = upload(client, url("workbooks:needs_upload", participant.pk), template)
    assert b"Imported: 0 changes" in response.content
    assert revisions_of(participant) == revisions


def test_an_export_in_either_format_imports_back_as_no_change(world, participant):
    client = world.client("company_a")
    revisions = revisions_of(participant)
    for fmt in ("xlsx", "csv"):
        export = client.get(url("workbooks:needs_export", participant.pk), {"format": fmt})
        response = upload(
            client, url("workbooks:needs_upload", participant.pk), export.content, f"needs.{fmt}"
        )
        assert response.status_code == 200, response.content.decode()
        assert b"Imported: 0 changes" in response.content
    assert revisions_of(participant) == revisions


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_csv_file_with_comma_or_semicolon_imports(world, participant, delimiter):
    rows = [
        [
            "chemist",
            "nkr7",
            "electrochemistry",
            "2025",
            "2",
            "4",
            "5",
            "0,625" if delimiter == ";" else "0.625",
            "Cell chemistry",
            "",
        ],
        ["chemist", "nkr7", "electrochemistry", "2026", "3", "7", "", "", "", "Ny linje; æøå"],
    ]
    data = "\ufeff".encode() + csv_bytes(rows, delimiter=delimiter)
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data, "needs.csv"
    )
    assert response.status_code == 200, response.content.decode()
    assert lines_of(participant)[1] == (
        "chemist",
        "nkr7",
        "electrochemistry",
        2026,
        3,
        7,
        None,
        None,
        "",
        "Ny linje; æøå",
    )


def test_rows_left_out_of_the_file_are_removed(world, participant):
    do_save_response(participant, None, lines=[dict(CHEMIST), dict(CHEMIST, year=2026)])
    data = workbook_bytes([row()])
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data
    )
    assert b"Lines removed: 1" in response.content
    assert [line[3] for line in lines_of(participant)] == [2025]


# --------------------------------------------------------------------------- the report


def test_a_file_with_three_planted_errors_lists_them_and_changes_nothing(world, participant):
    before, revisions = lines_of(participant), revisions_of(participant)
    data = workbook_bytes(
        [
            row(year=2025),
            row(year=2026, level="nkr9"),  # row 3
            row(year=2027),
            row(role="process_operator", new_hires=-4),  # row 5
            row(role="lab_technician", share_abroad=1.5e3),  # row 6
        ]
    )
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "3 problems" in text
    assert "Sheet needs, row 3, column level: “nkr9” is not a known code." in text
    assert "Sheet needs, row 5, column new_hires: Enter a whole number from 0 to 1,000,000." in text
    assert "Sheet needs, row 6, column share_abroad:" in text
    assert "Nothing was saved" in text
    assert lines_of(participant) == before
    assert revisions_of(participant) == revisions


def test_the_report_names_missing_and_unknown_columns(world, participant):
    header = [*(h for h in HEADER if h != "comment"), "coment"]
    data = workbook_bytes([[*row()[:-1], "x"]], header=header)
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Sheet needs, row 1, column coment: “coment” is not a column of this template." in text
    assert "Sheet needs, row 1, column comment: The column is missing" in text


def test_a_repeated_line_and_a_year_outside_the_round_are_reported(world, participant):
    data = workbook_bytes([row(), row(), row(year=2030)])
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data
    )
    text = response.content.decode()
    assert "Sheet needs, row 3: The row repeats row 2" in text
    assert "Sheet needs, row 4, column year: The round asks about the years 2025–2027." in text


def test_csv_problems_are_reported_by_row_and_column(world, participant):
    data = csv_bytes([["chemist", "nkr7", "electrochemistry", "2025", "many", "4", "", "", "", ""]])
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data, "needs.csv"
    )
    assert response.status_code == 400
    assert "Row 2, column new_hires: Enter a whole number" in response.content.decode()


def test_the_report_is_in_the_users_language(world, participant):
    data = workbook_bytes([row(level="nkr9")])
    with translation.override("nb"):
        target = reverse("workbooks:needs_upload", args=[participant.pk])
    response = upload(world.client("company_a"), target, data)
    assert response.status_code == 400
    assert response["Content-Language"] == "nb"


def test_a_closed_round_refuses_uploads(world, participant):
    do_close_round(participant.round, None)
    client = world.client("company_a")
    page = client.get(url("workbooks:needs_upload", participant.pk))
    assert page.status_code == 200
    assert b"The round is not open" in page.content
    assert b'type="file"' not in page.content
    before, revisions = lines_of(participant), revisions_of(participant)
    response = upload(
        client, url("workbooks:needs_upload", participant.pk), workbook_bytes([row(new_hires=99)])
    )
    assert response.status_code == 302
    assert lines_of(participant) == before
    assert revisions_of(participant) == revisions
    # Reading is still allowed.
    assert client.get(url("workbooks:needs_template", participant.pk)).status_code == 200
    assert client.get(url("workbooks:needs_export", participant.pk)).status_code == 200


def test_an_import_after_submitting_keeps_the_participant_submitted(world, participant):
    do_save_response(
        participant,
        None,
        lines=[dict(CHEMIST, year=year) for year in (2025, 2026, 2027)],
    )
    do_submit_response(participant, world.users["company_a"])
    data = workbook_bytes([row(year=y, new_hires=7) for y in (2025, 2026, 2027)])
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data
    )
    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.SUBMITTED
    assert {line[4] for line in lines_of(participant)} == {7}


# --------------------------------------------------------------------------- the export


def test_the_xlsx_export_writes_numbers_as_numbers_and_escapes_formulas(world, participant):
    do_save_response(
        participant,
        None,
        lines=[dict(CHEMIST, comment="=1+2", critical_competences="+47 99 99 99 99")],
    )
    response = world.client("company_a").get(url("workbooks:needs_export", participant.pk))
    assert response["Content-Type"] == XLSX
    rows = read_xlsx(response.content)
    assert codes_of(rows[0]) == EXPORTED
    values = dict(zip(EXPORTED, rows[1], strict=True))
    assert isinstance(values["year"], int)
    assert isinstance(values["new_hires"], int)
    assert isinstance(values["share_abroad"], float)
    assert values["share_abroad"] == 0.625
    assert values["comment"] == "'=1+2"
    assert values["critical_competences"] == "'+47 99 99 99 99"
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert all(cell.data_type != "f" for line in wb["needs"].iter_rows() for cell in line)


def test_the_csv_export_is_utf8_with_a_bom_and_escapes_formulas(world, participant):
    do_save_response(
        participant,
        None,
        lines=[dict(CHEMIST, comment="@SUM(A1)", critical_competences="\tTab; Ærlig -")],
    )
    response = world.client("company_a").get(
        url("workbooks:needs_export", participant.pk), {"format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert codes_of(rows[0]) == EXPORTED
    values = dict(zip(EXPORTED, rows[1], strict=True))
    assert values["comment"] == "'@SUM(A1)"
    assert values["critical_competences"] == "Tab; Ærlig -"  # stored trimmed
    assert values["new_hires"] == "2"
    assert values["share_abroad"] == "0.625"


# --------------------------------------------------------------------------- the template


def validations(ws) -> dict[str, Any]:
    """Data validations by the column letter they start in."""
    return {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv
        for dv in ws.data_validations.dataValidation
    }


def test_the_template_has_instructions_codes_dropdowns_and_a_frozen_header(world, participant):
    response = world.client("company_a").get(url("workbooks:needs_template", participant.pk))
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["needs"]
    assert ws.freeze_panes == "A2"
    rules = validations(ws)
    # role, level, area: codes (A, C, E) and their names beside them (B, D, F)
    for letter, codes_letter in (("A", "A"), ("B", "B"), ("C", "D"), ("D", "E"), ("E", "G")):
        assert rules[letter].type == "list"
        assert rules[letter].formula1.startswith(f"codes!${codes_letter}$2:")
    assert rules["F"].formula1.startswith("codes!$H$2:")
    assert rules["G"].type == "list"  # year
    assert rules["G"].formula1 == '"2025,2026,2027"'
    assert (rules["H"].type, rules["H"].formula1, rules["H"].formula2) == ("whole", "0", "1000000")
    assert rules["J"].type == "list"  # recruit_difficulty
    assert (rules["K"].type, rules["K"].formula2) == ("decimal", "1")  # share_abroad
    instructions = [c for r in wb["instructions"].iter_rows(values_only=True) for c in r if c]
    assert "Competence needs: how to fill in this template" in instructions
    assert "A year from 2025 to 2027." in instructions
    codes_sheet = list(wb["codes"].iter_rows(values_only=True))
    assert codes_sheet[0][:2] == ("Role (code)", "name")
    assert ws["A1"].value == "Role (code)"  # headed in the reader's language
    assert ws["B1"].value == "Role (name)"
    assert ws["B2"].value == "Chemist and electrochemist"  # the saved line's role, named
    roles = {r[0]: r[1] for r in codes_sheet[1:] if r[0]}
    assert roles["chemist"] == "Chemist and electrochemist"


def test_the_template_speaks_the_users_language(world, participant):
    with translation.override("nb"):
        target = reverse("workbooks:needs_template", args=[participant.pk])
    response = world.client("company_a").get(target)
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    roles = {r[0]: r[1] for r in wb["codes"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert roles["chemist"] == "Kjemiker / elektrokjemiker"


def test_an_ambiguous_thousands_separator_is_refused_not_guessed(world, participant):
    data = csv_bytes(
        [row(new_hires="12.000"), row(year=2026, new_hires="1 200", total_staff="7,0")]
    )
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data, "needs.csv"
    )
    text = response.content.decode()
    assert "1 problem" in text
    assert "Row 2, column new_hires: Enter a whole number" in text


# --------------------------------------------------------------------------- names beside codes


@pytest.mark.parametrize(
    ("lang", "chemist", "names"),
    [
        (
            "nb",
            "Kjemiker / elektrokjemiker",
            (
                "Prosessoperatør",
                "Fagbrev / videregående yrkesfag",
                "kjemisk prosess og prosessdrift",
            ),
        ),
        (
            "en",
            "Chemist and electrochemist",
            (
                "Process operator",
                "Trade certificate / upper-secondary vocational",
                " Chemical process and  process operation ",
            ),
        ),
    ],
)
def test_a_template_filled_in_with_names_instead_of_codes_imports(
    world, participant, lang, chemist, names
):
    """A company that does not know the codes picks names in the template's language (case and
    spaces do not matter) and leaves the code cells blank, or gives both; the saved line comes
    named in the template and imports back unchanged."""
    client = world.client("company_a")
    with translation.override(lang):
        target = reverse("workbooks:needs_template", args=[participant.pk])
        upload_to = reverse("workbooks:needs_upload", args=[participant.pk])
    wb = openpyxl.load_workbook(io.BytesIO(client.get(target).content))
    ws = wb["needs"]
    saved = dict(zip(EXPORTED, next(ws.iter_rows(min_row=2, values_only=True)), strict=True))
    assert (saved["role"], saved["role_name"]) == ("chemist", chemist)
    role, level, area = names
    ws.append(
        sheet_row(
            role=None,
            role_name=role,
            level="nkr4",  # a code and its name: they agree
            level_name=level,
            area=None,
            area_name=area,
            year=2026,
            new_hires=3,
            total_staff=30,
        )
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    response = upload(client, upload_to, buffer.getvalue())
    assert response.status_code == 200, response.content.decode()
    assert [line[:6] for line in lines_of(participant)] == [
        ("chemist", "nkr7", "electrochemistry", 2025, 2, 4),
        ("process_operator", "nkr4", "chemical_process", 2026, 3, 30),
    ]


def test_a_name_that_disagrees_with_its_code_or_is_unknown_is_reported(world, participant):
    data = csv_bytes(
        [
            [*row()[:1], "Process operator", *row()[1:]],
            [*row(year=2026)[:1], "No such role", *row(year=2026)[1:]],
        ],
        header=[HEADER[0], "role_name", *HEADER[1:]],
    )
    response = upload(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data, "n.csv"
    )
    text = html.unescape(response.content.decode())
    assert "2 problems" in text
    assert (
        "Row 2, column role_name: The name “Process operator” is not the name of the code "
        "“chemist” (which is “Chemist and electrochemist”)"
    ) in text
    assert "Row 3, column role_name: “No such role” is not a name in the list" in text
