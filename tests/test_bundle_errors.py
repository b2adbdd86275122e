"""Bad input gives one clear message per problem, naming file, sheet, row and column, in English
and bokmål; checking a bundle reports every problem at once."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import xlsxwriter

from battkomp.engine import run_model
from battkomp.engine.bundle import (
    BundleError,
    Problem,
    check_bundle,
    demo_bundle_path,
    load_inputs,
    read_raw,
    scenario_names,
)
from battkomp.engine.problems import message_codes
from bundlekit import (
    BASE_YEAR,
    default_rows,
    facility,
    plan,
    plant_bundle,
    write_bundle,
    write_csv,
)

#: English words that must never appear in a bokmål message (parameters are rendered per language)
ENGLISH_ONLY = ("did you mean", "cannot be read", "not a zip", "binary data", "is negative")


def _one(problems: list[Problem], code: str | None = None) -> Problem:
    """The single problem found (of ``code``), failing with every message otherwise."""
    found = [p for p in problems if code is None or p.code == code]
    assert len(found) == 1, [p.message("en") for p in problems]
    return found[0]


def _assert_bilingual(problem: Problem, *fragments_en: str, nb: tuple[str, ...] = ()) -> None:
    en, no = problem.message("en"), problem.message("nb")
    for fragment in fragments_en:
        assert fragment in en, en
    for fragment in nb:
        assert fragment in no, no
    assert en != no
    for word in ENGLISH_ONLY:
        assert word not in no, no


def _plants(
    folder: Path, *rows: dict[str, object], plans: list[dict[str, object]] | None = None
) -> Path:
    """A bundle with the given facilities and capacity plans (none if not given)."""
    return plant_bundle(folder, rows, plans if plans is not None else [])


def _offer(oid: str = "o1", **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": oid,
        "institution": "Test school",
        "name": "Test programme",
        "kind": "programme",
        "level": "nkr6",
        "region": "42",
        "study_places": None,
        "candidates": 100,
        "first_intake": 2027,
        "duration_years": 3,
        "completion_rate": 0.8,
        "capture_share": 0.5,
        "target_level": None,
        "status": "exists",
        "source": "synthetic test data",
    }
    row.update(kw)
    return row


# ------------------------------------------------------------------------------ unknown codes


def test_it_names_an_unknown_segment_and_suggests_the_closest_code(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1", segment="cell_manufactoring"))

    problem = _one(check_bundle(folder))

    assert problem.code == "unknown_code"
    assert problem.location.file == "b/facilities.csv"
    assert problem.location.row == 2
    assert problem.location.column == "segment"
    _assert_bilingual(
        problem,
        "b/facilities.csv, row 2, column 'segment'",
        "unknown segments code 'cell_manufactoring'",
        "(did you mean 'cell_manufacturing'?)",
        nb=("rad 2, kolonne «segment»", "«cell_manufactoring»", "(mente du «cell_manufacturing»?)"),
    )


def test_it_gives_no_hint_when_no_code_is_close(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1", region="zzzzzz"))

    problem = _one(check_bundle(folder))

    assert problem.code == "unknown_code"
    assert "did you mean" not in problem.message("en")
    assert "mente du" not in problem.message("nb")


def test_it_names_an_unknown_role_in_a_survey_answer(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "survey_needs": [
                {
                    "organisation": "org_a",
                    "segment": "cell_manufacturing",
                    "region": "42",
                    "role": "proces_operator",
                    "level": "nkr4",
                    "area": "electrode_manufacturing",
                    "year": BASE_YEAR,
                    "new_hires": 3,
                    "total_staff": 10,
                    "source": "synthetic",
                }
            ]
        },
    )

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.row, problem.location.column) == (
        "unknown_code",
        2,
        "role",
    )
    assert "'process_operator'" in problem.message("en")


def test_a_facility_with_a_bad_cell_does_not_also_make_its_plans_unknown(tmp_path: Path) -> None:
    folder = _plants(
        tmp_path / "b",
        facility("f1", probability=1.5),
        plans=[plan("f1", BASE_YEAR, 5.0), plan("f1", BASE_YEAR + 2, 8.0)],
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "probability_range"
    assert problem.location.file == "b/facilities.csv"


# --------------------------------------------------------------------------- numbers and ranges


def test_it_rejects_negative_capacity(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1"), plans=[plan("f1", BASE_YEAR, -5)])

    problem = _one(check_bundle(folder))

    assert problem.code == "negative"
    assert (problem.location.file, problem.location.row, problem.location.column) == (
        "b/capacity_plans.csv",
        2,
        "capacity",
    )
    _assert_bilingual(
        problem,
        "b/capacity_plans.csv, row 2, column 'capacity': -5 is negative",
        nb=("rad 2, kolonne «capacity»: -5 er negativ",),
    )


def test_it_rejects_negative_headcount(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "survey_needs": [
                {
                    "organisation": "org_a",
                    "segment": "cell_manufacturing",
                    "region": "42",
                    "role": "process_operator",
                    "level": "nkr4",
                    "area": "electrode_manufacturing",
                    "year": BASE_YEAR,
                    "new_hires": 3,
                    "total_staff": -10,
                    "source": "synthetic",
                }
            ]
        },
    )

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.column) == ("negative", "total_staff")
    _assert_bilingual(problem, "-10 is negative", nb=("-10 er negativ",))


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_it_rejects_a_realisation_probability_outside_0_and_1(tmp_path: Path, value: float) -> None:
    folder = _plants(tmp_path / "b", facility("f1", probability=value))

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.column) == (
        "probability_range",
        "realisation_probability",
    )
    _assert_bilingual(
        problem,
        f"{value} is not a probability or share between 0 and 1",
        nb=(f"{value} er ikke en sannsynlighet",),
    )


def test_it_rejects_a_capture_share_above_1(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "education_offers": [_offer(capture_share=1.2)],
            "offer_areas": [{"offer": "o1", "area": "electrochemistry", "weight": 1}],
        },
    )

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.row, problem.location.column) == (
        "probability_range",
        2,
        "capture_share",
    )


def test_it_rejects_a_year_outside_the_years_the_model_accepts(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1", start_year=1980))

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.column) == ("year_out_of_range", "start_year")
    _assert_bilingual(
        problem, "the year 1980 is outside 1990–2100", nb=("året 1980 er utenfor 1990–2100",)
    )


def test_it_rejects_a_survey_year_outside_the_projection(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "survey_needs": [
                {
                    "organisation": "org_a",
                    "segment": "cell_manufacturing",
                    "region": "42",
                    "role": "process_operator",
                    "level": "nkr4",
                    "area": "electrode_manufacturing",
                    "year": 2050,
                    "new_hires": 3,
                    "total_staff": 10,
                    "source": "synthetic",
                }
            ]
        },
    )

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.column) == ("year_out_of_range", "year")
    _assert_bilingual(problem, "the year 2050 is outside 2026–2040", nb=("2026–2040",))


def test_it_rejects_text_where_a_number_belongs(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1"), plans=[plan("f1", BASE_YEAR, "lots")])

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.column) == ("not_a_number", "capacity")
    _assert_bilingual(problem, "'lots' is not a number", nb=("«lots» er ikke et tall",))


def test_it_rejects_delays_out_of_order(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1", delay=(2, 1, 3)))

    problem = _one(check_bundle(folder))

    assert problem.code == "delay_order"
    assert problem.location.column == "delay_mode"


# ------------------------------------------------------------------------------------ sums


def test_it_rejects_a_replaced_role_mix_that_does_not_sum_to_1(tmp_path: Path) -> None:
    rows = default_rows("role_mix")
    target = next(
        r
        for r in rows
        if (r["segment"], r["phase"], r["role"]) == ("recycling", "mature", "process_operator")
    )
    target["share"] = str(float(target["share"]) + 0.25)
    folder = write_bundle(tmp_path / "b", {"role_mix": rows})

    problem = _one(check_bundle(folder))

    assert problem.code == "sum_not_one"
    assert problem.location.file == "b/role_mix.csv"
    assert problem.location.column == "share"
    _assert_bilingual(
        problem,
        "'share' for segment=recycling, phase=mature sums to 1.25, not 1",
        nb=("summerer til 1.25, ikke 1",),
    )


def test_it_accepts_a_replaced_role_mix_that_sums_to_1(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", {"role_mix": default_rows("role_mix")})

    assert check_bundle(folder) == []


def test_it_rejects_offer_areas_whose_weights_do_not_sum_to_1(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "education_offers": [_offer()],
            "offer_areas": [
                {"offer": "o1", "area": "electrochemistry", "weight": 0.5},
                {"offer": "o1", "area": "cell_design", "weight": 0.3},
            ],
        },
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "sum_not_one"
    assert (problem.location.file, problem.location.row) == ("b/offer_areas.csv", 2)
    _assert_bilingual(problem, "'weight' for offer=o1 sums to 0.8, not 1", nb=("offer=o1",))


def test_it_rejects_retraining_paths_that_send_more_than_the_whole_pool(tmp_path: Path) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "retraining_pools": [
                {
                    "id": "pool1",
                    "name": "Pool",
                    "size": 100,
                    "share_available": 0.1,
                    "first_year": BASE_YEAR,
                    "source": "synthetic",
                }
            ],
            "retraining_paths": [
                {
                    "pool": "pool1",
                    "target_role": "process_operator",
                    "level": "nkr4",
                    "share": 0.7,
                    "duration_years": 1,
                },
                {
                    "pool": "pool1",
                    "target_role": "electrician",
                    "level": "nkr4",
                    "share": 0.5,
                    "duration_years": 1,
                },
            ],
        },
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "sum_above"
    assert "more than 1" in problem.message("en")


# ------------------------------------------------------------------------- columns and keys


def test_it_names_a_missing_column(tmp_path: Path) -> None:
    row = facility("f1")
    del row["status"]
    folder = _plants(tmp_path / "b", row)

    problem = _one(check_bundle(folder))

    assert problem.code == "missing_column"
    assert (problem.location.file, problem.location.row) == ("b/facilities.csv", 1)
    _assert_bilingual(problem, "the column 'status' is missing", nb=("kolonnen «status» mangler",))


def test_it_names_an_unknown_column_and_lists_the_expected_ones(tmp_path: Path) -> None:
    row = facility("f1")
    row["colour"] = "red"
    folder = _plants(tmp_path / "b", row)

    problem = _one(check_bundle(folder))

    assert problem.code == "unknown_column"
    _assert_bilingual(
        problem,
        "unknown column 'colour' (expected: id, organisation,",
        nb=("ukjent kolonne «colour»",),
    )


def test_it_ignores_note_columns(tmp_path: Path) -> None:
    row = facility("f1")
    row["Kommentar"] = "checked with the owner"
    row["notes"] = "fine"
    folder = _plants(tmp_path / "b", row)

    assert check_bundle(folder) == []


def test_it_names_a_required_cell_left_blank(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1"), facility("f2", status=""))

    problem = _one(check_bundle(folder))

    assert (problem.code, problem.location.row, problem.location.column) == (
        "blank_required",
        3,
        "status",
    )
    _assert_bilingual(problem, "a value is required", nb=("verdi mangler",))


def test_it_names_a_duplicate_key_and_the_row_it_repeats(tmp_path: Path) -> None:
    folder = _plants(
        tmp_path / "b",
        facility("f1"),
        plans=[plan("f1", BASE_YEAR, 5), plan("f1", BASE_YEAR + 1, 6), plan("f1", BASE_YEAR, 7)],
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "duplicate_key"
    assert (problem.location.file, problem.location.row) == ("b/capacity_plans.csv", 4)
    _assert_bilingual(
        problem,
        f"duplicate row: facility=f1 | year={BASE_YEAR} already appears in row 2",
        nb=("står allerede i rad 2",),
    )


def test_it_names_an_unknown_table(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1"))
    write_csv(folder / "facility.csv", [{"id": "x"}])

    problem = _one(check_bundle(folder))

    assert problem.code == "unknown_table"
    _assert_bilingual(
        problem,
        "'facility' is not a table the model knows (known: ",
        nb=("«facility» er ikke en tabell",),
    )


# ----------------------------------------------------------------------------- unreadable


def test_it_reports_a_csv_of_binary_garbage_as_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "facilities.csv").write_bytes(b"id,name\x00\x00\x01\x02,x\n\x00\x00")

    problem = _one(check_bundle(folder))

    assert problem.code == "unreadable_file"
    assert problem.location.file == "b/facilities.csv"
    _assert_bilingual(
        problem, "the file cannot be read: binary data", nb=("filen kan ikke leses: binære data",)
    )


def test_it_reports_a_csv_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "organisations.csv").write_bytes(
        "id,name,kind,source\nbedrift,Bærum Batteri,company,x\n".encode("latin-1")
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "not_utf8"
    assert problem.location.file == "b/organisations.csv"
    _assert_bilingual(problem, "not UTF-8 text", nb=("ikke UTF-8-tekst",))


def test_it_reports_random_bytes_as_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "capacity_plans.csv").write_bytes(bytes(range(256)) * 3)

    problem = _one(check_bundle(folder))

    assert problem.code in {"not_utf8", "unreadable_file"}
    assert problem.location.file == "b/capacity_plans.csv"


def test_it_reports_an_xlsx_that_is_not_a_zip_archive(tmp_path: Path) -> None:
    workbook = tmp_path / "bundle.xlsx"
    workbook.write_bytes(b"PK? no, this is plain text pretending to be a workbook")

    problem = _one(check_bundle(workbook))

    assert problem.code == "unreadable_file"
    assert problem.location.file == "bundle.xlsx"
    _assert_bilingual(
        problem,
        "bundle.xlsx: the file cannot be read: not an .xlsx workbook",
        nb=("filen kan ikke leses: ikke en .xlsx-arbeidsbok",),
    )


def test_it_reports_an_empty_file(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "facilities.csv").write_bytes(b"")

    problem = _one(check_bundle(folder))

    assert problem.code == "empty_file"


def test_it_reports_a_path_that_does_not_exist(tmp_path: Path) -> None:
    problem = _one(check_bundle(tmp_path / "nowhere"))

    assert problem.code == "no_such_path"


def test_it_reads_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    folder = _plants(tmp_path / "b", facility("f1"))
    (folder / "capacity_plans.csv").write_text(
        f"facility;year;capacity;source\nf1;{BASE_YEAR};12,5;synthetic\n", encoding="utf-8-sig"
    )

    inputs = load_inputs(folder)

    assert inputs["capacity_plans"]["capacity"].to_list() == [12.5]


# ------------------------------------------------------------------------------- overrides


def _override(**kw: object) -> dict[str, object]:
    return {"table": "", "key": "", "column": "", "value": "", "source": "test", **kw}


@pytest.mark.parametrize(
    ("override", "code", "column", "en", "nb"),
    [
        (
            _override(table="facilitiez", key="f1", column="start_year", value=2030),
            "override_unknown_table",
            "table",
            "cannot override table 'facilitiez': no such table",
            "kan ikke overstyre tabellen «facilitiez»",
        ),
        (
            _override(table="facilities", key="f9", column="start_year", value=2030),
            "override_unknown_row",
            "key",
            "no row with key 'f9' in facilities (key columns: id)",
            "ingen rad med nøkkel «f9» i facilities",
        ),
        (
            _override(table="facilities", key="f1", column="colour", value="red"),
            "override_unknown_column",
            "column",
            "cannot override column 'colour' of facilities",
            "kan ikke overstyre kolonnen «colour» i facilities",
        ),
        (
            _override(table="facilities", key="f1", column="id", value="f2"),
            "override_unknown_column",
            "column",
            "no such column, or a key column",
            "nøkkelkolonne",
        ),
        (
            _override(
                table="capacity_plans", key=f"f1|{BASE_YEAR + 5}", column="capacity", value=1
            ),
            "override_unknown_row",
            "key",
            "key columns: facility|year",
            "nøkkelkolonner: facility|year",
        ),
        (
            _override(table="facilities", key="f1", column="realisation_probability", value=2),
            "probability_range",
            "value",
            "2 is not a probability",
            "2 er ikke en sannsynlighet",
        ),
        (
            _override(table="labour_intensity", key="cell_manufacturing", column="mode", value=500),
            "low_mode_high",
            "value",
            "not in order low ≤ mode ≤ high",
            "lav ≤ modus ≤ høy",
        ),
    ],
    ids=[
        "unknown-table",
        "unknown-row",
        "unknown-column",
        "key-column",
        "unknown-two-column-key",
        "bad-value",
        "breaks-a-rule",
    ],
)
def test_it_points_a_bad_override_at_its_own_row(
    tmp_path: Path, override: dict[str, object], code: str, column: str, en: str, nb: str
) -> None:
    folder = plant_bundle(
        tmp_path / "b",
        [facility("f1")],
        [plan("f1", BASE_YEAR, 5)],
        overrides=[override],
    )

    problem = _one(check_bundle(folder))

    assert problem.code == code
    assert (problem.location.file, problem.location.row, problem.location.column) == (
        "b/overrides.csv",
        2,
        column,
    )
    _assert_bilingual(problem, en, nb=(nb,))


def test_an_override_changes_the_row_it_names(tmp_path: Path) -> None:
    folder = plant_bundle(
        tmp_path / "b",
        [facility("f1")],
        [plan("f1", BASE_YEAR, 5)],
        overrides=[
            _override(table="capacity_plans", key=f"f1|{BASE_YEAR}", column="capacity", value=7)
        ],
    )

    assert load_inputs(folder)["capacity_plans"]["capacity"].to_list() == [7.0]


# ------------------------------------------------------------------------------- scenarios


def _with_scenarios(folder: Path) -> Path:
    return plant_bundle(
        folder,
        [facility("f1")],
        [plan("f1", BASE_YEAR, 5)],
        scenarios=[
            {"name": "base", "weight": 0.5, "description": "as given"},
            {"name": "slow", "weight": 0.5, "description": "later"},
        ],
        scenario_overrides=[
            {
                "scenario": "slow",
                "table": "facilities",
                "key": "f1",
                "column": "start_year",
                "value": BASE_YEAR + 3,
                "source": "test",
            }
        ],
    )


def test_it_names_an_unknown_scenario_and_the_known_ones(tmp_path: Path) -> None:
    folder = _with_scenarios(tmp_path / "b")

    with pytest.raises(BundleError) as info:
        load_inputs(folder, scenario="fast")

    problem = _one(info.value.problems)
    assert problem.code == "unknown_scenario"
    _assert_bilingual(
        problem,
        "no scenario named 'fast' (known: base, slow)",
        nb=("ingen scenario heter «fast» (kjente: base, slow)",),
    )


def test_running_an_unknown_scenario_raises_the_same_problem(tmp_path: Path) -> None:
    folder = _with_scenarios(tmp_path / "b")

    with pytest.raises(BundleError, match="no scenario named 'fast'"):
        run_model(folder, scenario="fast", draws=5)


def test_a_scenario_override_applies_only_to_its_scenario(tmp_path: Path) -> None:
    folder = _with_scenarios(tmp_path / "b")

    start = {
        name: load_inputs(folder, scenario=name)["facilities"]["start_year"][0]
        for name in (None, "base", "slow")
    }

    assert start == {None: BASE_YEAR, "base": BASE_YEAR, "slow": BASE_YEAR + 3}


def test_it_checks_every_scenario_of_a_bundle(tmp_path: Path) -> None:
    folder = _with_scenarios(tmp_path / "b")
    write_csv(
        folder / "scenario_overrides.csv",
        [
            {
                "scenario": "slow",
                "table": "facilities",
                "key": "f1",
                "column": "realisation_probability",
                "value": 3,
                "source": "test",
            }
        ],
    )

    problem = _one(check_bundle(folder))

    assert problem.code == "probability_range"
    assert (problem.location.file, problem.location.row) == ("b/scenario_overrides.csv", 2)


# ------------------------------------------------------------------------------------ XLSX


def _workbook(path: Path, sheets: dict[str, list[dict[str, object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    intro = wb.add_worksheet("instructions")
    intro.write(0, 0, "Fill in one sheet per table. This sheet is ignored.")
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        columns = list(rows[0])
        ws.write_row(0, 0, columns)
        for i, row in enumerate(rows, start=1):
            for j, c in enumerate(columns):
                value = row.get(c)
                if value is not None:
                    ws.write(i, j, value)
    wb.close()
    return path


def test_it_names_the_sheet_row_and_column_of_a_problem_in_a_workbook(tmp_path: Path) -> None:
    workbook = _workbook(
        tmp_path / "bundle.xlsx",
        {
            "facilities": [facility("f1"), facility("f2", segment="cell_manufactoring")],
            "capacity_plans": [
                plan("f1", BASE_YEAR, 5),
                plan("f2", BASE_YEAR, 5),
                plan("f1", BASE_YEAR + 1, -3),
            ],
        },
    )

    problems = check_bundle(workbook)

    assert len(problems) == 2, [p.message("en") for p in problems]
    unknown = _one(problems, "unknown_code")
    assert (unknown.location.file, unknown.location.sheet, unknown.location.row) == (
        "bundle.xlsx",
        "facilities",
        3,
    )
    _assert_bilingual(
        unknown,
        "bundle.xlsx, sheet 'facilities', row 3, column 'segment (D)'",
        "(did you mean 'cell_manufacturing'?)",
        nb=("bundle.xlsx, ark «facilities», rad 3, kolonne «segment (D)»",),
    )
    negative = _one(problems, "negative")
    assert (negative.location.sheet, negative.location.row) == ("capacity_plans", 4)
    _assert_bilingual(
        negative,
        "sheet 'capacity_plans', row 4, column 'capacity (C)': -3 is negative",
        nb=("ark «capacity_plans», rad 4",),
    )


def test_it_reads_a_clean_workbook_like_the_same_csv_folder(tmp_path: Path) -> None:
    rows = {
        "facilities": [facility("f1", probability=0.5, delay=(0, 1, 2))],
        "capacity_plans": [plan("f1", BASE_YEAR, 5.5), plan("f1", BASE_YEAR + 2, 11)],
    }
    workbook = _workbook(tmp_path / "bundle.xlsx", rows)
    folder = write_bundle(tmp_path / "bundle", rows)

    from_xlsx, from_csv = load_inputs(workbook), load_inputs(folder)

    assert check_bundle(workbook) == []
    assert from_xlsx["capacity_plans"].equals(from_csv["capacity_plans"])
    assert from_xlsx["facilities"].equals(from_csv["facilities"])
    assert from_xlsx.input_hash == from_csv.input_hash


def test_it_names_an_unknown_sheet(tmp_path: Path) -> None:
    workbook = _workbook(tmp_path / "bundle.xlsx", {"fabrikker": [{"id": "f1"}]})

    problem = _one(check_bundle(workbook))

    assert problem.code == "unknown_table"
    assert problem.location.sheet == "fabrikker"
    assert "sheet 'fabrikker'" in problem.message("en")
    assert "ark «fabrikker»" in problem.message("nb")


# ------------------------------------------------------------------------------ all at once


def test_check_bundle_returns_every_problem_not_just_the_first(tmp_path: Path) -> None:
    folder = _plants(
        tmp_path / "b",
        facility("f1", probability=1.5),
        facility("f2", region="4200"),
        plans=[plan("f1", BASE_YEAR, 5), plan("f2", BASE_YEAR, -1)],
    )

    problems = check_bundle(folder)

    assert sorted(p.code for p in problems) == ["negative", "probability_range", "unknown_code"]
    with pytest.raises(BundleError) as info:
        load_inputs(folder)
    assert len(info.value.problems) == 3
    assert "(and 2 more)" in str(info.value)
    assert len(info.value.messages("nb")) == 3


def test_the_demo_bundle_checks_clean_under_every_scenario() -> None:
    demo = demo_bundle_path()
    names = scenario_names(read_raw(demo))

    assert check_bundle(demo) == []
    assert names  # the demo has scenarios, so the loop below checks something
    for name in [None, *names]:
        assert load_inputs(demo, scenario=name).scenario == name


def test_every_message_has_an_english_and_a_bokmal_text() -> None:
    from battkomp.engine.problems import _MESSAGES, Location

    for code in message_codes():
        fields = {
            name
            for template in _MESSAGES[code]
            for _, name, _, _ in string.Formatter().parse(template)
            if name
        }
        problem = Problem(code, Location("f.csv", row=2, column="c"), dict.fromkeys(fields, "x"))
        en, nb = problem.message("en"), problem.message("nb")
        assert en.startswith("f.csv, row 2, column 'c': "), code
        assert nb.startswith("f.csv, rad 2, kolonne «c»: "), code
        assert en.split(": ", 1)[1] != nb.split(": ", 1)[1], code
