"""The protected tables of what acts on the gap: what each counted measure adds
(``measure_effects``), recruitment from abroad (``abroad``) and the recommendations
(``recommendations``, their reasons written again from the published numbers). Each follows the
cells ``by_area_level`` publishes."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Any

import polars as pl

from battkomp.engine.advice import format_number

#: The columns of the protected ``measure_effects``, ``abroad`` and ``recommendations`` tables.
MEASURE_EFFECT_COLUMNS = ("measure", "year", "level", "area", "supply", "suppressed")


ABROAD_COLUMNS = (
    "year",
    "level",
    "area",
    "need",
    "recruited",
    "unmet",
    "cap_needed",
    "lead_time_months",
    "available_years",
    "domestic_lead_years",
    "channels",
    "suppressed",
)


#: The numbers of ``abroad`` that are null in a suppressed row.
ABROAD_NUMBERS = ("need", "recruited", "unmet", "cap_needed", "lead_time_months")


RECOMMENDATION_COLUMNS = (
    "year",
    "level",
    "area",
    "horizon",
    "lever",
    "commandment",
    "rule",
    "reason_nb",
    "reason_en",
    "offers",
    "measures",
    "shortage",
    "suppressed",
)


def published_cells(area_level: pl.DataFrame) -> set[tuple[int, str, str]]:
    """(year, area, level) of the cells the protected ``by_area_level`` publishes."""
    shown = area_level.filter(~pl.col("suppressed")).select("year", "area", "level").unique()
    return {(int(y), str(a), str(lv)) for y, a, lv in shown.rows()}


def _cell_flags(frame: pl.DataFrame, cells: set[tuple[int, str, str]]) -> pl.Series:
    """True for each row of ``frame`` whose (year, area, level) cell is not in ``cells``."""
    return pl.Series(
        "suppressed",
        [
            (int(y), str(a), str(lv)) not in cells
            for y, a, lv in frame.select("year", "area", "level").rows()
        ],
        dtype=pl.Boolean,
    )


#: The measure levers whose supply arrives whether or not jobs wait (places × completion, and
#: for ``educate`` the capture share): it carries no survey answer.
FIXED_LEVERS = ("educate", "retrain", "evu_module")


def measure_effects_table(
    frame: pl.DataFrame,
    cells: set[tuple[int, str, str]],
    years: set[int],
    fixed: Iterable[str] = (),
) -> pl.DataFrame:
    """The protected ``measure_effects`` table. The supply of a ``recruit_abroad`` measure is
    what the channels leave of the cell's shortfall (up to its capacity), so it carries the
    cell's openings and with them the survey's answers: it is published where ``by_area_level``
    publishes the cell (``cells``). The measures in ``fixed`` (known to be of a kind in
    :data:`FIXED_LEVERS`) add places that carry no answer: they are published in every year
    whose ``totals`` are (``years``). Without ``fixed``, every measure follows the cell."""
    known = set(fixed)
    flag = pl.Series(
        "suppressed",
        [
            (int(y) not in years) or (m not in known and (int(y), str(a), str(lv)) not in cells)
            for m, y, a, lv in frame.select("measure", "year", "area", "level").rows()
        ],
        dtype=pl.Boolean,
    )
    return frame.with_columns(
        pl.when(flag).then(None).otherwise(pl.col("supply")).alias("supply"), flag
    ).select(*MEASURE_EFFECT_COLUMNS)


def abroad_table(frame: pl.DataFrame, cells: set[tuple[int, str, str]]) -> pl.DataFrame:
    """The protected ``abroad`` table: a row's need, recruits, unmet need and lead time are
    published where ``by_area_level`` publishes its cell, else null (``suppressed``); the
    not confidential columns (time available, domestic lead time, channels) stay."""
    if "cap_needed" not in frame.columns:  # a run from before the caps needed were reported
        frame = frame.with_columns((pl.col("recruited") + pl.col("unmet")).alias("cap_needed"))
    flag = _cell_flags(frame, cells)
    return frame.with_columns(
        *[pl.when(flag).then(None).otherwise(pl.col(c)).alias(c) for c in ABROAD_NUMBERS],
        flag,
    ).select(*ABROAD_COLUMNS)


_FORMATTER = string.Formatter()


def _template_pattern(template: str) -> re.Pattern[str] | None:
    """A regular expression matching the text of ``template`` filled in, with a named group
    for each placeholder (the same group again where a placeholder repeats)."""
    parts = ["^"]
    seen: set[str] = set()
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        return None
    for literal, field, _spec, _conv in parsed:
        parts.append(re.escape(literal))
        if field is None:
            continue
        if not field.isidentifier():
            return None
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
        seen.add(field)
    parts.append("$")
    return re.compile("".join(parts), re.DOTALL)


def rerender_reason(
    reason: str | None, template: str | None, shortage: float, share: float, lang: str
) -> str | None:
    """The engine's ``reason`` (``template`` filled in) with its ``{shortage}`` and ``{share}``
    replaced by the published ones; the other placeholders (level, area, year, horizon, time
    available, lead times) come from inputs that hold no survey answer and are kept. None when
    the reason does not match its template (nothing unprotected is ever passed on)."""
    if not reason or not template:
        return None
    pattern = _template_pattern(template)
    found = pattern.match(reason) if pattern else None
    if found is None:
        return None
    values = dict(found.groupdict())
    values["shortage"] = format_number(round(shortage), "nb" if lang == "nb" else "en")
    percent = format_number(round(100 * share), "nb" if lang == "nb" else "en")
    values["share"] = percent + ("\u00a0%" if lang == "nb" else "%")
    return template.format_map(values)


def recommendations_table(
    frame: pl.DataFrame, area_level: pl.DataFrame, rules: pl.DataFrame | None
) -> pl.DataFrame:
    """The protected ``recommendations`` table: only the rows whose cell (the year the gap
    opens, area, level) ``by_area_level`` publishes (a hidden cell's row is left out whole, as
    its existence, lever and horizon would speak of it); ``shortage`` is the published mean
    shortage of the cell, and the reasons are filled in again with it and with the share of the
    cell's published openings (``rules``: the ``recommendation_rules`` the reasons came from)."""
    cells = published_cells(area_level)
    means = {
        (int(y), str(a), str(lv), str(m)): v
        for y, a, lv, m, v in area_level.filter(~pl.col("suppressed"))
        .select("year", "area", "level", "metric", "mean")
        .rows()
    }
    templates: dict[str, tuple[str, str]] = {}
    if rules is not None:
        for r in rules.iter_rows(named=True):
            templates[str(r["id"])] = (str(r["reason_nb"] or ""), str(r["reason_en"] or ""))
    rows: list[dict[str, Any]] = []
    for r in frame.iter_rows(named=True):
        key = (int(r["year"]), str(r["area"]), str(r["level"]))
        shortage = means.get((*key, "shortage"))
        if key not in cells or shortage is None:
            continue
        openings = means.get((*key, "openings")) or 0.0
        share = shortage / openings if openings > 0 else 1.0
        nb, en = templates.get(str(r["rule"]), (None, None)) if r["rule"] else (None, None)
        rows.append(
            {
                **{c: r[c] for c in ("year", "level", "area", "horizon", "lever")},
                "commandment": r["commandment"],
                "rule": r["rule"],
                "reason_nb": rerender_reason(r["reason_nb"], nb, shortage, share, "nb"),
                "reason_en": rerender_reason(r["reason_en"], en, shortage, share, "en"),
                "offers": r["offers"],
                "measures": r["measures"],
                "shortage": float(shortage),
                "suppressed": False,
            }
        )
    schema = {
        "year": pl.Int64,
        "level": pl.Utf8,
        "area": pl.Utf8,
        "horizon": pl.Utf8,
        "lever": pl.Utf8,
        "commandment": pl.Int64,
        "rule": pl.Utf8,
        "reason_nb": pl.Utf8,
        "reason_en": pl.Utf8,
        "offers": pl.Utf8,
        "measures": pl.Utf8,
        "shortage": pl.Float64,
        "suppressed": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema).select(*RECOMMENDATION_COLUMNS)
