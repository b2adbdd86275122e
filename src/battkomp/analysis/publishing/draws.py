"""Balanced noise on the platform: each organisation's stored draw (docs/model.md, "Balanced
noise"; docs/decisions.md, 47).

An organisation's noise factor is one of :data:`~battkomp.engine.sdc.CANDIDATES` keyed draws of
its magnitude, with the plain keyed direction (:func:`battkomp.engine.sdc.noise_factor`). Which
one is chosen when a run first noises the organisation under a key (:func:`choose_draws`, from
:func:`battkomp.engine.balance.balance`), stored (:class:`~battkomp.analysis.models.NoiseDraw`:
the draw's number and the key's fingerprint, never the factor) and never chosen again, so the
organisation has one factor in every run, scenario and publication under that key. The choice
brings the noise in each survey year's national new hires and staff towards zero
(:func:`targets`), against the draws already stored, and never takes a draw that lets the noise
of a cell cancel which the plain draws protect (:func:`guarded_cells`: the cells the public
tables test).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from battkomp.analysis.publishing.contributions import (
    MAX_REPORTED_SHARE,
    VIEWS,
    cumulative_with,
)
from battkomp.analysis.publishing.tables import _cell_parts, _placed, _share_map
from battkomp.engine.balance import balance
from battkomp.engine.disclosure import Hierarchy, per_contributor
from battkomp.engine.sdc import NoiseParameters, factors, key_fingerprint

_CELL = pl.Schema({"cell": pl.Utf8(), "contributor": pl.Utf8(), "value": pl.Float64()})


def stored_draws(key: bytes, contributors: Iterable[str]) -> dict[str, int]:
    """The stored draws of these contributors (bundle ids) under ``key`` (those without one are
    left out)."""
    from battkomp.analysis.models import NoiseDraw

    ids = sorted({str(c) for c in contributors})
    rows = NoiseDraw.objects.filter(key=key_fingerprint(key), contributor__in=ids)
    return dict(rows.values_list("contributor", "draw"))


def stored_factors(key: bytes, contributors: Iterable[str]) -> dict[str, float]:
    """Every contributor's factor under ``key`` with its stored draw (the plain one where none
    is stored: an organisation a run never noised)."""
    ids = sorted({str(c) for c in contributors})
    return factors(key, ids, choices=stored_draws(key, ids))


def choose_draws(
    key: bytes,
    basis: pl.DataFrame,
    detail: pl.DataFrame | None = None,
    parents: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """The draw of every contributor of ``basis`` (the answers a run reads,
    :func:`~battkomp.analysis.publishing.noise.basis_frame`) under ``key``: the stored ones, and
    for the others a choice, stored at once. ``detail`` (the analysts' run's) and ``parents``
    (area → area group) say which cells the tables test (:func:`guarded_cells`).

    Two runs choosing at the same time store the first one's draw; both then read what is
    stored, so an organisation never has two."""
    from battkomp.analysis.models import NoiseDraw

    ids = sorted({str(c) for c in basis["contributor"].to_list()}) if basis.height else []
    known = stored_draws(key, ids)
    if all(c in known for c in ids):
        return known
    chosen = balance(
        key,
        ids,
        targets(basis),
        guarded_cells(basis, detail, parents or {}),
        fixed=known,
    )
    fingerprint = key_fingerprint(key)
    NoiseDraw.objects.bulk_create(
        [NoiseDraw(key=fingerprint, contributor=c, draw=chosen[c]) for c in ids if c not in known],
        ignore_conflicts=True,
    )
    return stored_draws(key, ids)


def _answers(basis: pl.DataFrame) -> pl.DataFrame:
    return basis.select(
        pl.col("contributor").cast(pl.Utf8),
        pl.col("area").cast(pl.Utf8),
        pl.col("level").cast(pl.Utf8),
        pl.col("year").cast(pl.Int64),
        pl.col("value").cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0),
        pl.col("staff").cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0),
    )


def targets(basis: pl.DataFrame) -> pl.DataFrame:
    """The national totals the balance keeps (contributor, target, value): each survey year's
    reported new hires and total staff, what the national openings and headcount carry."""
    answers = _answers(basis)
    hires = answers.select(
        "contributor", pl.format("new hires {}", "year").alias("target"), "value"
    )
    staff = answers.select(
        "contributor", pl.format("staff {}", "year").alias("target"), pl.col("staff")
    ).rename({"staff": "value"})
    return (
        pl.concat([hires, staff])
        .group_by("contributor", "target")
        .agg(pl.col("value").sum())
        .sort("target", "contributor")
    )


def _dominable(share: float) -> bool:
    """True where a cell's survey share (from the analysts' run) could reach the share at which
    the tables test it (:data:`~.contributions.MAX_REPORTED_SHARE`) in the public run, whose
    survey part is noised by up to the largest factor."""
    grow = 1.0 + NoiseParameters().high
    ratio = MAX_REPORTED_SHARE / ((1.0 - MAX_REPORTED_SHARE) * grow)
    return share >= ratio / (1.0 + ratio)


def _cells(
    name: str,
    data: pl.DataFrame,
    columns: tuple[str, ...],
    keep: Any = None,
) -> pl.DataFrame:
    """The contributors' parts of every cell by ``columns`` × year of ``data`` (margins
    included, the year's total too; no total over years), as (cell, contributor, value) with
    the cell named by ``name`` and its keys; ``keep`` ((year, *codes) → bool) picks the cells."""
    if not data.height:
        return pl.DataFrame(schema=_CELL)
    hierarchy = Hierarchy(parents={**{c: {} for c in columns}, "year": {}})
    parts = per_contributor(data.select("contributor", *columns, "year", "value"), hierarchy)
    parts = parts.filter(pl.col("year").is_not_null() & (pl.col("value") > 0))
    if keep is not None:
        keys = parts.select("year", *columns).unique()
        wanted = keys.filter(
            pl.Series([bool(keep(tuple(r))) for r in keys.rows()], dtype=pl.Boolean)
        )
        parts = parts.join(wanted, on=["year", *columns], how="semi", nulls_equal=True)
    label = pl.concat_str(
        [pl.lit(name), *(pl.col(c).cast(pl.Utf8).fill_null("*") for c in ("year", *columns))],
        separator="|",
    )
    return parts.select(label.alias("cell"), "contributor", "value").cast(_CELL)


def guarded_cells(
    basis: pl.DataFrame, detail: pl.DataFrame | None, parents: Mapping[str, str]
) -> pl.DataFrame:
    """The cells whose noise the choice may never let cancel where the plain draws protect them
    (cell, contributor, value; true answers): the cells the public tables test as
    :class:`~battkomp.engine.sdc.NoisedRules` do.

    * ``survey_needs``: every cell (area with its groups × level × year);
    * the model tables by area, level, area × level and the national ones
      (``by_area_level``, ``by_area``, ``by_level``, ``totals``) and by region: each cell the
      survey could dominate (:func:`_dominable`, from ``detail``, the analysts' run), in every
      view of the answers it may carry (:data:`~.contributions.VIEWS`);
    * by segment (``by_segment``, ``coverage``): every cell, in every view.

    Only the sensitive ones among them count (:func:`battkomp.engine.balance.balance`)."""
    answers = _answers(basis)
    if not answers.height:
        return pl.DataFrame(schema=_CELL)
    out = []
    groups = set(parents.values())
    known = answers.filter(~pl.col("area").is_in(sorted(groups)))
    hierarchy = Hierarchy(parents={"area": dict(parents), "level": {}, "year": {}})
    survey = per_contributor(
        known.select("contributor", "area", "level", "year", "value"), hierarchy
    )
    out.append(
        survey.filter(pl.col("value") > 0).select(
            pl.concat_str(
                [
                    pl.lit("survey_needs"),
                    *(pl.col(c).cast(pl.Utf8).fill_null("*") for c in ("year", "area", "level")),
                ],
                separator="|",
            ).alias("cell"),
            "contributor",
            "value",
        )
    )
    years = sorted(
        {
            int(y)
            for y in (detail if detail is not None and detail.height else answers)["year"].to_list()
        }
    )
    contrib = answers.select("contributor", "area", "level", "year", "value", "staff")
    shares: dict[tuple[Any, ...], float] = {}
    region_shares: dict[tuple[Any, ...], float] = {}
    if detail is not None and detail.height:
        columns = ("area", "level")
        parts = _cell_parts(detail, columns)
        for subset in (columns, ("area",), ("level",), ()):
            for key, share in _share_map(parts, subset).items():
                full = dict(zip(subset, key[1:], strict=True))
                at = (key[0], full.get("area"), full.get("level"))
                shares[at] = max(share, shares.get(at, 0.0))
        for column in columns:
            split = _cell_parts(detail.filter(pl.col(column).is_not_null()), (column,))
            for key, share in {**_share_map(split, (column,)), **_share_map(split, ())}.items():
                code = key[1] if len(key) > 1 else None
                at = (key[0], code, None) if column == "area" else (key[0], None, code)
                shares[at] = max(share, shares.get(at, 0.0))
        placed_parts = _cell_parts(
            detail.filter(pl.col("kind") != "unallocated_supply"), ("region",)
        )
        region_shares = {**_share_map(placed_parts, ("region",)), **_share_map(placed_parts, ())}
    places = {
        str(c): (str(s or ""), str(r or ""))
        for c, s, r in basis.select("contributor", "segment", "region").unique().rows()
    }
    placed = _placed(contrib, places)
    for view in VIEWS:
        data = view(contrib, years)
        out.append(
            _cells(
                f"model {view.__name__}",
                data,
                ("area", "level"),
                lambda k: detail is None or _dominable(shares.get(k, 0.0)),
            )
        )
        out.append(
            _cells(
                f"segment {view.__name__}",
                cumulative_with(placed, years, ("segment",), view),
                ("segment",),
            )
        )
        out.append(
            _cells(
                f"region {view.__name__}",
                cumulative_with(placed, years, ("region",), view),
                ("region",),
                lambda k: detail is None or _dominable(region_shares.get(k, 0.0)),
            )
        )
    return pl.concat([o.cast(_CELL) for o in out if o.height] or [pl.DataFrame(schema=_CELL)])
