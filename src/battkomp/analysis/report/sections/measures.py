"""The counted measures: the gap with and without them, and what each adds to the supply."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext

from battkomp.analysis.report.common import (
    Context,
    all_codes,
    bars_svg,
    is_hidden,
    key_years,
    lines_svg,
    number_text,
    stat,
    year_ranges,
)
from battkomp.analysis.report.structure import Cell, Section, Year
from battkomp.core.codes import label


def measures_section(c: Context) -> Section:
    """The gap with and without the counted measures (``totals``) and what each measure adds
    (``measure_effects``)."""
    section = Section("measures", gettext("Measures"))
    section.blocks.append(
        (
            "p",
            gettext(
                "Registered measures that are agreed or running add supply: study places, "
                "retraining and module places, and capacity to recruit from abroad. The model "
                "computes each year's gap both with and without them; the difference is what the "
                "measures change. It can be less than what they supply, where their places take "
                "the place of people who would otherwise have been retrained or recruited. %(dot)s"
            )
            % {"dot": c.dot},
        )
    )
    _gap_with_and_without(c, section)
    _measure_effects(c, section)
    return section


def _gap_with_and_without(c: Context, section: Section) -> None:
    """The national gap per year with and without the counted measures (from ``totals``)."""
    b, totals, all_years = c.b, c.totals, c.all_years
    metrics = set(totals["metric"].unique().to_list()) if totals is not None else set()
    if totals is not None and "gap_without_measures" in metrics:
        rows: list[list[Cell]] = []
        lines: list[dict[str, Any]] = []
        changes: dict[int, float] = {}
        series = [label("metric", "gap_without_measures"), gettext("Gap with measures")]
        for y in all_years:
            without = stat(totals, y, "gap_without_measures")
            gap = stat(totals, y, "gap")
            change: Cell = None
            if isinstance(without, float) and isinstance(gap, float):
                change = without - gap
                changes[y] = change
                lines += [
                    {"year": str(y), "series": series[0], "value": without},
                    {"year": str(y), "series": series[1], "value": gap},
                ]
            rows.append([Year(y), without, gap, change, stat(totals, y, "measure_supply")])
        if changes:
            best = max(sorted(changes), key=lambda y: changes[y])
            section.blocks.append(
                (
                    "p",
                    gettext(
                        "In the years published (%(years)s) the counted measures reduce the "
                        "national gap by %(total)s persons in all, most in %(year)s "
                        "(%(value)s persons)."
                    )
                    % {
                        "years": year_ranges(sorted(changes)),
                        "total": number_text(sum(changes.values())),
                        "year": best,
                        "value": number_text(changes[best]),
                    },
                )
            )
        section.blocks.append(
            b.table(
                gettext(
                    "The national gap with and without the counted measures, per year (means of "
                    "the draws)"
                ),
                [
                    gettext("Year"),
                    label("metric", "gap_without_measures"),
                    gettext("Gap with measures"),
                    gettext("Change by the measures"),
                    gettext("Supply from the measures"),
                ],
                rows,
            )
        )
        if lines:
            desc = gettext("Line chart: the national gap per year with and without the measures.")
            section.blocks.append(
                b.figure(
                    gettext("The national gap per year with and without the counted measures"),
                    lines_svg(lines, series, "report-measures-gap", desc),
                )
            )
    elif totals is not None:
        section.blocks.append(
            (
                "p",
                gettext(
                    "This snapshot counts no measures (none agreed or running when it was run), "
                    "so there is no gap without measures to compare with."
                ),
            )
        )


def _measure_effects(c: Context, section: Section) -> None:
    """What each counted measure adds to the supply (``measure_effects``): text, a table and a
    figure."""
    b, effects, titles = c.b, c.table("measure_effects"), c.titles
    if effects is None:
        section.blocks.append(
            (
                "p",
                gettext(
                    "What each measure adds is not among this snapshot's protected tables, so it "
                    "is not shown here."
                ),
            )
        )
        return
    # per measure and year: the supply it adds in all its cells (None if a cell is suppressed)
    per: dict[str, dict[int, Cell]] = {}
    cells: dict[str, dict[str, list[str]]] = {}  # measure → level → areas
    for row in effects.sort("measure", "year").iter_rows(named=True):
        m = str(row["measure"])
        of_measure = per.setdefault(m, {})
        y = int(row["year"])
        value = None if is_hidden(row, "supply") else float(row["supply"])
        old = of_measure.get(y, 0.0)
        of_measure[y] = None if value is None or old is None else float(old) + value
        aimed = cells.setdefault(m, {}).setdefault(str(row["level"]), [])
        if str(row["area"]) not in aimed:
            aimed.append(str(row["area"]))
    if not per:
        section.blocks.append(
            ("p", gettext("This snapshot counts no measures, so no measure adds supply."))
        )
        return
    order = sorted(per, key=lambda m: (str(titles.get(m, m)).lower(), m))
    years = sorted({y for v in per.values() for y in v})
    key = key_years(years)
    rows = []
    for i, m in enumerate(order, start=1):
        values = per[m]
        complete = all(v is not None for v in values.values())
        whole: Cell = float(sum(float(v or 0.0) for v in values.values())) if complete else None
        rows.append(
            [i, titles.get(m, m), _aimed_at(cells[m])] + [values.get(y, 0.0) for y in key] + [whole]
        )
    published = [r[-1] for r in rows if isinstance(r[-1], float)]
    section.blocks.append(
        (
            "p",
            ngettext(
                "%(count)s measure is counted. The table shows what it adds to the supply in the "
                "cells it is aimed at, in selected years and summed over %(years)s; published in "
                "full, it adds %(total)s persons.",
                "%(count)s measures are counted. The table shows what each adds to the supply in "
                "the cells it is aimed at, in selected years and summed over %(years)s; together "
                "the measures published in full add %(total)s persons.",
                len(order),
            )
            % {
                "count": len(order),
                "years": year_ranges(years),
                "total": number_text(sum(published)),
            },
        )
    )
    section.blocks.append(
        b.table(
            gettext("What each counted measure adds to the supply (means of the draws)"),
            [
                gettext("No."),
                gettext("Measure"),
                gettext("Aimed at"),
                *[str(y) for y in key],
                gettext("All years"),
            ],
            rows,
            small=True,
        )
    )
    names = [str(r[1]) for r in rows]
    bars = [
        {"year": str(y), "series": names[i], "value": v, "rank": i}
        for i, m in enumerate(order)
        for y, v in sorted(per[m].items())
        if isinstance(v, float) and v > 0
    ]
    if bars:
        desc = gettext("Stacked bar chart: the supply each counted measure adds per year (means).")
        section.blocks.append(
            b.figure(
                gettext("The supply the counted measures add per year, by measure (means)"),
                bars_svg(bars, names, "report-measures", desc),
            )
        )


def _aimed_at(cells: dict[str, list[str]]) -> str:
    """A measure's target cells as "level: area, area; level: area"."""
    levels = all_codes("level")
    return "; ".join(
        f"{label('level', lv)}: {', '.join(label('area', a) for a in areas)}"
        for lv, areas in sorted(
            cells.items(), key=lambda c: levels.index(c[0]) if c[0] in levels else len(levels)
        )
    )
