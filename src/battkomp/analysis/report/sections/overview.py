"""The report's opening sections: the summary with the key numbers, and the method."""

from __future__ import annotations

from django.utils.translation import gettext

from battkomp.analysis.report.common import (
    Context,
    stat,
    supply_of,
)
from battkomp.analysis.report.sections.backtest import backtest_blocks
from battkomp.analysis.report.structure import Cell, Section, Year
from battkomp.core.codes import label


def summary_section(c: Context) -> Section:
    """The summary: what the report estimates, and the key numbers of selected years."""
    b = c.b
    totals = c.totals
    key = c.key
    summary = Section("summary", gettext("Summary"))
    summary.blocks.append(
        (
            "p",
            gettext(
                "This report estimates how many people the battery industry in Norway needs, "
                "with which education and competence, and how many the education system, "
                "retraining and recruitment can supply. The difference is the gap. Every number "
                "comes from a Monte Carlo simulation: the median (P50) is the centre, with the "
                "P10–P90 band showing the uncertainty; means are used where parts must add up to "
                "a whole."
            ),
        )
    )
    if totals is not None and not key:
        summary.blocks.append(
            (
                "p",
                gettext(
                    "No year of this snapshot's national results could be published without "
                    "revealing a single company's answers; the tables below are suppressed."
                ),
            )
        )
    if totals is not None:
        rows: list[list[Cell]] = []
        indicators = (
            ("direct_jobs", gettext("Direct jobs")),
            ("openings", label("metric", "openings")),
            ("supply", label("metric", "supply")),
            ("shortage", label("metric", "shortage")),
        )
        outside: list[str] = []
        for year in key:
            for metric, name in indicators:
                if metric == "supply" and stat(totals, year, "supply") is None:
                    rows.append([Year(year), name, None, None, None, supply_of(totals, year)])
                    continue
                values = [stat(totals, year, metric, s) for s in ("p50", "p10", "p90", "mean")]
                rows.append([Year(year), name, *values])
                _p50, p10, p90, mean = values
                if None not in (p10, p90, mean) and not (
                    float(p10) - 1e-9 <= float(mean) <= float(p90) + 1e-9  # type: ignore[arg-type]
                ):
                    outside.append(f"{name} {year}")
        summary.blocks.append(
            b.table(
                gettext(
                    "Key numbers for selected years: median of the draws with the P10–P90 band, "
                    "and the mean"
                ),
                [
                    gettext("Year"),
                    gettext("Indicator"),
                    gettext("Median (P50)"),
                    "P10",
                    "P90",
                    gettext("Mean"),
                ],
                rows,
            )
        )
        if outside:
            summary.blocks.append(
                (
                    "p",
                    gettext(
                        "The mean lies outside the P10–P90 band for %(cells)s: a few draws with "
                        "large plants pull it up, so it describes no likely outcome; read the "
                        "median and the band."
                    )
                    % {"cells": ", ".join(outside)},
                )
            )
    return summary


def method_section(c: Context) -> Section:
    """The method and its sources, in words."""
    p = c.p
    method = Section("method", gettext("Method and sources"))
    for text in (
        gettext(
            "Demand. The need for workers is derived from the production capacity of the battery "
            "facilities (existing and planned, each weighted by the probability that it is "
            "realised and delayed as the scenario says), multiplied by the labour intensity of "
            "its segment (jobs per GWh) and a staffing ramp, and split into roles, education "
            "levels and competence areas. Openings are the growth in headcount plus the "
            "replacement of those who leave."
        ),
        gettext(
            "Survey. The needs the companies reported in the survey are reconciled with the "
            "capacity-based estimate: where a company has answered, its reported new hires take "
            "the place of the estimate for its facilities and years."
        ),
        gettext(
            "Supply. Candidates come from three sources: graduates of relevant education "
            "programmes (of whom the battery industry captures a share), retraining of workers "
            "with transferable competence, and recruitment from other industries and from abroad."
        ),
        gettext(
            "Gap. The gap is openings minus supply. The shortage is the positive part of the gap "
            "in each education level and competence area, summed, so that a surplus in one area "
            "does not hide a shortage in another."
        ),
        gettext(
            "Time squeeze. Recruitment works in the short term, retraining in the medium term and "
            "education only in the long term. The time squeeze asks which horizon must carry each "
            "gap, and what no lever can close in time."
        ),
        gettext(
            "Uncertainty. The uncertain inputs (labour intensity, ramp, capture shares, "
            "multipliers, which facilities are realised and when) are drawn at random many times "
            "(Monte Carlo); every figure is read off the draws: P10, P50 and P90 are their "
            "percentiles, and which central value a table shows is said below."
        ),
        gettext(
            "Realisation risk. Whether a facility is built, how late, and how much of its plan "
            "is built come from defaults for its status (announced, investment decision, under "
            "construction, operating, paused, cancelled), estimated from European battery plants "
            "outside Norway (Transport & Environment's risk assessments of 2023 and 2024 and the "
            "histories of plants such as Northvolt, Britishvolt, ACC and SVOLT). An operating "
            "plant is counted in full; a facility's own evidence can override its defaults. Plants "
            "tend to fail together, so one common market factor moves them, recruitment from "
            "abroad and graduates' interest together."
        ),
        gettext(
            "Central values. Tables show the median of the draws with the P10–P90 band. Means "
            "are used where parts must add up to a whole (segments, counties, coverage, the "
            "conditional views); a mean outside its band is pointed out. The figures by segment "
            "and county are computed inside every draw and add up to the national figure."
        ),
        gettext(
            "Sources. The parameters, their ranges and their sources are listed in the appendix."
        ),
    ):
        method.blocks.append(("p", text))
    backtest_blocks(c.b, method)
    if p.run.meta.get("contains_synthetic_data"):
        method.blocks.append(
            (
                "p",
                gettext(
                    "Note: the survey answers in this run are synthetic, made up for the "
                    "demonstration. They are not real companies' answers."
                ),
            )
        )
    return method
