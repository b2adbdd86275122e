"""Disclosure control holds on random tables (hypothesis).

Each example draws contributors, competence areas (some under a parent group, some directly under
the total), levels, years, values (zeros included) and a set of rules. The checks recompute what
they need from the contributions in plain Python, independently of the module's own tabulation.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from random import Random
from typing import Any

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from battkomp.engine.disclosure import (
    DisclosureRules,
    Hierarchy,
    audit,
    protect,
    public_view,
    relations,
    required_protection,
)

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KEYS = ("area", "level", "year")
PLANTED = 123457.0


@dataclass(frozen=True)
class Case:
    table: pl.DataFrame
    hierarchy: Hierarchy
    rules: DisclosureRules


@st.composite
def cases(draw: st.DrawFn, plant: bool = False) -> Case:
    n_leaves = draw(st.integers(1, 5))
    n_groups = draw(st.integers(0, 2))
    groups = [f"g{i}" for i in range(n_groups)]
    leaves = [f"a{i}" for i in range(n_leaves)]
    area_parent = {
        leaf: parent
        for leaf in leaves
        if (parent := draw(st.sampled_from([None, *groups]))) is not None
    }
    levels = [f"nkr{4 + i}" for i in range(draw(st.integers(1, 3)))]
    years = list(range(2026, 2026 + draw(st.integers(1, 3))))
    contributors = [f"org{i}" for i in range(draw(st.integers(1, 6)))]
    value = st.one_of(
        st.just(0.0),
        st.integers(1, 1000).map(float),
        st.floats(0.01, 500.0, allow_nan=False).map(lambda v: round(v, 2)),
    )
    row = st.tuples(
        st.sampled_from(contributors),
        st.sampled_from(leaves),
        st.sampled_from(levels),
        st.sampled_from(years),
        value,
    )
    rows = draw(st.lists(row, min_size=1, max_size=40))
    if plant:
        rows = [r for r in rows if r[0] != "secretive"]
        rows.append(("secretive", leaves[0], levels[0], years[0], PLANTED))
        # everyone else answers with integers below 1000, so no other number contains the plant
        rows = [(*r[:4], float(int(r[4]))) if r[0] != "secretive" else r for r in rows]
    rules = DisclosureRules(
        # with a plant, one contributor alone must be too few
        min_contributors=draw(st.integers(2 if plant else 1, 5)),
        p=draw(st.sampled_from([0.0, 5.0, 10.0, 25.0])),
        min_protection=draw(st.sampled_from([0.5, 1.0, 2.0])),
        singleton_rule=draw(st.booleans()),
    )
    table = pl.DataFrame(
        rows,
        schema={
            "contributor": pl.String,
            "area": pl.String,
            "level": pl.String,
            "year": pl.Int64,
            "value": pl.Float64,
        },
        orient="row",
    )
    hierarchy = Hierarchy(parents={"area": area_parent, "level": {}, "year": {}})
    return Case(table, hierarchy, rules)


# ---------------------------------------------------------------------- a plain reference

Cell = tuple[Any, ...]


def ancestry(hierarchy: Hierarchy, key: str, code: Any) -> list[Any]:
    chain = [code]
    while chain[-1] in hierarchy.parents[key]:
        chain.append(hierarchy.parents[key][chain[-1]])
    return [*chain, None]


def reference_cells(case: Case) -> dict[Cell, dict[str, float]]:
    """Per cell (area, level, year; None = total) the total of each contributor."""
    cells: dict[Cell, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for who, area, level, year, value in case.table.iter_rows():
        for a in ancestry(case.hierarchy, "area", area):
            for lv in (level, None):
                for y in (year, None):
                    cells[(a, lv, y)][who] += value
    return cells


def reference_unsafe(by_contributor: dict[str, float], rules: DisclosureRules) -> bool:
    values = sorted((v for v in by_contributor.values() if v > 0), reverse=True)
    if not values:
        return False
    if len(values) < rules.min_contributors:
        return True
    return sum(values[2:]) < rules.p / 100 * values[0]


def reference_relations(case: Case, cells: list[Cell]) -> list[tuple[Cell, list[Cell]]]:
    """(total, parts) along each hierarchical key, with the other keys fixed."""
    present = set(cells)
    parent_of: dict[str, dict[Any, Any]] = {
        "area": {c: ancestry(case.hierarchy, "area", c)[1] for c in {k[0] for k in cells} - {None}},
        "level": dict.fromkeys({k[1] for k in cells} - {None}),
        "year": dict.fromkeys({k[2] for k in cells} - {None}),
    }
    out = []
    for i, key in enumerate(KEYS):
        parts: dict[Cell, list[Cell]] = defaultdict(list)
        for c in cells:
            if c[i] is not None:
                up = (*c[:i], parent_of[key][c[i]], *c[i + 1 :])
                parts[up].append(c)
        out.extend((total, members) for total, members in parts.items() if total in present)
    return out


def cell_keys(frame: pl.DataFrame) -> list[Cell]:
    return list(frame.select(KEYS).iter_rows())


# -------------------------------------------------------------------------------- the rules


@SETTINGS
@given(cases())
def test_every_primary_unsafe_cell_is_suppressed(case: Case) -> None:
    protected = protect(case.table, case.hierarchy, case.rules)
    reference = reference_cells(case)

    hidden = dict(zip(cell_keys(protected), protected["suppressed"].to_list(), strict=True))

    assert set(hidden) == set(reference)
    unsafe = [c for c, by in reference.items() if reference_unsafe(by, case.rules)]
    assert [c for c in unsafe if not hidden[c]] == []


@SETTINGS
@given(cases())
def test_no_relation_has_exactly_one_suppressed_member(case: Case) -> None:
    protected = protect(case.table, case.hierarchy, case.rules)
    keys = cell_keys(protected)
    hidden = dict(zip(keys, protected["suppressed"].to_list(), strict=True))

    lonely = [
        (total, parts)
        for total, parts in reference_relations(case, keys)
        if sum(hidden[c] for c in [total, *parts]) == 1
    ]

    assert lonely == []


@SETTINGS
@given(cases())
def test_the_audit_pins_down_no_suppressed_cell(case: Case) -> None:
    protected = protect(case.table, case.hierarchy, case.rules)
    reference = reference_cells(case)
    truth = [sum(reference[c].values()) for c in cell_keys(protected)]

    intervals = audit(protected, relations(protected, case.hierarchy))

    rows = intervals["row"].to_list()
    need = required_protection(np.array(truth)[rows], case.rules)
    narrow = [
        (cell_keys(protected)[r], lo, hi, n)
        for r, lo, hi, n in zip(rows, intervals["lower"], intervals["upper"], need, strict=True)
        if hi - lo < n - 1e-6 * max(1.0, n)
    ]
    assert narrow == []
    assert intervals.height == protected["suppressed"].sum()


@SETTINGS
@given(cases())
def test_the_audit_interval_contains_the_true_value(case: Case) -> None:
    protected = protect(case.table, case.hierarchy, case.rules)
    reference = reference_cells(case)
    truth = [sum(reference[c].values()) for c in cell_keys(protected)]

    intervals = audit(protected, relations(protected, case.hierarchy))

    for r, lo, hi in intervals.select("row", "lower", "upper").iter_rows():
        assert lo - 1e-6 <= truth[r] <= hi + 1e-6


@SETTINGS
@given(cases())
def test_published_cells_and_their_totals_agree_with_the_original_data(case: Case) -> None:
    public = public_view(protect(case.table, case.hierarchy, case.rules))
    reference = reference_cells(case)
    published = {
        c: v
        for c, v in zip(cell_keys(public), public["value"].to_list(), strict=True)
        if v is not None
    }

    for c, v in published.items():
        assert abs(v - sum(reference[c].values())) <= 1e-9 * max(1.0, abs(v))
    for total, parts in reference_relations(case, cell_keys(public)):
        if total in published and all(p in published for p in parts):
            assert abs(published[total] - sum(published[p] for p in parts)) <= 1e-6
    grand = (None, None, None)
    if grand in published:
        assert abs(published[grand] - case.table["value"].sum()) <= 1e-6


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_contributions_changes_nothing(case: Case, random: Random) -> None:
    order = list(range(case.table.height))
    random.shuffle(order)

    first = protect(case.table, case.hierarchy, case.rules)
    shuffled = protect(case.table[order], case.hierarchy, case.rules)

    assert_frame_equal(first, shuffled)


# --------------------------------------------------------------------------- the output


@SETTINGS
@given(cases())
def test_the_thresholds_never_appear_among_the_output_columns(case: Case) -> None:
    protected = protect(case.table, case.hierarchy, case.rules)
    public = public_view(protected)
    names = {f.name for f in dataclasses.fields(DisclosureRules)}

    assert protected.columns == [*KEYS, "value", "suppressed", "suppression"]
    assert public.columns == [*KEYS, "value", "suppressed"]
    assert not names & set(protected.columns)


@SETTINGS
@given(cases(plant=True))
def test_a_planted_single_contributor_value_never_reaches_the_public_csv(case: Case) -> None:
    public = public_view(protect(case.table, case.hierarchy, case.rules))

    text = public.write_csv()

    assert "123457" not in text
