"""Noise infusion (battkomp.engine.sdc) and the attacker suite (battkomp.engine.attacks).

The suite must find what the issue found by hand (a company removed between two releases of a
suppressed survey table gives its answers away exactly), and nothing once the answers are noised:
over random planted rounds, for one company removed, one answer changed and several releases
together."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battkomp.engine.attacks import BASIS_SCHEMA, NOISED, Snapshot, attack
from battkomp.engine.disclosure import DisclosureRules, Hierarchy, protect, public_view
from battkomp.engine.sdc import (
    NoiseParameters,
    factors,
    insufficient_noise,
    key_fingerprint,
    noise_factor,
    perturb,
    protect_noised,
    quality_flags,
    unsafe_cells,
)

KEY = b"test key, not secret"
PARENTS = {"a1": "g1", "a2": "g1", "a3": "g2", "a4": "g2"}
LEVELS = ("l1", "l2")
YEARS = (2026, 2027, 2028)
P = DisclosureRules().p


# ------------------------------------------------------------------------------ the factors


def test_factors_keep_away_from_one_within_the_support_and_point_both_ways() -> None:
    params = NoiseParameters()
    values = np.array(list(factors(KEY, [f"org-{i}" for i in range(2000)]).values()))
    assert (np.abs(values - 1) >= params.low).all()
    assert (np.abs(values - 1) <= params.high).all()
    up = (values > 1).mean()
    assert 0.45 < up < 0.55


def test_a_factor_is_the_same_every_time_and_another_key_gives_others() -> None:
    first = factors(KEY, ["1", "2", "3"])
    assert first == factors(KEY, ["3", "2", "1", "1"])
    other = factors(b"rotated key", ["1", "2", "3"])
    assert all(first[c] != other[c] for c in first)
    assert key_fingerprint(KEY) != key_fingerprint(b"rotated key")
    assert key_fingerprint(KEY) == key_fingerprint(KEY)


def test_an_empty_key_and_noise_within_p_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        noise_factor(b"", "1")
    assert NoiseParameters().covers(DisclosureRules())
    assert not NoiseParameters(low=0.05, high=0.2).covers(DisclosureRules())


def test_perturb_scales_every_answer_of_a_contributor_by_its_factor() -> None:
    frame = pl.DataFrame(
        {"contributor": ["a", "b", "a"], "value": [10.0, 4.0, 3.0], "staff": [100.0, 0.0, 1.0]}
    )
    out = perturb(frame, KEY, ["value", "staff"])
    f = factors(KEY, ["a", "b"])
    assert out["value"].to_list() == pytest.approx([10 * f["a"], 4 * f["b"], 3 * f["a"]])
    assert out["staff"].to_list() == pytest.approx([100 * f["a"], 0.0, f["a"]])


def test_quality_flags_follow_the_share_of_noise() -> None:
    flags = quality_flags(np.array([100.0, 98.0, 95.0, 80.0, 1.0]), np.full(5, 100.0))
    assert flags == ["G", "H", "J", "J", "J"]
    assert quality_flags(np.array([3.0, 0.0]), np.array([0.0, 0.0])) == ["J", "G"]


# -------------------------------------------------------------------- where noise falls short


def test_two_contributors_whose_noise_cancels_are_suppressed_and_others_not() -> None:
    c = pl.DataFrame(
        {"contributor": ["a", "b", "c", "d"], "year": [1, 1, 2, 2], "value": [10.0] * 4}
    )
    h = Hierarchy(parents={"year": {}})
    noise = {"a": 1.15, "b": 0.86, "c": 1.15, "d": 1.12}
    cells = unsafe_cells(c, h, None, noise)
    assert cells.select("year", "unsafe").rows() == [(1, True), (2, False), (None, False)]
    # without noise, every cell of two is unsafe
    plain = unsafe_cells(c, h)
    assert plain.select("year", "unsafe").rows() == [(1, True), (2, True), (None, False)]


def test_a_single_contributor_is_always_protected_by_its_noise() -> None:
    c = pl.DataFrame({"contributor": ["a"], "year": [1], "value": [500.0]})
    h = Hierarchy(parents={"year": {}})
    cells = unsafe_cells(c, h, None, factors(KEY, ["a"]))
    assert not cells["unsafe"].any()
    out = public_view(protect_noised(c, h, factors(KEY, ["a"])))
    assert abs(out["value"][0] / 500.0 - 1) >= NoiseParameters().low


def test_insufficient_noise_reads_the_second_largest_estimate() -> None:
    true = pl.DataFrame(
        {"value": [30.0], "contributors": [3], "largest": [20.0], "second": [9.0], "rest": [1.0]}
    )
    # the noised cell is 30.5: the second's estimate of the largest is 21.5, 7.5 % off
    noised = true.with_columns(pl.lit(30.5).alias("value"))
    assert insufficient_noise(true, noised).to_list() == [True]
    noised = true.with_columns(pl.lit(33.0).alias("value"))  # 20 % off
    assert insufficient_noise(true, noised).to_list() == [False]


# ---------------------------------------------------------------------------- attacker suite


def _basis(rng: random.Random, companies: int) -> pl.DataFrame:
    rows = []
    for i in range(companies):
        segment = rng.choice(["s1", "s2", "s3"])
        region = rng.choice(["r1", "r2"])
        for area, level in rng.sample([(a, lv) for a in PARENTS for lv in LEVELS], 3):
            for year in YEARS:
                rows.append(
                    (
                        str(100 + i),
                        area,
                        level,
                        year,
                        float(rng.randrange(0, 400)),
                        float(rng.randrange(1, 50)),
                        segment,
                        region,
                    )
                )
    return pl.DataFrame(rows, schema=BASIS_SCHEMA, orient="row")


def _publish(basis: pl.DataFrame, label: str, *, noised: bool) -> Snapshot:
    """An engine-level publication: the survey table and a coverage table (the model's own part
    of the openings is a public 1000 a segment and year), each protected as publishing does."""
    hierarchy = Hierarchy(parents={"area": PARENTS, "level": {}, "year": {}})
    by_place = Hierarchy(parents={"segment": {}}, by=("year",))
    data = basis.select("contributor", "area", "level", "year", "value")
    placed = basis.select("contributor", "segment", "year", "value")
    noise = factors(KEY, basis["contributor"].to_list())
    if noised:
        survey = public_view(protect_noised(data, hierarchy, noise))
        coverage = public_view(protect_noised(placed, by_place, noise))
    else:
        survey = public_view(protect(data, hierarchy))
        coverage = public_view(protect(placed, by_place))
    coverage = coverage.select(
        "segment",
        "year",
        (pl.col("value") + 1000.0).alias("openings"),
        (pl.col("value") / (pl.col("value") + 1000.0)).alias("reported_share"),
    )
    return Snapshot(
        label, {"survey_needs": survey.rename({"value": "new_hires"}), "coverage": coverage}, basis
    )


def _releases(basis: pl.DataFrame, *, noised: bool) -> list[Snapshot]:
    first = basis["contributor"].unique().sort()[0]
    removed = basis.filter(pl.col("contributor") != first)
    changed = basis.with_columns(
        pl.when(pl.arange(0, pl.len()) == 0).then(pl.col("value") + 37).otherwise(pl.col("value"))
    )
    return [
        _publish(basis, "all", noised=noised),
        _publish(removed, "one removed", noised=noised),
        _publish(changed, "one changed", noised=noised),
    ]


def test_the_suite_finds_a_removed_company_in_unnoised_releases() -> None:
    basis = _basis(random.Random(3), 8)
    found = attack(_releases(basis, noised=False), PARENTS, P)
    removed = basis["contributor"].unique().sort()[0]
    diffs = [f for f in found if f.attack == "difference"]
    assert any(f.contributor == removed and f.estimate == f.truth for f in diffs)
    assert any(f.table == "coverage" for f in diffs)  # the coverage-share product


def test_a_changed_answer_shows_in_unnoised_releases() -> None:
    basis = _basis(random.Random(4), 8)
    found = attack(_releases(basis, noised=False)[::2], PARENTS, P)
    assert any(f.attack == "difference" and abs(f.truth) == 37.0 for f in found)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), companies=st.integers(2, 9))
def test_nothing_is_recovered_from_noised_releases(seed: int, companies: int) -> None:
    basis = _basis(random.Random(seed), companies)
    releases = _releases(basis, noised=True)
    assert attack(releases, PARENTS, P) == []


def test_a_release_with_suppressed_cells_survives_the_lp_attack() -> None:
    basis = _basis(random.Random(5), 6)
    # a factor pair that cancels: force it by choosing contributors until one cell is suppressed
    snap = _publish(basis, "all", noised=True)
    assert attack([snap], PARENTS, P) == []
    plain = _publish(basis, "plain", noised=False)
    assert plain.tables["survey_needs"]["suppressed"].any()


# ------------------------------------------------------- model numbers: chance against leak


def _with_noised(basis: pl.DataFrame, *, noised: bool) -> pl.DataFrame:
    """The basis with the answers the public run read: each answer times its company's factor,
    or (a public run that read the answers as given) the answers themselves."""
    noise = factors(KEY, basis["contributor"].to_list()) if noised else None
    factor = (
        basis["contributor"].replace_strict(noise, return_dtype=pl.Float64)
        if noise is not None
        else pl.Series([1.0] * basis.height)
    )
    return basis.with_columns(
        (pl.col("value") * factor).alias(NOISED["value"]),
        (pl.col("staff") * factor).alias(NOISED["staff"]),
    )


def _model_release(basis: pl.DataFrame, label: str, own: dict[int, float]) -> Snapshot:
    """A release of the model's national ``totals``: per year the answers the public run read
    (``noised_value``) plus the model's own part ``own[year]`` (which an outsider does not
    know)."""
    sums = dict(basis.group_by("year").agg(pl.col(NOISED["value"]).sum()).rows())
    totals = pl.DataFrame(
        {
            "year": list(YEARS),
            "metric": ["openings"] * len(YEARS),
            "mean": [sums.get(y, 0.0) + own[y] for y in YEARS],
        }
    )
    return Snapshot(label, {"totals": totals}, basis, context="mid|False")


def _removed_company_releases(*, noised: bool, chance: bool) -> tuple[list[Snapshot], Any]:
    """Two releases of the model's totals, the second without one company. The model fills in
    for the company's facility with its own estimate: with ``chance``, an estimate that makes
    the difference land within p % of the company's true answers although they were noised."""
    basis = _with_noised(_basis(random.Random(7), 5), noised=noised)
    gone = basis["contributor"].unique().sort()[0]
    mine = basis.filter(pl.col("contributor") == gone)
    true = dict(mine.group_by("year").agg(pl.col("value").sum()).rows())
    carried = dict(mine.group_by("year").agg(pl.col(NOISED["value"]).sum()).rows())
    base = dict.fromkeys(YEARS, 5000.0)
    # the difference is carried - fill: a fill of carried - true makes it exactly the truth
    fill = {y: (carried[y] - true[y] if chance else 0.0) for y in YEARS}
    after = {y: base[y] + fill[y] for y in YEARS}
    releases = [
        _model_release(basis, "all", base),
        _model_release(basis.filter(pl.col("contributor") != gone), "one out", after),
    ]
    return releases, gone


def test_a_model_number_that_matches_by_the_models_own_part_is_chance_not_a_recovery() -> None:
    releases, gone = _removed_company_releases(noised=True, chance=True)
    assert attack(releases, PARENTS, P) == []
    chance = attack(releases, PARENTS, P, chance=True)
    assert chance
    assert all(f.chance and f.contributor == gone for f in chance)
    assert all(f.attack == "difference" and f.table == "totals" for f in chance)


def test_a_model_number_carrying_unnoised_answers_is_a_recovery() -> None:
    # the public run read the answers as given: the difference gives them away
    releases, gone = _removed_company_releases(noised=False, chance=False)
    found = attack(releases, PARENTS, P)
    assert found
    assert {f.contributor for f in found} == {gone}
    assert not any(f.chance for f in found)
    # and without the noised columns the judge assumes the answers were carried as given
    plain = [
        Snapshot(s.label, s.tables, s.basis.drop(*NOISED.values()), s.context) for s in releases
    ]
    assert set(attack(plain, PARENTS, P)) == set(found)


def test_a_noised_model_number_gives_nothing_away_without_chance() -> None:
    releases, _ = _removed_company_releases(noised=True, chance=False)
    assert attack(releases, PARENTS, P, chance=True) == []
