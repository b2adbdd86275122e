"""Uploads that must be refused safely: too large, zip bombs, XML bombs, files that are not really
XLSX or CSV, and (property tests) any bytes or malformed workbook — always a clear answer, never a
server error and never a partial write."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from battkomp.offers.actions import do_save_offer
from battkomp.offers.models import Offer, OfferArea
from battkomp.survey.actions import (
    do_create_round,
    do_invite_organisations,
    do_open_round,
    do_save_response,
)
from battkomp.survey.models import NeedLine, Participant, Revision
from battkomp.workbooks.columns import escape_text, unescape_text
from battkomp.workbooks.exporters import csv_cell
from web.workbook_support import NEED_COLUMNS as NEEDS
from web.workbook_support import workbook_bytes

OFFERS = [
    "code",
    "name",
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
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def url(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def participant(world) -> Participant:
    round_ = do_create_round(
        None,
        name="Needs 2025",
        first_year=2025,
        last_year=2027,
        opens_on=dt.date(2025, 1, 6),
        deadline=dt.date(2025, 3, 1),
    )
    do_open_round(round_, None)
    do_invite_organisations(round_, [world.company_a], None)
    participant = Participant.objects.get(round=round_)
    do_save_response(
        participant,
        None,
        lines=[
            {
                "role": "chemist",
                "level": "nkr7",
                "area": "electrochemistry",
                "year": 2025,
                "new_hires": 2,
                "total_staff": 4,
            }
        ],
    )
    return participant


@pytest.fixture
def offer(world) -> Offer:
    return do_save_offer(
        world.institution,
        None,
        {
            "code": "fagskolen-battery",
            "name": "Battery production technology",
            "kind": "programme",
            "level": "nkr5",
            "study_places": 40,
            "first_intake": 2024,
            "region": "32",
            "status": "exists",
        },
        [("electrochemistry", 1.0)],
    )


def database() -> tuple[Any, ...]:
    """Everything an import could touch, to compare before and after."""
    return (
        NeedLine.objects.count(),
        Revision.objects.count(),
        Offer.objects.count(),
        OfferArea.objects.count(),
        sorted(NeedLine.objects.values_list(*NEEDS)),
        # the files here have the older template's single name column (read as the
        # uploader's language); the offer keeps it as name_nb or name_en
        sorted(
            Offer.objects.values_list(
                *[c for c in OFFERS[:-1] if c != "name"], "name_nb", "name_en", "updated_at"
            )
        ),
        sorted(OfferArea.objects.values_list("offer__code", "area", "weight")),
    )


def post(client, target: str, data: bytes, name: str):
    return client.post(target, {"file": SimpleUploadedFile(name, data)})


def needs_upload(world, participant, data: bytes, name: str = "needs.xlsx"):
    return post(
        world.client("company_a"), url("workbooks:needs_upload", participant.pk), data, name
    )


def refused(response, text: str) -> None:
    assert response.status_code == 400
    assert text in response.content.decode()


def workbook(rows: list[list[Any]], header: list[Any] = NEEDS, sheet: str = "needs") -> bytes:
    return workbook_bytes(rows, header=header, sheet=sheet)


VALID = [["chemist", "nkr7", "electrochemistry", 2025, 3, 4, None, None, None, None]]


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same archive with some members replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
    return buffer.getvalue()


# --------------------------------------------------------------------------- limits and bombs


@override_settings(BATTKOMP_MAX_UPLOAD_BYTES=2000)
def test_a_file_over_the_size_limit_is_refused(world, participant):
    before = database()
    data = workbook(VALID)
    assert len(data) > 2000
    refused(needs_upload(world, participant, data), "larger than the limit of 2.0")
    assert database() == before


@override_settings(BATTKOMP_MAX_UPLOAD_BYTES=2000)
def test_a_large_upload_is_cut_off_while_it_arrives(world, participant):
    before = database()
    response = needs_upload(world, participant, b"x" * 3_000_000, "needs.csv")
    refused(response, "larger than the limit of 2.0")
    assert database() == before


def test_uploads_need_the_csrf_token(world, participant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["company_a"])
    target = url("workbooks:needs_upload", participant.pk)
    before = database()
    response = client.post(target, {"file": SimpleUploadedFile("n.xlsx", workbook(VALID))})
    assert response.status_code == 403
    assert database() == before
    page = client.get(target)
    token = page.cookies["csrftoken"].value
    response = client.post(
        target,
        {"file": SimpleUploadedFile("n.xlsx", workbook(VALID)), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200


def test_a_zip_bomb_is_refused_before_it_is_unpacked(world, participant):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 200_000
    before = database()
    refused(needs_upload(world, participant, data), "zip bomb")
    assert database() == before


def test_an_archive_that_unpacks_to_too_much_in_all_is_refused(world, participant):
    # Each member packs at a normal ratio, but together they unpack to more than the limit.
    rng = random.Random(7)
    chunk = bytes(rng.choice(b"abcdefghij<>/ ") for _ in range(1024 * 1024))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(3):
            archive.writestr(f"xl/media/image{i}.bin", chunk)
    with override_settings(BATTKOMP_MAX_UPLOAD_BYTES=10 * 1024 * 1024):
        from battkomp.workbooks import reading

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(reading, "max_unpacked_bytes", lambda: 2 * 1024 * 1024)
            refused(needs_upload(world, participant, buffer.getvalue()), "zip bomb")


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    return (
        '<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()


def test_an_xml_bomb_in_a_sheet_is_refused(world, participant):
    data = rezip(workbook(VALID), {"xl/worksheets/sheet1.xml": billion_laughs()})
    before = database()
    refused(needs_upload(world, participant, data), "XML bomb")
    assert database() == before


def test_an_entity_in_the_shared_strings_is_refused(world, participant):
    good = workbook(VALID)
    names = zipfile.ZipFile(io.BytesIO(good)).namelist()
    target = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "docProps/app.xml"
    payload = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    refused(needs_upload(world, participant, rezip(good, {target: payload})), "XML bomb")


def test_xml_in_utf16_cannot_hide_a_declaration(world, participant):
    bomb = billion_laughs().decode().replace('<?xml version="1.0"?>', "")
    data = rezip(workbook(VALID), {"xl/worksheets/sheet1.xml": bomb.encode("utf-16")})
    refused(needs_upload(world, participant, data), "damaged or not a real Excel workbook")


def test_openpyxl_parses_with_defusedxml_even_without_our_scan(world, participant):
    assert openpyxl.DEFUSEDXML
    data = rezip(workbook(VALID), {"xl/worksheets/sheet1.xml": billion_laughs()})
    from defusedxml import EntitiesForbidden

    with pytest.raises(ValueError, match="invalid XML") as caught:
        openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert isinstance(caught.value.__cause__, EntitiesForbidden)


# --------------------------------------------------------------------------- not really XLSX/CSV


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"role,level\nchemist,nkr7\n", "needs.xlsx", "is called .xlsx but is not an Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "needs.xls", "old Excel file"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "needs.csv", "UTF-8"),
        (b"role,level\x00\x01\x02,area\n", "needs.csv", "binary data"),
        (b"PK\x03\x04" + b"\x00" * 64, "needs.xlsx", "damaged or not a real Excel workbook"),
        ("rôle;nivå\n".encode("cp1252"), "needs.csv", "UTF-8"),
        (b"   \n\n", "needs.csv", "The file is empty."),
    ],
)
def test_files_that_are_not_really_xlsx_or_csv_are_refused(world, participant, data, name, message):
    before = database()
    refused(needs_upload(world, participant, data, name), message)
    assert database() == before


def test_a_zip_that_is_not_a_workbook_is_refused(world, participant):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused(
        needs_upload(world, participant, buffer.getvalue()), "ZIP archive but not an Excel workbook"
    )


def test_a_workbook_named_csv_is_refused(world, participant):
    refused(needs_upload(world, participant, workbook(VALID), "needs.csv"), "is called .csv")


def test_an_empty_upload_is_refused_by_the_form(world, participant):
    before = database()
    response = needs_upload(world, participant, b"", "needs.xlsx")
    assert response.status_code == 400
    assert b"empty" in response.content
    assert database() == before


def test_a_missing_file_is_refused_by_the_form(world, participant):
    target = url("workbooks:needs_upload", participant.pk)
    response = world.client("company_a").post(target, {})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_a_workbook_without_the_needs_sheet_is_refused(world, participant):
    wb = openpyxl.Workbook()
    wb.active.title = "first"
    wb.create_sheet("second")
    buffer = io.BytesIO()
    wb.save(buffer)
    refused(needs_upload(world, participant, buffer.getvalue()), "no sheet called “needs”")


def test_a_lone_sheet_with_another_name_is_read(world, participant):
    response = needs_upload(world, participant, workbook(VALID, sheet="Ark1"))
    assert response.status_code == 200
    assert NeedLine.objects.get().new_hires == 3


def test_a_header_only_file_is_refused(world, participant):
    refused(needs_upload(world, participant, workbook([])), "no rows to import")


def test_a_row_far_down_the_sheet_is_read_without_trouble(world, participant):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "needs"
    ws.append(NEEDS)
    ws.cell(row=1_048_576, column=1, value="cell_designer")
    buffer = io.BytesIO()
    wb.save(buffer)
    refused(
        needs_upload(world, participant, buffer.getvalue()),
        "row 1048576, column role: “cell_designer” is not a known code",
    )


def test_a_value_in_a_column_without_a_heading_is_reported(world, participant):
    data = workbook([[*VALID[0], None, "stray"]], header=[*NEEDS, None, None])
    refused(needs_upload(world, participant, data), "column L: There is a value in a column")


# --------------------------------------------------------------------------- formula escapes


# (their docstring examples run with the suite's --doctest-modules)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_escaped_and_unescaped(text):
    assert escape_text(text) == "'" + text
    assert csv_cell(text) == "'" + text
    assert unescape_text(escape_text(text)) == text


def test_plain_text_and_numbers_are_not_escaped():
    assert escape_text("Cell chemistry") == "Cell chemistry"
    assert csv_cell(-5) == "-5"
    assert csv_cell(0.1) == "0.1"


# --------------------------------------------------------------------------- property tests

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
cells = st.one_of(
    st.none(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    texts,
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)),
)
#: Values a needs column accepts, and a few it does not.
good_needs = {
    "role": st.sampled_from(["chemist", "process_operator", "CHEMIST"]),
    "level": st.sampled_from(["nkr4", "nkr7"]),
    "area": st.sampled_from(["electrochemistry", "hse"]),
    "year": st.sampled_from([2025, 2026, 2027, "2026", 2027.0]),
    "new_hires": st.one_of(st.none(), st.integers(min_value=0, max_value=50)),
    "total_staff": st.one_of(st.none(), st.integers(min_value=0, max_value=500), st.just("1 200")),
    "recruit_difficulty": st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    "share_abroad": st.one_of(st.none(), st.sampled_from([0, 0.25, "30 %", 1, "0,5"])),
    "critical_competences": st.one_of(st.none(), texts.filter(lambda t: not t.startswith("="))),
    "comment": st.one_of(st.none(), st.sampled_from(["", "ok", "'=1+1", "'-x", "-y"])),
}
bad_needs = {
    "role": st.just("nobody"),
    "level": st.sampled_from(["nkr9", "evu"]),
    "area": st.just("production"),
    "year": st.sampled_from([2031, "next year", 2025.5]),
    "new_hires": st.integers(max_value=-1),
    "total_staff": st.just(10**7),
    "recruit_difficulty": st.sampled_from([0, 6, 2.5]),
    "share_abroad": st.sampled_from([150, -0.1, "half"]),
    "critical_competences": st.just("x" * 5001),
    "comment": st.just("y" * 5001),
}


@st.composite
def need_sheets(draw) -> dict[str, Any]:
    """A needs sheet, often well-formed: plausible cells with some wrong or random ones mixed
    in, columns shuffled, dropped or added, extra sheets, another sheet name."""
    header: list[Any] = list(NEEDS)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 5)) == 0:
        header.remove(draw(st.sampled_from(header)))
    if draw(st.integers(0, 5)) == 0:
        header.append(draw(st.sampled_from(["extra", None, "role"])))
    clean = draw(st.booleans())

    def cell(name: Any) -> Any:
        if name not in good_needs:
            return draw(cells)
        pick = 0 if clean else draw(st.integers(0, 5))
        if pick == 1:
            return draw(bad_needs[name])
        if pick == 2:
            return draw(cells)
        return draw(good_needs[name])

    rows = [[cell(h) for h in header] for _ in range(draw(st.integers(0, 6)))]
    return {
        "header": header,
        "rows": rows,
        "sheet": draw(st.sampled_from(["needs", "needs", "Sheet", "NEEDS "])),
        "extra_sheets": draw(
            st.lists(st.sampled_from(["instructions", "codes", "notes"]), max_size=2, unique=True)
        ),
        "csv": draw(st.booleans()),
        "delimiter": draw(st.sampled_from([",", ";"])),
    }


def sheet_bytes(spec: dict[str, Any]) -> tuple[bytes, str]:
    if spec["csv"]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=spec["delimiter"])
        writer.writerow(["" if h is None else h for h in spec["header"]])
        writer.writerows([["" if v is None else v for v in r] for r in spec["rows"]])
        return buffer.getvalue().encode("utf-8"), "upload.csv"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec["sheet"]
    ws.append(spec["header"])
    for values in spec["rows"]:
        ws.append(values)
    for name in spec["extra_sheets"]:
        wb.create_sheet(name).append(["anything", 1, None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), "upload.xlsx"


def check_needs_upload(world, participant, data: bytes, name: str) -> None:
    """A clear refusal that changes nothing, or an import that a second upload confirms."""
    before = database()
    response = needs_upload(world, participant, data, name)
    assert response.status_code in {200, 400}
    event(f"status {response.status_code}")
    if response.status_code == 400:
        assert b'role="alert"' in response.content
        assert database() == before
        return
    assert b"Imported:" in response.content
    after = database()
    assert after[1] - before[1] <= 1  # at most one new revision
    again = needs_upload(world, participant, data, name)
    assert again.status_code == 200
    assert b"Imported: 0 changes" in again.content
    assert database() == after


@PROPERTY
@given(data=st.binary(max_size=2000), name=st.sampled_from(["needs.xlsx", "needs.csv", "needs"]))
def test_arbitrary_bytes_never_break_the_needs_import(world, participant, data, name):
    check_needs_upload(world, participant, data, name)


@PROPERTY
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"\xef\xbb\xbf", b""]),
    data=st.binary(max_size=500),
)
def test_bytes_that_look_like_a_zip_or_text_never_break_the_import(
    world, participant, prefix, data
):
    check_needs_upload(world, participant, prefix + data, "needs.xlsx")


@PROPERTY
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_a_damaged_workbook_never_breaks_the_import(world, participant, flips):
    data = bytearray(workbook(VALID))
    for position, value in flips:
        data[position % len(data)] = value
    check_needs_upload(world, participant, bytes(data), "needs.xlsx")


@PROPERTY
@given(spec=need_sheets())
def test_malformed_needs_sheets_give_a_clear_report_or_a_correct_import(world, participant, spec):
    data, name = sheet_bytes(spec)
    check_needs_upload(world, participant, data, name)


good_offers = {
    "code": st.sampled_from(["fagskolen-battery", "new-offer"]),
    "name": st.sampled_from(["Battery course", "'=x", "-y"]),
    "kind": st.sampled_from(["programme", "module", "Course"]),
    "level": st.sampled_from(["nkr5", "nkr6"]),
    "target_level": st.sampled_from(["", "nkr5"]),
    "study_places": st.one_of(st.integers(0, 100), st.just("40")),
    "candidates": st.one_of(st.none(), st.integers(0, 100)),
    "first_intake": st.sampled_from([2024, "2025", 2026.0]),
    "duration_years": st.one_of(st.none(), st.sampled_from([0.5, 2, "1,5"])),
    "ects": st.one_of(st.none(), st.sampled_from([10, 120])),
    "region": st.sampled_from(["32", 3, "03"]),
    "mode": st.sampled_from(["", "campus", "online"]),
    "status": st.sampled_from(["exists", "planned"]),
    "completion_rate": st.one_of(st.none(), st.sampled_from([0.8, "90 %"])),
    "capture_share": st.one_of(st.none(), st.sampled_from([0.1, 1])),
    "source": st.sampled_from(["", "https://example.org", "'@x"]),
    "areas": st.sampled_from(
        ["electrochemistry", "hse:0.5; cell_design:0.5", "HSE:50;cell_design:50"]
    ),
}
bad_offers = {
    "code": st.sampled_from(["Bad Code!", ""]),
    "name": st.just(""),
    "kind": st.just("webinar"),
    "level": st.sampled_from(["nkr9", "evu"]),
    "target_level": st.just("evu"),
    "study_places": st.sampled_from([-1, "many", 1.5]),
    "candidates": st.just(-3),
    "first_intake": st.sampled_from([1800, "soon"]),
    "duration_years": st.just(11),
    "ects": st.just(700),
    "region": st.sampled_from(["99", "SE"]),
    "mode": st.just("zoom"),
    "status": st.just("gone"),
    "completion_rate": st.just(150),
    "capture_share": st.just(-1),
    "source": st.just("z" * 6000),
    "areas": st.sampled_from(["hse:1; hse:1", "production:1", "x", "hse:0.2", "hse:abc"]),
}


@PROPERTY
@given(data=st.data())
def test_malformed_offer_sheets_give_a_clear_report_or_a_correct_import(world, offer, data):
    header = list(OFFERS)
    if data.draw(st.integers(0, 5)) == 0:
        header.remove(data.draw(st.sampled_from(header)))
    clean = data.draw(st.booleans())

    def cell(name: str, index: int) -> Any:
        if clean and name == "code":
            return ["fagskolen-battery", "new-a", "new-b", "new-c"][index]
        pick = 0 if clean else data.draw(st.integers(0, 5))
        if pick == 1:
            return data.draw(bad_offers[name])
        if pick == 2:
            return data.draw(cells)
        return data.draw(good_offers[name])

    rows = [[cell(h, i) for h in header] for i in range(data.draw(st.integers(0, 4)))]
    as_csv = data.draw(st.booleans())
    spec = {
        "header": header,
        "rows": rows,
        "sheet": "offers",
        "extra_sheets": [],
        "csv": as_csv,
        "delimiter": data.draw(st.sampled_from([",", ";"])),
    }
    content, name = sheet_bytes(spec)
    client = world.client("institution")
    target = url("workbooks:offers_upload")
    before = database()
    response = post(client, target, content, name)
    assert response.status_code in {200, 400}
    event(f"status {response.status_code}")
    if response.status_code == 400:
        assert b'role="alert"' in response.content
        assert database() == before
        return
    after = database()
    again = post(client, target, content, name)
    assert again.status_code == 200
    assert b"Imported: 0 changes" in again.content
    assert database() == after


@PROPERTY
@given(data=st.binary(max_size=2000), name=st.sampled_from(["offers.xlsx", "offers.csv"]))
def test_arbitrary_bytes_never_break_the_offers_import(world, offer, data, name):
    before = database()
    response = post(world.client("institution"), url("workbooks:offers_upload"), data, name)
    assert response.status_code == 400
    assert database() == before
