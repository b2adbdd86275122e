"""What if the planned plants are built, or not (in the uncertainty section): the firm base, each
planned facility's effect with its probability, and the chance of a shortage above given levels
(the protected ``conditional`` and ``exceedance`` tables)."""

from __future__ import annotations

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.report.common import Context
from battkomp.analysis.report.structure import Cell, Section


def risk_blocks(c: Context, section: Section) -> None:
    """What if the planned plants are (not) built: the firm base, each planned facility's effect
    with its probability, and the chance of a shortage above given levels."""
    b, names = c.b, c.names
    if "conditional" not in names and "exceedance" not in names:
        return
    section.blocks.append(("h", gettext("What if the planned plants are built, or not")))
    section.blocks.append(
        (
            "p",
            gettext(
                "The shortage summed over the years, in all draws, in the draws where no plant "
                "beyond those operating or under construction is built (the firm base), and with "
                "and without each planned plant. Probabilities are shares of the draws; a "
                "plant's effect includes what tends to come with it, since plants are built or "
                "abandoned together."
            ),
        )
    )
    if "conditional" in names:
        cond = c.table("conditional")
        views = {
            "all": gettext("All draws"),
            "firm_base": gettext("Firm base only"),
        }
        rows: list[list[Cell]] = []
        for r in cond.iter_rows(named=True):
            if r.get("suppressed"):
                continue
            name = views.get(str(r["view"])) or gettext("With %(facility)s") % {
                "facility": r.get("facility_name") or r["facility"]
            }
            rows.append(
                [
                    name,
                    r["probability"],
                    r["shortage_p50"],
                    r["shortage_p10"],
                    r["shortage_p90"],
                    r["shortage_mean"],
                    r["effect"],
                ]
            )
        if rows:
            section.blocks.append(
                b.table(
                    gettext("Shortage over the horizon by what is built"),
                    [
                        gettext("View"),
                        gettext("Probability"),
                        gettext("Median (P50)"),
                        "P10",
                        "P90",
                        gettext("Mean"),
                        gettext("Effect on the mean"),
                    ],
                    rows,
                    exact=True,
                )
            )
        else:
            section.blocks.append(
                (
                    "p",
                    gettext(
                        "The conditional views are suppressed: a year of the national results "
                        "is not published."
                    ),
                )
            )
    if "exceedance" in names:
        ex = c.table("exceedance").filter(
            pl.col("year").is_null() & ~pl.col("suppressed").fill_null(True)
        )
        if ex.height:
            section.blocks.append(
                b.table(
                    gettext("Probability that the shortage over the horizon exceeds a level"),
                    [gettext("More than (persons)"), gettext("Probability")],
                    [[float(r["threshold"]), r["probability"]] for r in ex.iter_rows(named=True)],
                    exact=True,
                )
            )
