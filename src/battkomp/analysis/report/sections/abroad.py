"""Recruitment from abroad: the need only recruitment from abroad can meet in time."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext, ngettext

from battkomp.analysis.report.common import (
    Context,
    bars_svg,
    cell_order,
    is_hidden,
    number_text,
    percent_text,
    titled_list,
    year_ranges,
)
from battkomp.analysis.report.structure import Cell, Section, Year
from battkomp.core.codes import label

#: The numbers of a row of ``abroad`` (suppressed together).
NUMBERS = ("need", "recruited", "unmet")


def abroad_section(c: Context) -> Section:
    """The need only recruitment from abroad can meet in time (the protected ``abroad`` table)."""
    section = Section("abroad", gettext("Recruitment from abroad (the short term, commandment 7)"))
    section.blocks.append(
        (
            "p",
            gettext(
                "Where no domestic lever (retraining, modules or education) can deliver in time, "
                "what domestic supply leaves open must be recruited from abroad, or it stays "
                "unmet. Per year, education level and competence area: that need, what the "
                "recruitment channels and the recruitment measures fill, what stays unmet, and "
                "the lead time of the fastest route in months. %(dot)s"
            )
            % {"dot": c.dot},
        )
    )
    abroad = c.table("abroad")
    if abroad is None:
        section.blocks.append(
            (
                "p",
                gettext(
                    "Recruitment from abroad is not among this snapshot's protected tables, so it "
                    "is not shown here."
                ),
            )
        )
        return section
    records = sorted(abroad.iter_rows(named=True), key=cell_order())
    if not records:
        section.blocks.append(
            (
                "p",
                gettext(
                    "In this snapshot domestic supply can meet every need in time: nothing must "
                    "be recruited from abroad."
                ),
            )
        )
        return section
    shown = [r for r in records if not is_hidden(r, *NUMBERS)]
    years = sorted({int(r["year"]) for r in records})
    section.blocks.append(("p", _summary(records, shown, years)))
    _table(c, section, abroad, records)
    _figure(c, section, shown, years)
    return section


def _summary(records: list[dict[str, Any]], shown: list[dict[str, Any]], years: list[int]) -> str:
    """The need abroad in words: the cells, what is recruited, the lead times and the largest
    unmet need (``shown``: the published rows)."""
    sums = {col: sum(float(r[col]) for r in shown) for col in NUMBERS}
    leads = [float(r["lead_time_months"]) for r in shown if r["lead_time_months"] is not None]
    text = ngettext(
        "In %(years)s domestic supply cannot be in time in %(cells)s cell of level and area. "
        "In the published cells it leaves %(need)s persons to be found abroad; the channels and "
        "measures recruit %(recruited)s of them (%(percent)s per cent), and %(unmet)s stay unmet.",
        "In %(years)s domestic supply cannot be in time in %(cells)s cells of level and area. "
        "In the published cells it leaves %(need)s persons to be found abroad; the channels and "
        "measures recruit %(recruited)s of them (%(percent)s per cent), and %(unmet)s stay unmet.",
        len(records),
    ) % {
        "years": year_ranges(years),
        "cells": len(records),
        "need": number_text(sums["need"]),
        "recruited": number_text(sums["recruited"]),
        "percent": percent_text(sums["recruited"], sums["need"]),
        "unmet": number_text(sums["unmet"]),
    }
    if leads:
        low, high = number_text(min(leads)), number_text(max(leads))
        text += " " + (
            gettext("Recruiting takes %(low)s months.") % {"low": low}
            if low == high
            else gettext("Recruiting takes from %(low)s to %(high)s months.")
            % {"low": low, "high": high}
        )
    if shown and round(sums["unmet"]) > 0:
        worst = max(shown, key=lambda r: (float(r["unmet"]), -int(r["year"])))
        text += " " + gettext(
            "The largest unmet need is %(value)s persons in %(area)s at level %(level)s in "
            "%(year)s."
        ) % {
            "value": number_text(float(worst["unmet"])),
            "area": label("area", str(worst["area"])),
            "level": label("level", str(worst["level"])),
            "year": worst["year"],
        }
    if len(shown) < len(records):
        hidden_count = len(records) - len(shown)
        text += " " + ngettext(
            "%(count)s cell is suppressed and left out of these sums.",
            "%(count)s cells are suppressed and left out of these sums.",
            hidden_count,
        ) % {"count": hidden_count}
    return text


def _table(
    c: Context, section: Section, abroad: pl.DataFrame, records: list[dict[str, Any]]
) -> None:
    """The rows of ``abroad`` as a numbered table (rows whose numbers all round to zero left
    out, and counted in a note)."""
    channels = "channels" in abroad.columns
    rows: list[list[Cell]] = []
    small = 0
    for r in records:
        hidden = is_hidden(r, *NUMBERS)
        if not hidden and all(round(float(r[col])) == 0 for col in NUMBERS):
            small += 1
            continue
        lead = r["lead_time_months"]
        row: list[Cell] = [
            Year(int(r["year"])),
            label("level", str(r["level"])),
            label("area", str(r["area"])),
            *[None if hidden else float(r[col]) for col in NUMBERS],
            (None if hidden else "–") if lead is None else float(lead),
        ]
        if channels:
            row.append(titled_list(r["channels"], c.titles) or "–")
        rows.append(row)
    columns = [
        gettext("Year"),
        gettext("Education level"),
        gettext("Competence area"),
        gettext("Need"),
        gettext("Recruited"),
        gettext("Unmet"),
        gettext("Lead time (months)"),
    ]
    if channels:
        columns.append(gettext("Channels and measures"))
    section.blocks.append(
        c.b.table(
            gettext(
                "Need that only recruitment from abroad can meet in time, what is recruited and "
                "what stays unmet, by year, education level and competence area (means)"
            ),
            columns,
            rows,
            small=True,
        )
    )
    if small:
        section.blocks.append(
            (
                "p",
                ngettext(
                    "%(count)s published cell where every number rounds to zero is left out of "
                    "the table (it is counted in the sums above).",
                    "%(count)s published cells where every number rounds to zero are left out of "
                    "the table (they are counted in the sums above).",
                    small,
                )
                % {"count": small},
            )
        )


def _figure(c: Context, section: Section, shown: list[dict[str, Any]], years: list[int]) -> None:
    """Recruited and unmet need per year, summed over the published cells, as a figure."""
    series = [gettext("Recruited"), gettext("Unmet")]
    bars = []
    for y in years:
        of_year = [r for r in shown if int(r["year"]) == y]
        if not of_year:
            continue
        for i, col in enumerate(("recruited", "unmet")):
            bars.append(
                {
                    "year": str(y),
                    "series": series[i],
                    "value": sum(r[col] for r in of_year),
                    "rank": i,
                }
            )
    if bars:
        desc = gettext(
            "Stacked bar chart: per year, the need only recruitment from abroad can meet in time, "
            "split into recruited and unmet (means of the published cells)."
        )
        section.blocks.append(
            c.b.figure(
                gettext(
                    "Need only recruitment from abroad can meet in time, per year: recruited and "
                    "unmet (means, summed over the published cells)"
                ),
                bars_svg(bars, series, "report-abroad", desc),
            )
        )
