"""Frames that read the gap for action: what each measure adds (``measure_effects``), the need
only recruitment from abroad can meet in time (``abroad``), and a recommended lever and
commandment for every significant gap (``recommendations``, rules as data in
``recommendation_rules``).

>>> format_number(4.5, "nb"), format_number(0.75, "en"), format_number(float("inf"), "en")
('4,5', '0.75', '–')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from battkomp.engine import numbers
from battkomp.engine.bundle import Inputs
from battkomp.engine.measures import counted
from battkomp.engine.model import Compiled
from battkomp.engine.montecarlo import Ensemble
from battkomp.engine.problems import Lang

#: Horizons in words, for the reasons' ``{horizon}`` placeholder.
HORIZON_WORDS: dict[str, tuple[str, str]] = {
    "none": ("none in time", "ingen i tide"),
    "short": ("short term", "kort sikt"),
    "medium": ("medium term", "mellomlang sikt"),
    "long": ("long term", "lang sikt"),
}
DOMESTIC_HORIZONS = ("medium", "long")


def format_number(value: float, lang: Lang, digits: int = 2) -> str:
    """A number for a sentence: at most ``digits`` decimals, no trailing zeros, written as
    :func:`battkomp.engine.numbers.format_number` writes numbers; '–' for infinity (a lever that
    cannot deliver)."""
    return numbers.format_number(value, lang, digits, trim=True)


def measure_effects(cm: Compiled, ens: Ensemble) -> pl.DataFrame:
    """Mean over all draws of the supply each measure adds per year and target cell (a draw of a
    scenario in which the measure does not count adds 0)."""
    draws = max(int(ens.target.shape[0]), 1)
    years = [int(y) for y in cm.years]
    rows: dict[str, list[object]] = {"measure": [], "year": [], "level": [], "area": []}
    supply: list[float] = []
    for (measure, level, area), total in sorted(ens.measure_sums.items()):
        for t, year in enumerate(years):
            rows["measure"].append(measure)
            rows["year"].append(int(year))
            rows["level"].append(level)
            rows["area"].append(area)
            supply.append(float(total[t]) / draws)
    return pl.DataFrame(
        {**rows, "supply": supply},
        schema={
            "measure": pl.Utf8,
            "year": pl.Int64,
            "level": pl.Utf8,
            "area": pl.Utf8,
            "supply": pl.Float64,
        },
    )


Channel = tuple[str, float, int]


def _channels_of(inputs: Inputs) -> dict[tuple[str, str | None], list[Channel]]:
    """(level, area or None) -> [(channel id, lead months, first year)]."""
    out: dict[tuple[str, str | None], list[Channel]] = {}
    for r in inputs["recruitment_channels"].iter_rows(named=True):
        key = (str(r["level"]), str(r["area"]) if r["area"] else None)
        out.setdefault(key, []).append(
            (str(r["id"]), float(r["lead_time_months"]), int(r["first_year"]))
        )
    return out


def abroad(cm: Compiled, ens: Ensemble, inputs: Inputs) -> pl.DataFrame:
    """Per year, level and area where no domestic lever (medium or long horizon) can deliver in
    time: the mean shortfall domestic supply leaves (``need``), what recruitment from abroad fills
    (channels and recruit_abroad measures), what stays open, and the recruitment lead time."""
    tax = cm.tax
    L, A = len(tax.levels), len(tax.areas)
    draws = max(int(ens.target.shape[0]), 1)
    need = ens.sums["abroad_need"] / draws
    recruited = ens.sums["abroad_recruited"] / draws
    unmet = ens.sums["abroad_unmet"] / draws
    domestic = np.array([h in DOMESTIC_HORIZONS for h in cm.lever_horizon], dtype=bool)
    domestic_lead = (
        cm.lever_lead[domestic].min(axis=0) if domestic.any() else np.full(L, np.inf)
    )  # (L,)
    recruit_lever = [i for i, c in enumerate(cm.lever_codes) if c == "recruit_abroad"]
    channels = _channels_of(inputs)
    recruit_measures: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for m in (
        counted(inputs["measures"])
        .filter(pl.col("lever") == "recruit_abroad")
        .iter_rows(named=True)
    ):
        for tg in (
            inputs["measure_targets"].filter(pl.col("measure") == m["id"]).iter_rows(named=True)
        ):
            years = (int(m["start_year"]), int(m["end_year"] or cm.years[-1]))
            recruit_measures.setdefault((str(tg["level"]), str(tg["area"])), []).append(
                (str(m["id"]), *years)
            )
    out: dict[str, list[object]] = {
        k: []
        for k in (
            "year",
            "level",
            "area",
            "available_years",
            "domestic_lead_years",
            "need",
            "recruited",
            "unmet",
            "cap_needed",
            "lead_time_months",
            "channels",
        )
    }
    for t, year in enumerate(cm.years):
        available = float(year - cm.base_year) + 0.5
        for li, level in enumerate(tax.levels):
            if domestic_lead[li] <= available:
                continue
            for ai, area in enumerate(tax.areas):
                c = li * A + ai
                if need[t, c] <= 1e-9 and recruited[t, c] <= 1e-9:
                    continue
                serving = [
                    ch
                    for key in ((level, area), (level, None))
                    for ch in channels.get(key, [])
                    if ch[2] <= year
                ]
                if serving:
                    lead: float | None = min(ch[1] for ch in serving)
                elif recruit_lever and math.isfinite(cm.lever_lead[recruit_lever[0], li]):
                    lead = float(cm.lever_lead[recruit_lever[0], li]) * 12.0
                else:
                    lead = None
                names = sorted(ch[0] for ch in serving) + sorted(
                    m
                    for m, first, last in recruit_measures.get((level, area), [])
                    if first <= year <= last
                )
                out["year"].append(int(year))
                out["level"].append(level)
                out["area"].append(area)
                out["available_years"].append(available)
                out["domestic_lead_years"].append(
                    float(domestic_lead[li]) if math.isfinite(domestic_lead[li]) else None
                )
                out["need"].append(float(need[t, c]))
                out["recruited"].append(float(recruited[t, c]))
                out["unmet"].append(float(unmet[t, c]))
                # the recruits a year the channels would have to deliver to leave nothing open
                out["cap_needed"].append(float(recruited[t, c] + unmet[t, c]))
                out["lead_time_months"].append(lead)
                out["channels"].append(";".join(names))
    return pl.DataFrame(
        out,
        schema={
            "year": pl.Int64,
            "level": pl.Utf8,
            "area": pl.Utf8,
            "available_years": pl.Float64,
            "domestic_lead_years": pl.Float64,
            "need": pl.Float64,
            "recruited": pl.Float64,
            "unmet": pl.Float64,
            "cap_needed": pl.Float64,
            "lead_time_months": pl.Float64,
            "channels": pl.Utf8,
        },
    )


Cells = dict[tuple[str, str], list[str]]


def _pointing(inputs: Inputs) -> tuple[Cells, Cells]:
    """Education offers and counted measures per (level, area) cell they add supply to."""
    offers: dict[tuple[str, str], list[str]] = {}
    level_of = {
        str(r["id"]): str(r["target_level"] or r["level"])
        for r in inputs["education_offers"].iter_rows(named=True)
    }
    for r in inputs["offer_areas"].iter_rows(named=True):
        oid = str(r["offer"])
        if oid in level_of:
            offers.setdefault((level_of[oid], str(r["area"])), []).append(oid)
    measures: dict[tuple[str, str], list[str]] = {}
    ids = set(counted(inputs["measures"])["id"].to_list())
    for r in inputs["measure_targets"].iter_rows(named=True):
        if str(r["measure"]) in ids:
            measures.setdefault((str(r["level"]), str(r["area"])), []).append(str(r["measure"]))
    return offers, measures


def _rule_matches(
    rule: Mapping[str, Any], horizon: str, level: str, short: float, share: float
) -> bool:
    """Whether a rule's conditions hold for a gap (blank conditions always hold)."""
    horizons = [h.strip() for h in str(rule["horizons"] or "").split(";") if h.strip()]
    levels = list(rule["levels"] or [])
    return (
        (not horizons or horizon in horizons)
        and (not levels or level in levels)
        and short >= float(rule["min_shortage"] or 0.0)
        and share >= float(rule["min_share"] or 0.0)
    )


