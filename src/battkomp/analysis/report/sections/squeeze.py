"""The time squeeze: which horizon must carry each year's shortage (the protected ``squeeze``
table)."""

from __future__ import annotations

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.report.common import (
    number_text,
    percent_text,
    year_ranges,
)
from battkomp.analysis.report.structure import Builder, Cell, Section, Year
from battkomp.core.charts import horizon_labels, squeeze_chart
from battkomp.engine.schema import HORIZON_ORDER


def squeeze_by_year(table: pl.DataFrame) -> dict[int, dict[str, Cell]]:
    """Per year of the protected ``squeeze`` table: the expected shortage each horizon must carry
    (None where suppressed; 0 where no cell of the year falls to that horizon)."""
    out: dict[int, dict[str, Cell]] = {}
    for row in table.iter_rows(named=True):
        cells = out.setdefault(int(row["year"]), dict.fromkeys(HORIZON_ORDER, 0.0))
        if row["horizon"] not in cells:
            continue
        hidden = row["suppressed"] or row["shortage_mean"] is None
        cells[row["horizon"]] = None if hidden else float(row["shortage_mean"])
    return dict(sorted(out.items()))


def complete_years(by_year: dict[int, dict[str, Cell]]) -> dict[int, dict[str, float]]:
    """The years with every horizon published."""
    return {
        y: {h: float(v) for h, v in cells.items() if v is not None}
        for y, cells in by_year.items()
        if all(v is not None for v in cells.values())
    }


def _main_horizon(cells: dict[str, float]) -> str | None:
    """The horizon that must carry most of a year's shortage (None when there is none)."""
    if sum(cells.values()) <= 0:
        return None
    return max(HORIZON_ORDER, key=lambda h: (cells[h], -HORIZON_ORDER.index(h)))


def squeeze_blocks(b: Builder, section: Section, table: pl.DataFrame, dot: str) -> None:
    """The time squeeze from the protected ``squeeze`` table: text, a numbered table and a
    figure."""
    labels = horizon_labels()
    by_year = squeeze_by_year(table)
    full = complete_years(by_year)
    section.blocks.append(("h", gettext("The time squeeze")))
    section.blocks.append(
        (
            "p",
            gettext(
                "Each year's expected shortage falls to the horizon of the slowest lever that can "
                "still deliver in time: education (long term) where it can, else retraining and "
                "modules (medium term), else recruitment from abroad (short term). What no lever "
                "can close in time is shown as “%(none)s”. %(dot)s"
            )
            % {"none": labels["none"], "dot": dot},
        )
    )
    if full:
        sums = {h: sum(c[h] for c in full.values()) for h in HORIZON_ORDER}
        total = sum(sums.values())
        years = sorted(full)
        section.blocks.append(
            (
                "p",
                gettext(
                    "Over the years published in full (%(years)s) the expected shortage adds up "
                    "to %(total)s persons: %(short)s must be recruited from abroad, %(medium)s "
                    "retrained or given modules, and %(long)s educated."
                )
                % {
                    "years": year_ranges(years),
                    "total": number_text(total),
                    "short": number_text(sums["short"]),
                    "medium": number_text(sums["medium"]),
                    "long": number_text(sums["long"]),
                },
            )
        )
        if round(sums["none"]) > 0:
            late = [y for y in years if full[y]["none"] > 0]
            text = gettext(
                "No lever closes %(none)s persons of it (%(percent)s per cent) in time: the "
                "shortage of %(years)s opens before even recruitment from abroad can deliver."
            ) % {
                "none": number_text(sums["none"]),
                "percent": percent_text(sums["none"], total),
                "years": year_ranges(late),
            }
        else:
            text = gettext(
                "Every shortage of these years can be met in time by at least one lever."
            )
        section.blocks.append(("p", text))
        runs: list[tuple[str, list[int]]] = []
        for y in years:
            main = _main_horizon(full[y])
            if main is None:
                continue
            if runs and runs[-1][0] == main:
                runs[-1][1].append(y)
            else:
                runs.append((main, [y]))
        if runs:
            parts = "; ".join(
                gettext("%(years)s: %(horizon)s") % {"years": year_ranges(ys), "horizon": labels[h]}
                for h, ys in runs
            )
            section.blocks.append(
                (
                    "p",
                    gettext("The horizon that must carry most of the shortage, year by year: ")
                    + parts
                    + ".",
                )
            )
    rows: list[list[Cell]] = []
    for year, cells in by_year.items():
        values = [cells[h] for h in HORIZON_ORDER]
        complete = all(v is not None for v in values)
        total_cell: Cell = float(sum(v for v in values if v is not None)) if complete else None
        main: Cell = None
        if complete:
            found = _main_horizon({h: float(cells[h] or 0.0) for h in HORIZON_ORDER})
            main = labels[found] if found else "–"
        rows.append([Year(year), *values, total_cell, main])
    section.blocks.append(
        b.table(
            gettext(
                "The time squeeze: the expected shortage each horizon must carry, per year (means)"
            ),
            [
                gettext("Year"),
                *[labels[h] for h in HORIZON_ORDER],
                gettext("Total"),
                gettext("Carries most"),
            ],
            rows,
        )
    )
    published = table.filter(~pl.col("suppressed") & pl.col("shortage_mean").is_not_null())
    if published.height:
        chart = squeeze_chart(published.select("year", "horizon", "shortage_mean"))
        section.blocks.append(
            b.figure(
                gettext(
                    "The time squeeze: the expected shortage per year by the horizon that must "
                    "carry it (means)"
                ),
                str(chart.svg),
            )
        )
