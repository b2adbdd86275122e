"""Retraining pathways: ranking on hand-made profiles, the greedy cover by EVU offers, derived
retraining paths feeding the model's retraining supply (explicit paths win), and validation of the
competence-profile tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from battkomp.engine.bundle import BundleError, load_inputs
from battkomp.engine.pathways import Occupation as Occ
from battkomp.engine.pathways import (
    PathwayData,
    PathwayOffer,
    cover,
    derived_paths,
    effective_retraining_paths,
    missing_areas,
    overlap,
    pathway_data,
    rank_pathways,
)
from bundlekit import BASE_YEAR, YEARS, cell_index, central, write_bundle, year_index

LEVELS = {"nkr4": 0, "nkr5": 1, "nkr6": 2, "nkr7": 3, "nkr8": 4}


def offer(
    oid: str,
    areas: dict[str, float],
    years: float = 0.5,
    *,
    kind: str = "module",
    level: str = "evu",
    status: str = "exists",
) -> PathwayOffer:
    return PathwayOffer(oid, oid.upper(), "Test school", kind, level, status, years, areas)


def data(
    roles: dict[str, tuple[dict[str, float], tuple[str, ...]]],
    source: dict[str, float],
    *,
    level: str = "nkr4",
    offers: tuple[PathwayOffer, ...] = (),
    threshold: float = 0.05,
    max_roles: int = 3,
    min_overlap: float = 0.0,
) -> PathwayData:
    return PathwayData(
        occupations={"1111": Occ("1111", "Kilde", "Source", level)},
        occupation_profiles={"1111": source},
        role_profiles={r: p for r, (p, _lv) in roles.items()},
        role_levels={r: lv for r, (_p, lv) in roles.items()},
        level_rank=LEVELS,
        offers=offers,
        evu_years=0.5,
        missing_threshold=threshold,
        max_roles=max_roles,
        min_overlap=min_overlap,
        level_years={"nkr4": 4.0, "nkr5": 2.0, "nkr6": 3.0, "nkr7": 5.0, "nkr8": 4.0},
    )


SOURCE = {"a": 0.5, "b": 0.3, "c": 0.2}


# ------------------------------------------------------------------------------ the measures


def test_overlap_is_the_sum_of_the_smaller_weights_and_symmetric() -> None:
    role = {"a": 0.2, "b": 0.5, "d": 0.3}
    assert overlap(SOURCE, role) == pytest.approx(0.2 + 0.3)
    assert overlap(role, SOURCE) == pytest.approx(overlap(SOURCE, role))
    assert overlap(SOURCE, SOURCE) == pytest.approx(1.0)
    assert overlap(SOURCE, {"z": 1.0}) == 0.0


def test_missing_areas_are_the_shortfalls_at_or_above_the_threshold_largest_first() -> None:
    role = {"a": 0.3, "b": 0.33, "c": 0.1, "d": 0.27}
    # b falls short by 0.03, d by 0.27; a and c are more than covered
    assert missing_areas(SOURCE, role, 0.05) == (("d", 0.27),)
    assert missing_areas(SOURCE, role, 0.01) == (("d", 0.27), ("b", 0.03))
    assert missing_areas(SOURCE, role, 0.5) == ()


# ------------------------------------------------------------------------------ ranking


def test_the_best_fitting_role_comes_first_and_roles_out_of_reach_are_left_out() -> None:
    roles = {
        "weak": ({"c": 0.2, "x": 0.8}, ("nkr4",)),
        "best": ({"a": 0.5, "b": 0.5}, ("nkr4",)),
        "middle": ({"a": 0.5, "c": 0.2, "x": 0.3}, ("nkr4", "nkr5")),
        "degree": ({"a": 0.5, "b": 0.3, "c": 0.2}, ("nkr7",)),  # a perfect fit, but a master
    }
    ranked = rank_pathways(data(roles, SOURCE), "1111")

    assert [p.role for p in ranked] == ["best", "middle", "weak"]
    assert [p.overlap for p in ranked] == pytest.approx([0.8, 0.7, 0.2])
    assert ranked[0].missing == (("b", 0.2),)
    assert ranked[1].level == "nkr4"  # the highest of the role's levels at or below nkr4


def test_ties_go_to_the_higher_level_then_to_the_role_code() -> None:
    same = {"a": 0.5, "b": 0.5}
    roles = {
        "beta": (same, ("nkr4",)),
        "alpha": (same, ("nkr4",)),
        "gamma": (same, ("nkr4", "nkr5")),
    }
    ranked = rank_pathways(data(roles, SOURCE, level="nkr5"), "1111")

    assert [(p.role, p.level) for p in ranked] == [
        ("gamma", "nkr5"),
        ("alpha", "nkr4"),
        ("beta", "nkr4"),
    ]
    # the same answer whatever the order of the roles
    reordered = dict(reversed(list(roles.items())))
    again = rank_pathways(data(reordered, SOURCE, level="nkr5"), "1111")
    assert [p.role for p in again] == ["gamma", "alpha", "beta"]


def test_an_unknown_occupation_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        rank_pathways(data({"r": ({"a": 1.0}, ("nkr4",))}, SOURCE), "9999")


# ------------------------------------------------------------------------------ covering offers


def test_the_greedy_cover_takes_the_largest_shortfall_first_then_the_shorter_offer() -> None:
    missing = (("x", 0.4), ("y", 0.3), ("z", 0.1))
    offers = [
        offer("wide", {"x": 0.5, "y": 0.5}, 2.0),
        offer("only_x", {"x": 1.0}, 0.5),
        offer("z_short", {"z": 1.0}, 0.25),
        offer("y_and_z", {"y": 0.5, "z": 0.5}, 1.0),
    ]
    chosen, left = cover(missing, offers)

    assert [(c.offer.id, c.covers) for c in chosen] == [
        ("wide", ("x", "y")),
        ("z_short", ("z",)),  # ties with y_and_z on z's shortfall; shorter wins
    ]
    assert left == ()


def test_the_cover_prefers_existing_offers_and_skips_programmes() -> None:
    missing = (("x", 0.4),)
    offers = [
        offer("a_planned", {"x": 1.0}, 0.25, status="planned"),
        offer("b_exists", {"x": 1.0}, 1.0),
        offer("programme", {"x": 1.0}, 0.1, kind="programme", level="nkr6"),
    ]
    chosen, left = cover(missing, offers)
    assert [c.offer.id for c in chosen] == ["b_exists"]
    assert left == ()
    assert cover(missing, offers[2:]) == ((), ("x",))  # a programme is no retraining offer
    # an offer at level evu counts whatever its kind, and so does a course at a true level
    evu_programme = offer("evu_prog", {"x": 1.0}, 0.1, kind="programme", level="evu")
    course = offer("course", {"x": 1.0}, 0.05, kind="course", level="nkr6")
    assert [c.offer.id for c in cover(missing, [evu_programme])[0]] == ["evu_prog"]
    assert [c.offer.id for c in cover(missing, [evu_programme, course])[0]] == ["course"]


def test_a_pathway_lists_its_offers_uncovered_areas_and_total_duration() -> None:
    roles = {"role": ({"a": 0.3, "d": 0.4, "e": 0.3}, ("nkr4",))}
    offers = (offer("d_module", {"d": 0.7, "a": 0.3}, 0.75), offer("other", {"q": 1.0}, 0.25))

    (path,) = rank_pathways(data(roles, SOURCE, offers=offers), "1111")

    assert path.missing == (("d", 0.4), ("e", 0.3))
    assert [(c.offer.id, c.covers) for c in path.offers] == [("d_module", ("d",))]
    assert path.uncovered == ("e",)
    # the module, plus the uncovered shortfall's share of the level's 4 years (0.3 × 4)
    assert path.offer_years == pytest.approx(0.75)
    assert path.duration_years == pytest.approx(0.75 + 1.2)

    covered = (*offers, offer("e_course", {"e": 1.0}, 1.0, kind="course"))
    (full,) = rank_pathways(data(roles, SOURCE, offers=covered), "1111")
    assert full.uncovered == ()
    assert full.duration_years == pytest.approx(1.75)


def test_training_outside_the_offers_takes_at_least_one_typical_evu_duration() -> None:
    roles = {"role": ({"a": 0.5, "b": 0.3, "c": 0.1, "d": 0.1}, ("nkr4", "nkr5"))}
    (path,) = rank_pathways(data(roles, SOURCE, level="nkr5"), "1111")
    assert path.level == "nkr5"
    assert path.uncovered == ("d",)
    assert path.duration_years == pytest.approx(0.5)  # 0.1 × 2 years is less than 0.5
    roles = {"role": ({"a": 0.2, "d": 0.8}, ("nkr4",))}
    (path,) = rank_pathways(data(roles, SOURCE), "1111")
    assert path.duration_years == pytest.approx(0.8 * 4)


def test_a_pathway_with_nothing_missing_takes_one_typical_evu_duration() -> None:
    (path,) = rank_pathways(data({"same": (dict(SOURCE), ("nkr4",))}, SOURCE), "1111")
    assert path.overlap == pytest.approx(1.0)
    assert path.missing == ()
    assert path.offers == ()
    assert path.duration_years == pytest.approx(0.5)


def test_derived_paths_take_the_best_roles_above_the_minimum_with_shares_by_overlap() -> None:
    roles = {
        "best": ({"a": 0.5, "b": 0.5}, ("nkr4",)),  # 0.8
        "middle": ({"a": 0.5, "c": 0.2, "x": 0.3}, ("nkr4",)),  # 0.7
        "third": ({"a": 0.4, "x": 0.6}, ("nkr4",)),  # 0.4
        "weak": ({"c": 0.1, "x": 0.9}, ("nkr4",)),  # 0.1
    }
    rows = derived_paths(data(roles, SOURCE, max_roles=2), "pool", "1111")
    assert [(r["target_role"], r["level"]) for r in rows] == [("best", "nkr4"), ("middle", "nkr4")]
    assert [r["share"] for r in rows] == pytest.approx([0.8 / 1.5, 0.7 / 1.5])

    rows = derived_paths(data(roles, SOURCE, max_roles=5, min_overlap=0.3), "pool", "1111")
    assert [r["target_role"] for r in rows] == ["best", "middle", "third"]
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1.0)
    assert derived_paths(data(roles, SOURCE), "pool", "0000") == []
    assert derived_paths(data(roles, SOURCE), "pool", None) == []


# ------------------------------------------------------------------------------ the shipped data


def test_every_source_occupation_has_a_profile_and_every_demo_pool_a_source_occupation() -> None:
    inputs = load_inputs(None)
    codes = set(inputs["source_occupations"]["code"].to_list())
    assert codes == set(inputs["occupation_profile"]["occupation"].to_list())
    demo = pl.read_csv(
        Path(__file__).resolve().parents[1] / "src/battkomp/engine/demo/retraining_pools.csv",
        schema_overrides={"source_occupation": pl.Utf8},
    )
    assert set(demo["source_occupation"].to_list()) <= codes
    pathway = pathway_data(inputs)
    for code in codes:
        ranked = rank_pathways(pathway, code)
        assert ranked, code
        assert ranked == sorted(ranked, key=lambda p: -p.overlap)


def test_the_oil_and_gas_operator_fits_process_roles_best() -> None:
    ranked = rank_pathways(pathway_data(load_inputs(None)), "3134")
    assert {ranked[0].role, ranked[1].role} == {"process_controller", "process_operator"}


# ------------------------------------------------------------------------------ in the model

PO_NKR4 = {
    "chemical_process": 0.44,
    "electrode_manufacturing": 0.26,
    "formation_testing": 0.14,
    "recycling_hydrometallurgy": 0.06,
}


def _pool(occupation: str = "8189", first_year: int = BASE_YEAR) -> dict[str, object]:
    return {
        "id": "pool1",
        "name": "Test operators",
        "source_occupation": occupation,
        "size": 1000,
        "share_available": 0.1,
        "first_year": first_year,
        "source": "synthetic test data",
    }


def _bundle(folder: Path, *, paths: list[dict[str, object]] | None = None, **more: object) -> Path:
    """A pool of 1 000 people of occupation 8189 (a profile close to a process operator's) and a
    need of 1 000 new hires a year in every nkr4 area; ``pathway_roles`` is 1."""
    areas = load_inputs(None)["competence_areas"].filter(pl.col("parent").is_not_null())["code"]
    survey = [
        {
            "organisation": "org_plant",
            "segment": "cell_manufacturing",
            "region": "42",
            "role": "process_operator",
            "level": "nkr4",
            "area": area,
            "year": int(year),
            "new_hires": 1000,
            "total_staff": 1000,
            "source": "synthetic test data",
        }
        for year in YEARS
        for area in areas
    ]
    occupations = [
        {
            "code": "8189",
            "name_nb": "Test",
            "name_en": "Test",
            "usual_level": "nkr4",
            "source": "assumption: test",
        },
    ]
    profile = [
        {
            "occupation": "8189",
            "area": "chemical_process",
            "weight": 0.54,
            "source": "assumption: t",
        },
        {
            "occupation": "8189",
            "area": "electrode_manufacturing",
            "weight": 0.26,
            "source": "assumption: t",
        },
        {
            "occupation": "8189",
            "area": "formation_testing",
            "weight": 0.2,
            "source": "assumption: t",
        },
    ]
    overrides = [
        {
            "table": "parameters",
            "key": "pathway_roles",
            "column": "value",
            "value": "1",
            "source": "assumption: test",
        },
    ]
    tables: dict[str, object] = {
        "survey_needs": survey,
        "retraining_pools": [_pool()],
        "source_occupations": occupations,
        "occupation_profile": profile,
        "overrides": overrides,
        **more,
    }
    if paths:
        tables["retraining_paths"] = paths
    return write_bundle(folder, tables)  # type: ignore[arg-type]


def _module(duration: float) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    offers = [
        {
            "id": "recycling_module",
            "institution": "Test fagskole",
            "name": "Recycling for operators",
            "kind": "module",
            "level": "evu",
            "region": "42",
            "study_places": 1,
            "first_intake": 2020,
            "duration_years": duration,
            "target_level": "nkr4",
            "status": "exists",
            "source": "synthetic test data",
        }
    ]
    return offers, [{"offer": "recycling_module", "area": "recycling_hydrometallurgy", "weight": 1}]


def _po_cells(cm: object, flow: np.ndarray, scale: float) -> None:
    total = sum(PO_NKR4.values())
    for area, share in PO_NKR4.items():
        assert flow[cell_index(cm, "nkr4", area)] == pytest.approx(scale * share / total)  # type: ignore[arg-type]


def test_a_pool_without_paths_retrains_into_its_best_role_after_the_pathway(
    tmp_path: Path,
) -> None:
    offers, areas = _module(1.5)
    folder = _bundle(tmp_path / "b", education_offers=offers, offer_areas=areas)
    (path,) = effective_retraining_paths(load_inputs(folder))
    # 8189 lacks only recycling (0.06 ≥ 0.05) of a process operator; the module covers it
    assert path == {
        "pool": "pool1",
        "target_role": "process_operator",
        "level": "nkr4",
        "share": 1.0,
        "duration_years": 1.5,
    }

    cm, fl = central(folder)
    yearly = fl.supply_retraining[0].sum(axis=1)

    i = YEARS - (BASE_YEAR + 1)  # people start from the first year, arrive floor(1.5) later
    expected = np.where(i >= 0, 1000 * 0.1 * 0.9 ** np.clip(i, 0, None), 0.0)
    np.testing.assert_allclose(yearly, expected)
    _po_cells(cm, fl.supply_retraining[0, year_index(cm, BASE_YEAR + 1)], 100.0)


def test_without_a_covering_offer_the_default_duration_applies(tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "b")
    (path,) = effective_retraining_paths(load_inputs(folder))
    # recycling (0.06 × 4 years) is left to training outside the offers: at least 0.5 years
    assert path["duration_years"] == pytest.approx(0.5)

    cm, fl = central(folder)
    first = fl.supply_retraining[0, 0]
    assert first.sum() == pytest.approx(100.0)  # floor(0.5) = 0: they arrive the same year
    _po_cells(cm, first, 100.0)


def test_explicit_paths_win_over_derived_ones(tmp_path: Path) -> None:
    explicit = {
        "pool": "pool1",
        "target_role": "electrician",
        "level": "nkr4",
        "share": 0.5,
        "duration_years": 0.0,
    }
    folder = _bundle(tmp_path / "b", paths=[explicit])
    assert effective_retraining_paths(load_inputs(folder)) == [explicit]

    cm, fl = central(folder)
    first = fl.supply_retraining[0, 0]
    assert first.sum() == pytest.approx(1000 * 0.1 * 0.5)
    assert first[cell_index(cm, "nkr4", "electrode_manufacturing")] == 0.0


def test_a_pool_whose_occupation_is_not_a_styrk08_code_is_refused(tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "b", retraining_pools=[_pool(occupation="9999")])
    (message,) = _messages(folder)
    assert "retraining_pools.csv, row 2, column 'source_occupation'" in message
    assert "'9999' is not a STYRK-08 code" in message


def test_a_pool_whose_occupation_has_no_profile_and_no_paths_is_refused(tmp_path: Path) -> None:
    # 7412 is a STYRK-08 unit group, but this bundle's source_occupations has only 8189: the pool
    # could not be retrained into anything, which must not pass silently
    folder = _bundle(tmp_path / "b", retraining_pools=[_pool(occupation="7412")])
    (message,) = _messages(folder)
    assert "retraining_pools.csv, row 2, column 'source_occupation'" in message
    assert "the pool 'pool1' has no rows in retraining_paths" in message
    assert "8189" in message


def test_a_pool_with_explicit_paths_needs_no_profiled_occupation(tmp_path: Path) -> None:
    path = {
        "pool": "pool1",
        "target_role": "process_operator",
        "level": "nkr4",
        "share": 0.5,
        "duration_years": 1,
    }
    folder = _bundle(tmp_path / "b", retraining_pools=[_pool(occupation="7412")], paths=[path])
    assert [p["target_role"] for p in effective_retraining_paths(load_inputs(folder))] == [
        "process_operator"
    ]


# ------------------------------------------------------------------------------ validation


def _profile_bundle(folder: Path, rows: list[dict[str, object]]) -> Path:
    return write_bundle(folder, {"occupation_profile": rows})


def _messages(folder: Path) -> list[str]:
    with pytest.raises(BundleError) as caught:
        load_inputs(folder)
    return [p.message("en") for p in caught.value.problems]


def test_occupation_weights_must_sum_to_one(tmp_path: Path) -> None:
    rows = [
        {"occupation": "3134", "area": "chemical_process", "weight": 0.6, "source": "assumption"},
        {"occupation": "3134", "area": "hse", "weight": 0.3, "source": "assumption"},
    ]
    messages = _messages(_profile_bundle(tmp_path / "b", rows))
    assert any("weight" in m and "3134" in m and "0.9" in m for m in messages), messages


def test_an_unknown_area_or_occupation_is_named_in_the_error(tmp_path: Path) -> None:
    rows = [
        {"occupation": "3134", "area": "chemical_proces", "weight": 0.5, "source": "assumption"},
        {"occupation": "3134", "area": "hse", "weight": 0.5, "source": "assumption"},
        {"occupation": "7777", "area": "hse", "weight": 1.0, "source": "assumption"},
    ]
    messages = _messages(_profile_bundle(tmp_path / "b", rows))
    assert any("chemical_proces" in m and "area" in m for m in messages), messages
    assert any("'7777'" in m and "source_occupations" in m for m in messages), messages


def test_a_profile_on_a_group_instead_of_an_area_is_refused(tmp_path: Path) -> None:
    rows = [{"occupation": "3134", "area": "production", "weight": 1.0, "source": "assumption"}]
    messages = _messages(_profile_bundle(tmp_path / "b", rows))
    assert any("production" in m and "occupation_profile" in m for m in messages), messages
