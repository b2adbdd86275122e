"""The model's national results: demand, supply, the gaps with the time squeeze, and the
uncertainty of the gap and the shortage."""

from __future__ import annotations

from django.utils.translation import gettext

from battkomp.analysis.report.common import (
    Context,
    bars_svg,
    present_order,
    published_only,
    stat,
    supply_of,
)
from battkomp.analysis.report.sections.risk import risk_blocks
from battkomp.analysis.report.sections.squeeze import squeeze_blocks
from battkomp.analysis.report.structure import Section, Year
from battkomp.core.charts import gap_band_chart, supply_source_labels, supply_sources
from battkomp.core.codes import label


def demand_section(c: Context) -> Section:
    """National demand per year, by education level and by competence area."""
    b = c.b
    totals = c.totals
    by_level = c.table("by_level")
    by_area = c.table("by_area")
    years = c.years
    all_years = c.all_years
    key = c.key
    dot = c.dot
    demand = Section("demand", gettext("Demand"))
    if totals is not None:
        demand.blocks.append(
            (
                "p",
                gettext(
                    "National demand per year: jobs created by the facilities, the headcount the "
                    "model staffs, and the openings (expansion and replacement). %(dot)s"
                )
                % {"dot": dot},
            )
        )
        metrics = ("direct_jobs", "headcount", "expansion", "replacement", "openings")
        demand.blocks.append(
            b.table(
                gettext("National demand per year (means of the draws)"),
                [
                    gettext("Year"),
                    gettext("Direct jobs"),
                    label("metric", "headcount"),
                    label("metric", "expansion"),
                    label("metric", "replacement"),
                    label("metric", "openings"),
                ],
                [[Year(y)] + [stat(totals, y, m) for m in metrics] for y in all_years],
            )
        )
    if by_level is not None:
        levels = present_order(by_level, "level")
        demand.blocks.append(
            b.table(
                gettext("Openings by education level in selected years (means)"),
                [gettext("Education level"), *[str(y) for y in key]],
                [
                    ([label("level", lv)] + [stat(by_level, y, "openings", level=lv) for y in key])
                    for lv in levels
                ],
            )
        )
        bars = []
        names_lv = [label("level", lv) for lv in levels]
        for y in years:
            for i, lv in enumerate(levels):
                v = stat(by_level, y, "openings", level=lv)
                if v is not None:
                    bars.append({"year": str(y), "series": names_lv[i], "value": v, "rank": i})
        if bars:
            desc = gettext("Stacked bar chart: openings per year by education level (means).")
            demand.blocks.append(
                b.figure(
                    gettext("Openings per year by education level (means)"),
                    bars_svg(bars, names_lv, "report-levels", desc),
                )
            )
    if by_area is not None:
        areas = present_order(by_area, "area")
        demand.blocks.append(
            b.table(
                gettext("Openings by competence area in selected years (means)"),
                [gettext("Competence area"), *[str(y) for y in key]],
                [
                    [label("area", a)] + [stat(by_area, y, "openings", area=a) for y in key]
                    for a in areas
                ],
            )
        )
    return demand


def supply_section(c: Context) -> Section:
    """Supply per year by source."""
    b = c.b
    totals = c.totals
    years = c.years
    all_years = c.all_years
    supply = Section("supply", label("metric", "supply"))
    if totals is not None:
        sources = supply_sources(totals)
        labels = supply_source_labels()
        source_names = [labels[m] for m in sources]
        supply.blocks.append(
            (
                "p",
                gettext(
                    "Candidates per year by source: graduates captured by the battery industry, "
                    "workers released where a cell shrinks by more than its replacement, "
                    "retrained workers, recruits from other industries and from abroad, and the "
                    "places of agreed and running measures. The sources add up to the total."
                ),
            )
        )
        supply.blocks.append(
            b.table(
                gettext("Supply per year by source (means of the draws)"),
                [gettext("Year"), *source_names, gettext("Total")],
                [
                    ([Year(y)] + [stat(totals, y, m) for m in sources] + [supply_of(totals, y)])
                    for y in all_years
                ],
            )
        )
        bars = [
            {"year": str(y), "series": source_names[i], "value": v, "rank": i}
            for y in years
            for i, m in enumerate(sources)
            for v in [stat(totals, y, m)]
            if v is not None
        ]
        if bars:
            desc = gettext("Stacked bar chart: supply per year by source (means).")
            supply.blocks.append(
                b.figure(
                    gettext("Supply per year by source (means)"),
                    bars_svg(bars, source_names, "report-supply", desc),
                )
            )
    return supply


