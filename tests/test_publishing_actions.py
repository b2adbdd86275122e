"""The protected tables of what acts on the gap (battkomp.analysis.publishing.tables): the measures'
effects, recruitment from abroad and the recommendations follow the protection of
``by_area_level``. A planted dominant company hides its cell there, and with it the cell's
abroad numbers, the recruit_abroad measure's supply in it and its recommendation; reasons are
written again from the published numbers only."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from battkomp.analysis.publishing.advice import (
    ABROAD_COLUMNS,
    MEASURE_EFFECT_COLUMNS,
    RECOMMENDATION_COLUMNS,
    abroad_table,
    measure_effects_table,
    published_cells,
    recommendations_table,
    rerender_reason,
)
from battkomp.analysis.publishing.queries import default_recommendation_rules
from battkomp.analysis.publishing.snapshot import public_tables
from battkomp.analysis.publishing.tables import TABLES, area_level_table
from test_publishing_tables import AREAS, LEVELS, YEAR, _model_ok, make_run

PLANTED = 61.0  # company x's new hires in (a2, l2): dominates the cell, not the year
CELL = ("a2", "l2")
RULES = pl.DataFrame(
    {
        "id": ["gap_rule"],
        "reason_nb": ["{area} på {level}: om lag {shortage} i året ({share}) fra {year}."],
        "reason_en": ["{area} at {level}: about {shortage} a year ({share}) from {year}."],
    }
)


def _frames(run: dict[str, Any]) -> dict[str, pl.DataFrame]:
    """The engine's action frames of the synthetic run: a fixed (educate) and a recruit_abroad
    measure in the planted cell and a published one, abroad rows and recommendations in every
    cell, with the run's own (unprotected) numbers; the planted cell's carry the planted
    answer."""
    cells = [(a, lv) for a in AREAS for lv in LEVELS]
    big = {c: (PLANTED if c == CELL else 3.0 + i) for i, c in enumerate(cells)}
    effects = pl.DataFrame(
        [
            ("m_educate", YEAR, CELL[1], CELL[0], 7.5),
            ("m_recruit", YEAR, CELL[1], CELL[0], PLANTED - 1),
            ("m_recruit", YEAR, "l1", "a1", 2.0),
        ],
        schema=["measure", "year", "level", "area", "supply"],
        orient="row",
    )
    abroad = pl.DataFrame(
        [
            (YEAR, lv, a, big[(a, lv)], big[(a, lv)] / 2, big[(a, lv)] / 2, 3.0, 0.5, 1.0, "rc")
            for a, lv in cells
        ],
        schema=[
            "year",
            "level",
            "area",
            "need",
            "recruited",
            "unmet",
            "lead_time_months",
            "available_years",
            "domestic_lead_years",
            "channels",
        ],
        orient="row",
    )
    recs = pl.DataFrame(
        [
            {
                "year": YEAR,
                "level": lv,
                "area": a,
                "shortage": big[(a, lv)],
                "share": 0.5,
                "horizon": "long",
                "available_years": 4.5,
                "lever": "educate",
                "commandment": 6,
                "rule": "gap_rule",
                "reason_nb": f"{a} på {lv}: om lag {int(big[(a, lv)])} i året (50\u00a0%) "
                f"fra {YEAR}.",
                "reason_en": f"{a} at {lv}: about {int(big[(a, lv)])} a year (50%) from {YEAR}.",
                "offers": "o1",
                "measures": "m_educate" if (a, lv) == CELL else "",
            }
            for a, lv in cells
        ]
    )
    return {"measure_effects": effects, "abroad": abroad, "recommendations": recs}


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    run = make_run(PLANTED)
    ok = _model_ok(run)
    area_level = area_level_table(
        run["national"], run["squeeze"], run["detail"], run["contrib"], ok
    )
    frames = _frames(run)
    cells = published_cells(area_level)
    return {
        "ok": ok,
        "area_level": area_level,
        "cells": cells,
        "frames": frames,
        "effects": measure_effects_table(
            frames["measure_effects"], cells, ok["totals"], {"m_educate"}
        ),
        "abroad": abroad_table(frames["abroad"], cells),
        "recommendations": recommendations_table(frames["recommendations"], area_level, RULES),
    }


def test_the_planted_cell_is_hidden_in_by_area_level_but_not_its_year(tables: Any) -> None:
    assert tables["ok"]["totals"] == {YEAR}
    assert (YEAR, *CELL) not in tables["cells"]
    assert len(tables["cells"]) >= 1


def test_abroad_follows_the_cells_of_by_area_level(tables: Any) -> None:
    table = tables["abroad"]
    assert tuple(table.columns) == ABROAD_COLUMNS
    for row in table.iter_rows(named=True):
        hidden = (row["year"], row["area"], row["level"]) not in tables["cells"]
        assert row["suppressed"] == hidden
        numbers = [row[c] for c in ("need", "recruited", "unmet", "lead_time_months")]
        assert (numbers == [None] * 4) if hidden else None not in numbers
    planted = table.filter((pl.col("area") == CELL[0]) & (pl.col("level") == CELL[1]))
    assert planted["suppressed"].all()
    assert planted["channels"].to_list() == ["rc"]  # not confidential, kept


def test_a_recruit_abroad_measure_follows_the_cell_a_fixed_one_its_year(tables: Any) -> None:
    table = tables["effects"]
    assert tuple(table.columns) == MEASURE_EFFECT_COLUMNS
    got = {
        (m, a, lv): (s, sup)
        for m, a, lv, s, sup in table.select(
            "measure", "area", "level", "supply", "suppressed"
        ).rows()
    }
    assert got[("m_recruit", *CELL)] == (None, True)
    assert got[("m_educate", *CELL)] == (7.5, False)  # places, not answers
    a1 = (YEAR, "a1", "l1") in tables["cells"]
    assert got[("m_recruit", "a1", "l1")] == ((2.0, False) if a1 else (None, True))
    # without knowing the kinds, every measure follows the cell; an unpublished year hides all
    cautious = measure_effects_table(tables["frames"]["measure_effects"], tables["cells"], {YEAR})
    assert cautious.filter(pl.col("area") == CELL[0], pl.col("level") == CELL[1])[
        "suppressed"
    ].all()
    unpublished = measure_effects_table(
        tables["frames"]["measure_effects"], tables["cells"], set(), {"m_educate"}
    )
    assert unpublished["suppressed"].all()
    assert unpublished["supply"].null_count() == unpublished.height


def test_recommendations_leave_hidden_cells_out_and_speak_of_published_numbers(
    tables: Any,
) -> None:
    table = tables["recommendations"]
    assert tuple(table.columns) == RECOMMENDATION_COLUMNS
    kept = {(y, a, lv) for y, a, lv in table.select("year", "area", "level").rows()}
    assert kept == tables["cells"]  # the planted cell's row is left out whole
    assert not table["suppressed"].any()
    published = tables["area_level"].filter(~pl.col("suppressed"))
    for row in table.iter_rows(named=True):
        cell = published.filter(
            (pl.col("year") == row["year"])
            & (pl.col("area") == row["area"])
            & (pl.col("level") == row["level"])
        )
        mean = dict(cell.select("metric", "mean").rows())
        assert row["shortage"] == pytest.approx(mean["shortage"])
        share = round(100 * mean["shortage"] / mean["openings"])
        assert row["reason_en"] == (
            f"{row['area']} at {row['level']}: about {round(mean['shortage'])} a year "
            f"({share}%) from {YEAR}."
        )
        assert row["reason_nb"].endswith(f"({share}\u00a0%) fra {YEAR}.")
        assert f"about {int(PLANTED)} " not in row["reason_en"]


def test_a_reason_that_does_not_match_its_template_is_left_empty() -> None:
    template = "About {shortage} people ({share}) at {level}, {level} again."
    assert rerender_reason(
        "About 9 people (50%) at nkr5, nkr5 again.", template, 4.4, 0.25, "en"
    ) == ("About 4 people (25%) at nkr5, nkr5 again.")
    assert (
        rerender_reason("About 9 people (50%) at nkr5, nkr6 again.", template, 4, 1, "en") is None
    )
    assert rerender_reason("Something else", template, 4, 1, "en") is None
    assert rerender_reason(None, template, 4, 1, "en") is None


def test_the_shipped_rules_rerender_the_engines_reasons() -> None:
    """Every shipped rule's reason, filled in as the engine does, comes back with the new
    numbers and the rest unchanged."""
    from battkomp.engine.advice import format_number

    for rule in default_recommendation_rules().iter_rows(named=True):
        for lang in ("nb", "en"):
            template = str(rule[f"reason_{lang}"])
            values = {
                "shortage": format_number(1234, lang),
                "share": "61\u00a0%" if lang == "nb" else "61%",
                "level": "Master",
                "area": "Cell design",
                "year": "2031",
                "horizon": "long",
                "available_years": format_number(5.5, lang),
                "lead_years": "2",
                **{
                    f"lead_{c}": format_number(1.5, lang)
                    for c in ("recruit_abroad", "retrain", "evu_module", "educate")
                },
            }
            reason = template.format_map(values)
            again = rerender_reason(reason, template, 7.2, 0.5, lang)
            assert again == template.format_map(
                {**values, "shortage": "7", "share": "50\u00a0%" if lang == "nb" else "50%"}
            ), rule["id"]


def test_public_tables_builds_the_new_tables_from_the_run(tables: Any) -> None:
    run = make_run(PLANTED)
    stats = ("mean", "p10", "p50", "p90")
    totals = run["national"].group_by("year", "metric").agg(pl.col(*stats).sum())
    by_level = run["national"].group_by("year", "level", "metric").agg(pl.col(*stats).sum())
    by_area = run["national"].group_by("year", "area", "metric").agg(pl.col(*stats).sum())
    frames = {
        "totals": totals,
        "by_level": by_level,
        "by_area": by_area,
        "national": run["national"],
        "time_squeeze": run["squeeze"],
        "detail": run["detail"],
        **tables["frames"],
    }
    out = public_tables(frames, run["contrib"], {}, recommendation_rules=RULES)
    assert {"measure_effects", "abroad", "recommendations"} <= set(out)
    assert list(out) == [t for t in TABLES if t in out]
    for name in ("measure_effects", "abroad", "recommendations"):
        for column in out[name].columns:
            if out[name].schema[column].is_numeric():
                assert PLANTED not in out[name][column].drop_nulls().to_list(), name
