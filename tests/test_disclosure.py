"""Disclosure control on hand-made tables: the rules, secondary suppression, the audit, output."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from battkomp.engine.bundle import demo_bundle_path, load_inputs
from battkomp.engine.disclosure import (
    INTERNAL_COLUMNS,
    DisclosureRules,
    Hierarchy,
    Relation,
    assess,
    audit,
    primary_unsafe,
    protect,
    public_view,
    relations,
    tabulate,
)
from battkomp.engine.taxonomy import Taxonomy

FLAT = Hierarchy(parents={"area": {}})
AREAS = Hierarchy(parents={"area": {"anode": "materials", "cathode": "materials"}})
TWO_WAY = Hierarchy(parents={"area": {}, "year": {}})


def contributions(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    """(contributor, area, value) rows."""
    return pl.DataFrame(rows, schema=["contributor", "area", "value"], orient="row")


def cell(protected: pl.DataFrame, **keys: object) -> dict[str, object]:
    """The one row of ``protected`` with these keys (None = total)."""
    match = protected.filter(
        pl.all_horizontal(
            pl.col(k).is_null() if v is None else pl.col(k) == v for k, v in keys.items()
        )
    )
    assert match.height == 1, keys
    return match.row(0, named=True)


def balanced(area: str, value: float = 10.0) -> list[tuple[str, str, float]]:
    """A safe cell: four equal contributors."""
    return [(who, area, value) for who in ("a", "b", "c", "d")]


# --------------------------------------------------------------------------- primary rules


def test_a_cell_with_two_contributors_is_suppressed() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0), ("b", "z", 10.0)])

    protected = protect(table, FLAT)

    assert cell(protected, area="z")["suppressed"]
    assert cell(protected, area="z")["suppression"] == "primary"
    assert cell(protected, area="z")["value"] is None


def test_a_cell_dominated_by_one_contributor_is_suppressed() -> None:
    # three contributors, but the two smaller ones (5 + 3) are under 10 % of the largest (100)
    table = contributions(
        [*balanced("x"), *balanced("y"), ("a", "z", 100.0), ("b", "z", 5.0), ("c", "z", 3.0)]
    )

    protected = protect(table, FLAT)

    assert cell(protected, area="z")["suppression"] == "primary"


def test_a_cell_dominated_by_two_contributors_is_suppressed() -> None:
    table = contributions([("a", "z", 50.0), ("b", "z", 50.0), ("c", "z", 4.0), ("d", "z", 0.5)])

    assert primary_unsafe(tabulate(table, FLAT)).to_list() == [True, True]


def test_a_safe_cell_stays_published_with_its_true_value() -> None:
    table = contributions([*balanced("x", 7.5), *balanced("y"), *balanced("z")])

    protected = protect(table, FLAT)

    assert not protected["suppressed"].any()
    assert cell(protected, area="x")["value"] == 30.0
    assert cell(protected, area=None)["value"] == 110.0


def test_contributors_with_a_zero_value_do_not_count() -> None:
    table = contributions([("a", "z", 10.0), ("b", "z", 10.0), ("c", "z", 0.0)])

    cells = tabulate(table, FLAT)

    assert cells["contributors"].to_list() == [2, 2]
    assert primary_unsafe(cells).to_list() == [True, True]


def test_a_cell_whose_contributions_are_all_zero_is_safe() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 0.0)])

    protected = protect(table, FLAT)

    assert cell(protected, area="z")["value"] == 0.0
    assert not protected["suppressed"].any()


def test_a_contributor_with_several_rows_in_a_cell_counts_once() -> None:
    table = contributions([("a", "z", 1.0), ("a", "z", 2.0), ("a", "z", 3.0), ("b", "z", 4.0)])

    cells = tabulate(table, FLAT)

    assert cells.row(0, named=True) == {
        "area": "z",
        "value": 10.0,
        "contributors": 2,
        "largest": 6.0,
        "second": 4.0,
        "rest": 0.0,
    }


def test_tighter_rules_suppress_more() -> None:
    table = contributions([*balanced("x"), *balanced("y"), *balanced("z")[:3]])
    strict = DisclosureRules(min_contributors=4)

    assert not protect(table, FLAT)["suppressed"].any()
    assert cell(protect(table, FLAT, strict), area="z")["suppression"] == "primary"


def test_the_p_percent_threshold_is_a_parameter() -> None:
    # the rest (3) is 6 % of the largest (50): unsafe at p = 10, safe at p = 5
    table = contributions([("a", "z", 50.0), ("b", "z", 20.0), ("c", "z", 3.0)])
    cells = tabulate(table, FLAT)

    assert primary_unsafe(cells).to_list() == [True, True]
    assert primary_unsafe(cells, DisclosureRules(p=5.0)).to_list() == [False, False]


@pytest.mark.parametrize(
    "bad",
    [{"min_contributors": 0}, {"p": -1.0}, {"p": 101.0}, {"min_protection": -0.5}],
)
def test_nonsense_thresholds_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        DisclosureRules(**bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------- secondary suppression


def test_a_margin_relation_with_one_suppressed_child_gets_a_second_suppression() -> None:
    table = contributions([*balanced("x", 20.0), *balanced("y", 5.0), ("a", "z", 10.0)])

    protected = protect(table, FLAT)

    # z alone would be total − x − y; the smallest other child (y) goes with it
    assert protected.select("area", "suppression").rows() == [
        ("x", None),
        ("y", "secondary"),
        ("z", "primary"),
        (None, None),
    ]


def test_secondary_suppression_prefers_an_inner_cell_to_a_margin() -> None:
    # materials = anode + cathode: the inner sibling anode is hidden, not the margin materials
    table = contributions([*balanced("anode"), ("a", "cathode", 1.0), *balanced("x", 100.0)])

    protected = protect(table, AREAS)

    assert cell(protected, area="cathode")["suppression"] == "primary"
    assert cell(protected, area="anode")["suppression"] == "secondary"
    assert not cell(protected, area="materials")["suppressed"]
    assert not cell(protected, area=None)["suppressed"]


def test_a_group_with_a_single_unsafe_child_is_suppressed_with_it() -> None:
    hierarchy = Hierarchy(parents={"area": {"anode": "materials"}})
    table = contributions([("a", "anode", 5.0), *balanced("x"), *balanced("y")])

    protected = protect(table, hierarchy)

    # materials = anode, so materials must go too, and then a sibling of materials under the total
    assert cell(protected, area="anode")["suppressed"]
    assert cell(protected, area="materials")["suppressed"]
    assert protected.filter(pl.col("area").is_in(["x", "y"]))["suppressed"].any()


def test_two_single_contributor_cells_are_not_left_to_hide_each_other() -> None:
    # a knows its own z1 and would read z2 = total − x − y − z1 if only z1 and z2 were hidden
    table = contributions(
        [*balanced("x", 50.0), *balanced("y", 40.0), ("a", "z1", 9.0), ("b", "z2", 8.0)]
    )

    with_rule = protect(table, FLAT)
    without = protect(table, FLAT, DisclosureRules(singleton_rule=False))

    assert without["suppressed"].sum() == 2
    assert with_rule["suppressed"].sum() == 3
    assert cell(with_rule, area="y")["suppression"] == "secondary"


def test_no_relation_is_left_with_exactly_one_suppressed_member() -> None:
    table = two_way_table()

    protected = protect(table, TWO_WAY)

    hidden = protected["suppressed"].to_list()
    counts = [sum(hidden[m] for m in r.members) for r in relations(protected, TWO_WAY)]
    assert counts
    assert 1 not in counts


# ------------------------------------------------------------------------------- the audit


def two_way_table() -> pl.DataFrame:
    """Areas x, y, z by years 1–3, four balanced contributors, one unsafe cell (z, 2)."""
    rows = [
        (who, area, year, 10.0 * (i + 1) + year)
        for i, area in enumerate(("x", "y", "z"))
        for year in (1, 2, 3)
        for who in ("a", "b", "c", "d")
        if (area, year) != ("z", 2)
    ]
    rows.append(("a", "z", 2, 33.0))
    return pl.DataFrame(rows, schema=["contributor", "area", "year", "value"], orient="row")


def test_the_audit_finds_wide_intervals_for_every_suppressed_cell() -> None:
    table = two_way_table()
    protected = protect(table, TWO_WAY)

    intervals = assess(audit(protected, relations(protected, TWO_WAY)), tabulate(table, TWO_WAY))

    assert intervals.height >= 4  # the unsafe cell and a rectangle of complements
    assert intervals["adequate"].all()
    assert (intervals["width"] >= 1.0).all()
    assert (intervals["lower"] >= 0.0).all()


def test_the_audit_brackets_the_true_value() -> None:
    table = two_way_table()
    protected = protect(table, TWO_WAY)
    truth = tabulate(table, TWO_WAY)["value"].to_numpy()

    intervals = audit(protected, relations(protected, TWO_WAY))

    true = truth[intervals["row"].to_numpy()]
    assert (intervals["lower"].to_numpy() <= true + 1e-6).all()
    assert (true <= intervals["upper"].to_numpy() + 1e-6).all()


def test_the_audit_pins_down_a_cell_hidden_by_primary_suppression_alone() -> None:
    table = two_way_table()
    cells = tabulate(table, TWO_WAY)
    alone = primary_unsafe(cells)
    naive = cells.select(
        "area",
        "year",
        pl.when(alone).then(None).otherwise(pl.col("value")).alias("value"),
        alone.alias("suppressed"),
    )

    intervals = assess(audit(naive, relations(naive, TWO_WAY)), cells)

    assert intervals.height == 1
    assert intervals["lower"][0] == pytest.approx(33.0)
    assert intervals["width"][0] == pytest.approx(0.0, abs=1e-6)
    assert not intervals["adequate"][0]


def test_the_audit_reads_only_published_values() -> None:
    protected = pl.DataFrame(
        {"year": [1, 2, None], "value": [None, 4.0, 10.0], "suppressed": [True, False, False]}
    )

    intervals = audit(protected, [Relation(2, (0, 1))])

    assert intervals.select("row", "year", "lower", "upper", "width").rows() == [
        (0, 1, 6.0, 6.0, 0.0)
    ]


def test_a_suppressed_cell_in_no_relation_is_unbounded_above() -> None:
    protected = pl.DataFrame({"year": [1], "value": [None], "suppressed": [True]}).cast(
        {"value": pl.Float64}
    )

    intervals = audit(protected, [])

    assert intervals["lower"][0] == 0.0
    assert intervals["upper"][0] == np.inf


# ---------------------------------------------------------------------------- the output


def test_the_public_view_has_no_suppressed_value_and_no_internal_column() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0)])

    public = public_view(protect(table, FLAT))

    assert public.columns == ["area", "value", "suppressed"]
    assert not set(INTERNAL_COLUMNS) & set(public.columns)
    assert public.filter(pl.col("suppressed"))["value"].null_count() == 2


def test_the_public_view_blanks_a_value_even_if_a_caller_filled_it_in() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0)])
    tampered = protect(table, FLAT).with_columns(pl.col("value").fill_null(10.0))

    public = public_view(tampered)

    assert public.filter(pl.col("suppressed"))["value"].null_count() == 2


def test_the_thresholds_are_not_written_into_the_protected_table() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0)])
    rules = DisclosureRules(min_contributors=5, p=17.0, min_protection=3.0)
    names = {f.name for f in dataclasses.fields(DisclosureRules)} | {"p%", "threshold"}

    for rules_ in (DisclosureRules(), rules):
        protected = protect(table, FLAT, rules_)
        assert protected.columns == ["area", "value", "suppressed", "suppression"]
        assert not names & set(protected.columns)


def test_a_planted_single_contributor_value_is_nowhere_in_the_public_csv_or_json() -> None:
    hierarchy = Hierarchy(parents={"area": {"anode": "materials"}, "year": {}})
    rows = [
        (who, area, year, float(v))
        for area, v in (("anode", 11), ("x", 13), ("y", 17))
        for year in (2026, 2027)
        for who in ("a", "b", "c")
    ]
    rows.append(("secretive", "anode", 2027, 123457.0))
    table = pl.DataFrame(rows, schema=["contributor", "area", "year", "value"], orient="row")

    public = public_view(protect(table, hierarchy))

    assert public.filter(pl.col("suppressed")).height >= 4
    assert "123457" not in public.write_csv()
    assert "123457" not in public.write_json()
    # and the planted cell's margins, which it dominates, are hidden as well
    assert not any("1234" in str(v) for v in public["value"].to_list())


def test_protect_and_tabulate_list_the_cells_in_the_same_order() -> None:
    table = two_way_table()

    protected = protect(table, TWO_WAY)
    cells = tabulate(table, TWO_WAY)

    assert_frame_equal(protected.select("area", "year"), cells.select("area", "year"))
    assert protected["area"].to_list()[-1] is None  # totals last


def test_protection_does_not_depend_on_the_order_of_the_contributions() -> None:
    table = two_way_table()

    first = protect(table, TWO_WAY)
    shuffled = protect(table.sample(fraction=1.0, shuffle=True, seed=7), TWO_WAY)

    assert_frame_equal(first, shuffled)


def test_an_empty_table_gives_an_empty_protected_table() -> None:
    empty = pl.DataFrame(schema={"contributor": pl.String, "area": pl.String, "value": pl.Float64})

    protected = protect(empty, AREAS)

    assert protected.height == 0
    assert audit(protected, relations(protected, AREAS)).height == 0


def test_other_column_names_for_contributor_and_value_work() -> None:
    table = contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0)]).rename(
        {"contributor": "organisation", "value": "new_hires"}
    )

    protected = protect(table, FLAT, contributor="organisation", value="new_hires")

    assert protected.columns == ["area", "new_hires", "suppressed", "suppression"]
    assert public_view(protected, value="new_hires")["new_hires"].null_count() == 2


def test_plain_by_columns_are_protected_as_separate_tables_without_margins() -> None:
    hierarchy = Hierarchy(parents={"area": {}}, by=("kind",))
    table = pl.concat(
        [
            contributions([*balanced("x"), *balanced("y"), ("a", "z", 10.0)]).with_columns(
                kind=pl.lit("reported")
            ),
            contributions([*balanced("x"), *balanced("y")]).with_columns(kind=pl.lit("imputed")),
        ]
    )

    protected = protect(table, hierarchy)

    assert protected["kind"].null_count() == 0
    assert protected.filter(kind="imputed")["suppressed"].sum() == 0
    assert protected.filter(kind="reported")["suppressed"].sum() == 2


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (contributions([("a", "x", -1.0)]), "non-negative"),
        (contributions([("a", "x", float("nan"))]), "non-negative"),
        (pl.DataFrame({"contributor": ["a"], "area": [None], "value": [1.0]}), "nulls"),
        (pl.DataFrame({"contributor": ["a"], "value": [1.0]}), "lack the columns"),
        (contributions([("a", "materials", 1.0)]), "leaves"),
    ],
)
def test_bad_contributions_are_rejected_with_a_clear_error(
    table: pl.DataFrame, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        protect(table, AREAS)


def test_a_cycle_in_the_hierarchy_is_rejected() -> None:
    with pytest.raises(ValueError, match="cycle"):
        Hierarchy(parents={"area": {"a": "b", "b": "a"}})


def test_a_column_cannot_be_both_hierarchical_and_plain() -> None:
    with pytest.raises(ValueError, match="both"):
        Hierarchy(parents={"area": {}}, by=("area",))


# ------------------------------------------------------------------- the engine's taxonomy


def test_the_demo_survey_is_protected_along_the_engine_taxonomy() -> None:
    inputs = load_inputs(demo_bundle_path())
    hierarchy = Hierarchy.from_taxonomy(Taxonomy.from_inputs(inputs))
    survey = inputs["survey_needs"].filter(pl.col("year") <= 2027)
    table = survey.select(
        pl.col("organisation").alias("contributor"), "level", "area", "year", "new_hires"
    )

    protected = protect(table, hierarchy, value="new_hires")
    rel = relations(protected, hierarchy)
    intervals = assess(
        audit(protected, rel, value="new_hires"),
        tabulate(table, hierarchy, value="new_hires"),
        value="new_hires",
    )

    hidden = protected["suppressed"].to_list()
    assert 1 not in [sum(hidden[m] for m in r.members) for r in rel]
    assert intervals["adequate"].all()
    grand = cell(protected, level=None, area=None, year=None)
    assert grand["new_hires"] == pytest.approx(survey["new_hires"].sum())