def gaps_section(c: Context) -> Section:
    """Openings, supply, gap and shortage per year, and the time squeeze."""
    b = c.b
    totals = c.totals
    by_level = c.table("by_level")
    all_years = c.all_years
    key = c.key
    dot = c.dot
    gaps = Section("gaps", gettext("Gaps and the time squeeze"))
    if totals is not None:
        gaps.blocks.append(
            b.table(
                gettext("Openings, supply, gap and shortage per year (means of the draws)"),
                [
                    gettext("Year"),
                    label("metric", "openings"),
                    label("metric", "supply"),
                    label("metric", "gap"),
                    label("metric", "shortage"),
                ],
                [
                    [Year(y), stat(totals, y, "openings"), supply_of(totals, y)]
                    + [stat(totals, y, m) for m in ("gap", "shortage")]
                    for y in all_years
                ],
            )
        )
        published = published_only(totals).drop("suppressed")
        if published.height:
            chart = gap_band_chart(published)
            gaps.blocks.append(
                b.figure(
                    gettext(
                        "National openings, supply and gap per year (means), with the gap's "
                        "P10–P90 band"
                    ),
                    str(chart.svg),
                )
            )
    if by_level is not None and key:
        levels = present_order(by_level, "level")
        gaps.blocks.append(
            b.table(
                gettext("Shortage by education level in selected years (means)"),
                [gettext("Education level"), *[str(y) for y in key]],
                [
                    ([label("level", lv)] + [stat(by_level, y, "shortage", level=lv) for y in key])
                    for lv in levels
                ],
            )
        )
    squeeze = c.table("squeeze")
    if squeeze is not None:
        squeeze_blocks(b, gaps, squeeze, dot)
    else:
        gaps.blocks.append(
            (
                "p",
                gettext(
                    "The time squeeze (which horizon must carry each gap) is not among this "
                    "snapshot's protected tables, so it is not shown here."
                ),
            )
        )
    return gaps


def uncertainty_section(c: Context) -> Section:
    """The P10–P90 bands of the national gap and shortage."""
    b = c.b
    totals = c.totals
    all_years = c.all_years
    unc = Section("uncertainty", gettext("Uncertainty"))
    unc.blocks.append(
        (
            "p",
            gettext(
                "P10, P50 and P90 are the 10th, 50th and 90th percentiles of the draws: in one "
                "draw of ten the result is below P10, in one of ten above P90, so the band from "
                "P10 to P90 holds eight draws of ten. P50 is the median. Means add up across "
                "years, levels and areas; percentiles do not."
            ),
        )
    )
    if totals is not None:
        unc.blocks.append(
            b.table(
                gettext("The national gap and shortage per year: P10, P50 and P90"),
                [
                    gettext("Year"),
                    gettext("Gap, P10"),
                    gettext("Gap, P50"),
                    gettext("Gap, P90"),
                    gettext("Shortage, P10"),
                    gettext("Shortage, P50"),
                    gettext("Shortage, P90"),
                ],
                [
                    [Year(y)]
                    + [
                        stat(totals, y, m, s)
                        for m in ("gap", "shortage")
                        for s in ("p10", "p50", "p90")
                    ]
                    for y in all_years
                ],
            )
        )
    # what if the planned plants are built, or not
    risk_blocks(c, unc)
    return unc
