"""The key figures at the top of the public dashboard, each with a plain sentence: the peak
shortage, the year the gap opens, the education level and competence area most short, and what
no lever closes in time. Read from the same protected tables as the charts (published rows
only) under the same filters, so a figure never shows what a chart must hide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils.translation import gettext, ngettext

from battkomp.analysis.dashboards.public_rows import (
    bottleneck_table,
    level_table,
    published_only,
    squeeze_rows,
)
from battkomp.analysis.models import Publication
from battkomp.analysis.runs.queries import mean_outside_shown
from battkomp.core.codes import label
from battkomp.core.numbers import format_number, language
from battkomp.engine.numbers import format_range


@dataclass(frozen=True)
class KeyFigure:
    name: str
    title: str
    value: str
    sentence: str
    is_number: bool = True


def _persons(value: float) -> str:
    n = round(value)
    return ngettext("%(n)s person", "%(n)s persons", n) % {"n": format_number(n, 0)}


def _years(table: pl.DataFrame, f: dict[str, Any]) -> pl.DataFrame:
    lo, hi = f.get("year_from"), f.get("year_to")
    if lo not in (None, ""):
        table = table.filter(pl.col("year") >= lo)
    if hi not in (None, ""):
        table = table.filter(pl.col("year") <= hi)
    return table


def _span(table: pl.DataFrame) -> str:
    first, last = int(table["year"].min()), int(table["year"].max())  # type: ignore[arg-type]
    return str(first) if first == last else f"{first}–{last}"


def key_figures(p: Publication, f: dict[str, Any]) -> list[KeyFigure]:
    totals = _years(published_only(p.table("totals")), f)
    figures: list[KeyFigure] = []

    shortage = totals.filter(pl.col("metric") == "shortage").sort("year")
    if shortage.height:
        peak = shortage.sort(["mean", "year"], descending=[True, False]).row(0, named=True)
        sentence = gettext(
            "In %(year)s: openings that supply does not fill, summed over the levels and areas "
            "that lack people (mean of the model's draws; P10–P90: %(band)s)."
        ) % {"year": peak["year"], "band": format_range(peak["p10"], peak["p90"], language())}
        if peak.get("mean_outside_band") or mean_outside_shown(
            peak["mean"], peak["p10"], peak["p90"]
        ):
            sentence += " " + gettext(
                "The mean lies outside that band: a few draws with a large shortage pull it up; "
                "half of the draws give %(median)s or less (the median)."
            ) % {"median": _persons(peak["p50"])}
        figures.append(
            KeyFigure(
                "peak",
                gettext("Peak shortage"),
                _persons(peak["mean"]),
                sentence,
            )
        )

    gap = totals.filter(pl.col("metric") == "gap").sort("year")
    if gap.height:
        opens = gap.filter(pl.col("mean") > 0)
        if opens.height:
            year = int(opens["year"][0])
            figures.append(
                KeyFigure(
                    "opens",
                    gettext("The gap opens"),
                    str(year),
                    gettext(
                        "The first year in which openings exceed supply nationally (means of the "
                        "draws)."
                    ),
                )
            )
        else:
            figures.append(
                KeyFigure(
                    "opens",
                    gettext("The gap opens"),
                    gettext("Not nationally"),
                    is_number=False,
                    sentence=gettext(
                        "Nationally, supply exceeds openings in every year shown (%(years)s): a "
                        "surplus in total. The shortage lies in particular education levels and "
                        "competence areas, which a surplus elsewhere does not fill."
                    )
                    % {"years": _span(gap)},
                )
            )

    levels = level_table(p, f)
    if levels.height:
        summed = levels.group_by("level").agg(pl.col("mean").sum())
        top = summed.sort(["mean", "level"], descending=[True, False]).row(0, named=True)
        if top["mean"] > 0:
            figures.append(
                KeyFigure(
                    "level",
                    gettext("Level most short"),
                    label("level", top["level"]),
                    gettext(
                        "The education level with the largest shortage: %(n)s persons summed "
                        "over %(years)s."
                    )
                    % {"n": format_number(top["mean"], 0), "years": _span(levels)},
                    is_number=False,
                )
            )

    areas = bottleneck_table(p, f)
    if areas.height and areas["shortage"][0] > 0:
        top = areas.row(0, named=True)
        figures.append(
            KeyFigure(
                "area",
                gettext("Area most short"),
                label("area", top["area"]),
                gettext(
                    "The competence area with the largest shortage among those that can be "
                    "published: %(n)s persons summed over the years shown."
                )
                % {"n": format_number(top["shortage"], 0)},
                is_number=False,
            )
        )

    squeeze = squeeze_rows(p, f)
    if squeeze.height:
        none = float(squeeze.filter(pl.col("horizon") == "none")["shortage_mean"].sum())
        total = float(squeeze["shortage_mean"].sum())
        figures.append(
            KeyFigure(
                "none",
                gettext("No lever in time"),
                _persons(none),
                gettext(
                    "Of the expected shortage summed over %(years)s (%(total)s persons), this "
                    "much comes too soon for any lever: neither recruiting from abroad, "
                    "retraining nor educating can close it in time."
                )
                % {"years": _span(squeeze), "total": format_number(total, 0)},
            )
        )
    return figures
