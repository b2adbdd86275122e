"""A centre is never shown outside its band without saying why (docs/decisions.md #31): the
national totals tables of a publication, a run and the company view mark a mean that lies
outside its P10-P90 band as shown (to whole persons) and explain it under the table; the
dashboard's key figure for the peak shortage gives the median beside such a mean."""

from __future__ import annotations

import polars as pl
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from battkomp.analysis.runs.queries import mean_outside_shown, totals_rows


def totals(mean: float, p10: float, p50: float, p90: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "year": [2030],
            "metric": ["shortage"],
            "mean": [mean],
            "p10": [p10],
            "p50": [p50],
            "p90": [p90],
        }
    )


@pytest.mark.parametrize(
    ("mean", "p10", "p90", "outside"),
    [
        (43.0, 0.03, 9.9, True),  # the demo's lumpy shortage: mean 43, band 0-10
        (2.4, 0.0, 1.4, True),  # issue 13's "2 (0-1)"
        (5.0, 1.0, 9.0, False),
        (-61.33, -133.6, -61.42, False),  # above P90 by 0.1, but -61 in -134 - -61 as shown
        (None, 1.0, 2.0, False),
    ],
)
def test_a_mean_is_outside_its_band_as_the_table_shows_them(
    mean: float | None, p10: float, p90: float, outside: bool
) -> None:
    assert mean_outside_shown(mean, p10, p90) is outside


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_totals_table_marks_such_a_mean_and_says_why(lang: str) -> None:
    rows = totals_rows(totals(43.0, 0.03, 0.3, 9.9), ("shortage",))
    with translation.override(lang):
        cell = render_to_string("analysis/_public_band.html", {"cell": rows[0]["shortage"]})
        note = render_to_string("analysis/_outside_note.html", {"rows": rows})
        inside = totals_rows(totals(5.0, 1.0, 4.0, 9.0), ("shortage",))
        no_note = render_to_string("analysis/_outside_note.html", {"rows": inside})
    assert '<sup class="note-mark">*</sup>' in cell
    assert '<sup class="note-mark">*</sup>' in note
    assert ("median" if lang == "en" else "medianen") in note
    assert not no_note.strip()