def recommendations(
    cm: Compiled, ens: Ensemble, inputs: Inputs, squeeze: pl.DataFrame
) -> pl.DataFrame:
    """One row per significant gap: each level × area cell whose mean shortage first exceeds
    ``recommendation_min_shortage`` in some year, with the first matching rule's lever,
    commandment and reasons, and the offers and counted measures that point at the cell."""
    tax = cm.tax
    L, A = len(tax.levels), len(tax.areas)
    T = len(cm.years)
    threshold = inputs.parameter("recommendation_min_shortage")
    draws = max(int(ens.target.shape[0]), 1)
    openings = ens.flows["openings"].sum(axis=0, dtype=np.float64) / draws  # (T, C)
    ordered = squeeze  # rows in taxonomy order: year, then level, then area (horizons.py)
    short = ordered["shortage_mean"].to_numpy().reshape(T, L, A)
    horizon = np.array(ordered["horizon"].to_list(), dtype=object).reshape(T, L, A)
    rules = inputs["recommendation_rules"].sort("priority", "id").to_dicts()
    lv = inputs["education_levels"]
    level_name = {
        str(c): (str(en), str(nb))
        for c, en, nb in zip(lv["code"], lv["name_en"], lv["name_nb"], strict=True)
    }
    ar = inputs["competence_areas"]
    area_name = {
        str(c): (str(en), str(nb))
        for c, en, nb in zip(ar["code"], ar["name_en"], ar["name_nb"], strict=True)
    }
    offers, measures = _pointing(inputs)
    recruited = ens.sums["abroad_recruited"] / draws  # (T, C) mean recruits from abroad
    rows: list[dict[str, object]] = []
    for li, level in enumerate(tax.levels):
        for ai, area in enumerate(tax.areas):
            above = np.flatnonzero(short[:, li, ai] > threshold)
            if not above.size:
                continue
            t = int(above[0])
            year = int(cm.years[t])
            s = float(short[t, li, ai])
            opened = float(openings[t, li * A + ai])
            share = s / opened if opened > 0 else 1.0
            h = str(horizon[t, li, ai])
            available = float(year - cm.base_year) + 0.5
            rule = next((r for r in rules if _rule_matches(r, h, level, s, share)), None)
            leads = {code: float(cm.lever_lead[v, li]) for v, code in enumerate(cm.lever_codes)}
            reasons: dict[str, str | None] = {"en": None, "nb": None}
            if rule is not None:
                langs: tuple[Lang, Lang] = ("en", "nb")
                for lang in langs:
                    i = 0 if lang == "en" else 1
                    values = {
                        "shortage": format_number(round(s), lang),
                        "share": format_number(round(100 * share), lang)
                        + ("\u00a0%" if lang == "nb" else "%"),
                        "level": level_name.get(level, (level, level))[i],
                        "area": area_name.get(area, (area, area))[i],
                        "year": str(year),
                        "horizon": HORIZON_WORDS.get(h, (h, h))[i],
                        "available_years": format_number(available, lang),
                        "lead_years": format_number(leads.get(str(rule["lever"]), math.inf), lang),
                        **{f"lead_{c}": format_number(v, lang) for c, v in leads.items()},
                    }
                    reasons[lang] = str(rule[f"reason_{lang}"]).format_map(values)
            rows.append(
                {
                    "year": year,
                    "level": level,
                    "area": area,
                    "shortage": s,
                    "share": share,
                    "horizon": h,
                    "available_years": available,
                    # where only recruitment abroad is in time (or nothing), the gap is net of
                    # the channels' caps: the recruits a year they would have to deliver
                    "cap_needed": float(recruited[t, li * A + ai]) + s
                    if h in ("short", "none")
                    else None,
                    "lever": rule["lever"] if rule else None,
                    "commandment": rule["commandment"] if rule else None,
                    "rule": rule["id"] if rule else None,
                    "reason_nb": reasons["nb"],
                    "reason_en": reasons["en"],
                    "offers": ";".join(sorted(offers.get((level, area), []))),
                    "measures": ";".join(sorted(set(measures.get((level, area), [])))),
                }
            )
    schema = {
        "year": pl.Int64,
        "level": pl.Utf8,
        "area": pl.Utf8,
        "shortage": pl.Float64,
        "share": pl.Float64,
        "horizon": pl.Utf8,
        "available_years": pl.Float64,
        "cap_needed": pl.Float64,
        "lever": pl.Utf8,
        "commandment": pl.Int64,
        "rule": pl.Utf8,
        "reason_nb": pl.Utf8,
        "reason_en": pl.Utf8,
        "offers": pl.Utf8,
        "measures": pl.Utf8,
    }
    df = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return df.sort("year", "level", "area")
