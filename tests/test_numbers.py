"""The one way numbers are written for people (battkomp.engine.numbers, battkomp.core.numbers):
bokmål 1 234,5 with a thin no-break space (U+202F), English 1,234.5, the true minus sign,
ranges with an en dash, and the template filters in both languages."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import formats, translation

from battkomp.engine.numbers import (
    MINUS,
    NB_THOUSANDS,
    format_number,
    format_range,
    without_group_spaces,
)


@pytest.mark.parametrize(
    ("value", "lang", "digits", "trim", "expected"),
    [
        (1234.5, "nb", 1, False, f"1{NB_THOUSANDS}234,5"),
        (1234.5, "en", 1, False, "1,234.5"),
        (1234567, "nb", 0, False, f"1{NB_THOUSANDS}234{NB_THOUSANDS}567"),
        (-55.4, "en", 0, False, f"{MINUS}55"),
        (-0.04, "nb", 1, False, "0,0"),  # no "minus zero"
        (2.50, "nb", 2, True, "2,5"),
        (3.0, "en", 2, True, "3"),
        (None, "nb", 1, False, "–"),
        (float("inf"), "en", 1, False, "–"),
        (float("nan"), "en", 1, False, "–"),
    ],
)
def test_format_number(value, lang, digits, trim, expected) -> None:
    assert format_number(value, lang, digits, trim=trim) == expected


def test_a_range_with_a_negative_bound_is_spaced_and_never_hyphenated() -> None:
    assert format_range(545, 621, "nb") == "545–621"
    assert format_range(-91.2, -55.4, "nb") == f"{MINUS}91 – {MINUS}55"
    assert format_range(-3, 4, "en") == f"{MINUS}3 – 4"
    assert format_range(None, 4, "en") == "–"
    assert "-" not in format_range(-1234, -5, "en")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", f"1{NB_THOUSANDS}234,5|1{NB_THOUSANDS}235|2,5|{MINUS}91 – {MINUS}55|–"),
        ("en", f"1,234.5|1,235|2.5|{MINUS}91 – {MINUS}55|–"),
    ],
)
def test_the_template_filters_follow_the_active_language(lang: str, expected: str) -> None:
    template = engines["django"].from_string(
        '{{ x|num }}|{{ x|num:0 }}|{{ y|num:"-2" }}|{{ lo|num_range:hi }}|{{ none|num }}'
    )
    with translation.override(lang):
        text = template.render({"x": 1234.5, "y": 2.5, "lo": -91, "hi": -55, "none": None})
    assert text == expected


def test_halves_round_away_from_zero_as_people_round() -> None:
    assert format_number(0.5, "en", 0) == "1"
    assert format_number(2.5, "en", 0) == "3"
    assert format_number(-2.5, "en", 0) == f"{MINUS}3"
    assert format_number(2.675, "en", 2) == "2.68"


def test_a_download_writes_yes_no_as_excel_booleans_not_text() -> None:
    import io

    from openpyxl import load_workbook

    from battkomp.workbooks.exporters import to_xlsx

    content = to_xlsx(["year", "suppressed"], [[2030, False], [2031, True]], "t")
    sheet = load_workbook(io.BytesIO(content)).active
    assert [sheet.cell(r, 2).value for r in (2, 3)] == [False, True]
    assert sheet.cell(2, 2).data_type == "b"


def test_bokmal_groups_thousands_with_a_thin_space_that_does_not_break() -> None:
    """U+202F NARROW NO-BREAK SPACE, in the site's formatter and in Django's own localisation
    (a number a template prints as it is), so that both agree on a page."""
    assert NB_THOUSANDS == "\u202f"
    with translation.override("nb"):
        assert formats.localize(12345) == "12\u202f345"
        assert formats.number_format(1234.5, 1) == "1\u202f234,5"
    with translation.override("en"):
        assert formats.localize(12345) == "12,345"


def test_parsers_drop_every_space_a_person_may_group_thousands_with() -> None:
    for text in ("12345", "12 345", "12\u00a0345", "12\u202f345", "12\u2009345"):
        assert without_group_spaces(text) == "12345"
