"""A centre is never shown outside its band without saying why (docs/decisions.md #31): the
national totals tables of a publication, a run and the company view mark a mean that lies
outside its P10-P90 band as shown (to whole persons) and explain it under the table; the
dashboard's key figure for the peak shortage gives the median beside such a mean."""

from __future__ import annotations

import re

import polars as pl
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from battkomp.analysis.runs.queries import band_table, mean_outside_shown, totals_rows
from battkomp.core.codes import label


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
    inside = totals_rows(totals(5.0, 1.0, 4.0, 9.0), ("shortage",))
    with translation.override(lang):
        table = render_to_string(
            "analysis/_band_table.html",
            {"table": band_table(rows, ("shortage",)), "caption": "Totals"},
        )
        no_note = render_to_string(
            "analysis/_band_table.html",
            {"table": band_table(inside, ("shortage",)), "caption": "Totals"},
        )
    cells, note = table.split("</table>")
    assert '<sup class="note-mark">*</sup>' in cells
    assert '<sup class="note-mark">*</sup>' in note
    assert ("median" if lang == "en" else "medianen") in note
    assert "note-mark" not in no_note


def test_one_band_table_serves_a_run_a_snapshot_and_a_company_view() -> None:
    """analysis/_band_table.html, which the run page, the snapshot page and the company view
    include (each wrote the table out itself): the metrics' names from the terminology source,
    a mean and a band per metric, a dash for a missing one, and a year suppressed to protect
    company answers a dot across as many columns as the table has."""
    frame = pl.concat(
        [
            totals(43.0, 0.03, 0.3, 9.9).with_columns(pl.lit("gap").alias("metric")),
            totals(-61.33, -133.6, -70.0, -61.42).with_columns(pl.lit("supply").alias("metric")),
        ]
    )
    rows = [*totals_rows(frame, ("openings", "supply", "gap")), {"year": 2031, "suppressed": True}]
    table = band_table(rows, ("openings", "supply", "gap"))
    with translation.override("nb"):
        html = render_to_string("analysis/_band_table.html", {"table": table, "caption": "T"})
        names = [label("metric", m) for m in ("openings", "supply", "gap")]
    assert table["names"] == names
    assert re.findall(r'<th scope="colgroup" colspan="2">([^<]+)</th>', html) == names
    assert html.count(">gjennomsnitt<") == 3
    body = html.split("<tbody>")[1]
    year_2030, year_2031 = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = re.findall(r'<td class="num">(.*?)</td>', year_2030)
    assert cells[:2] == ["–", "–"], "openings missing"
    assert cells[2] == "\u221261", cells
    assert cells[4].startswith("43"), cells
    assert '<td class="num" colspan="6">·</td>' in year_2031
    # the note speaks of the columns shown: the company view (openings, supply, gap) said that a
    # mean lay outside its band when only the shortage's, which it does not show, did
    with translation.override("en"):
        supply_only = render_to_string(
            "analysis/_band_table.html", {"table": band_table(rows, ("supply",)), "caption": "T"}
        )
    assert "note-mark" not in supply_only
