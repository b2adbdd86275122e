"""The recommendations: a lever and a commandment for each published significant gap."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.utils.translation import gettext, ngettext

from battkomp.analysis.report.common import (
    Context,
    cell_order,
    is_hidden,
    split_codes,
    titled_list,
)
from battkomp.analysis.report.structure import Cell, Section, Year
from battkomp.core.codes import label


def recommendation_rows(table: pl.DataFrame) -> list[dict[str, Any]]:
    """The published recommendations in order (year, level, area), numbered from 1."""
    rows = sorted(table.iter_rows(named=True), key=cell_order())
    out = []
    for i, row in enumerate(rows, start=1):
        commandment = row.get("commandment")
        out.append(
            {
                **row,
                "number": i,
                "commandment": None if commandment is None else int(commandment),
            }
        )
    return out


def recommendation_label(row: dict[str, Any]) -> str:
    return gettext("no. %(number)s (%(area)s, %(level)s, from %(year)s)") % {
        "number": row["number"],
        "area": label("area", str(row["area"])),
        "level": label("level", str(row["level"])),
        "year": row["year"],
    }


def recommendations_section(c: Context) -> Section:
    """A lever and a commandment for each published significant gap (``recommendations``)."""
    recs = c.recs
    section = Section("recommendations", gettext("Recommendations"))
    section.blocks.append(
        (
            "p",
            gettext(
                "For each significant gap, a level and competence area whose expected shortage "
                "grows beyond the threshold in some year, rules that read the time squeeze "
                "recommend a lever and the commandment it serves, from the year the gap opens. "
                "Gaps whose cells cannot be published are left out, and the reasons are written "
                "from the published numbers only. Each recommendation lists the education offers "
                "and the counted measures that already point at its cell."
            ),
        )
    )
    if recs is None:
        section.blocks.append(
            (
                "p",
                gettext(
                    "The recommendations are not among this snapshot's protected tables, so they "
                    "are not shown here."
                ),
            )
        )
        return section
    if not recs:
        section.blocks.append(
            ("p", gettext("No significant gap of this snapshot can be published."))
        )
        return section
    suffix = "nb" if c.lang == "nb" else "en"
    lever_names = {
        str(r["code"]): str(r[f"name_{suffix}"]) for r in c.inputs["levers"].iter_rows(named=True)
    }
    by_commandment: dict[int, int] = {}
    for r in recs:
        if r["commandment"] is not None:
            by_commandment[r["commandment"]] = by_commandment.get(r["commandment"], 0) + 1
    counts = ", ".join(
        gettext("commandment %(number)s: %(count)s") % {"number": n, "count": c}
        for n, c in sorted(by_commandment.items())
    )
    section.blocks.append(
        (
            "p",
            (
                gettext(
                    "One recommendation is published, for %(first)s; by commandment: %(counts)s."
                )
                if len(recs) == 1
                else gettext(
                    "%(count)s recommendations are published, the first for %(first)s and the "
                    "last for %(last)s; by commandment: %(counts)s."
                )
            )
            % {
                "count": len(recs),
                "first": recs[0]["year"],
                "last": recs[-1]["year"],
                "counts": counts or "–",
            },
        )
    )
    _table(c, section, recs, lever_names)
    _reasons(c, section, recs)
    return section


def _table(
    c: Context, section: Section, recs: list[dict[str, Any]], lever_names: dict[str, str]
) -> None:
    """The recommendations as a numbered table, with the offers and measures pointing at each."""
    rows: list[list[Cell]] = []
    for r in recs:
        n_offers = len(split_codes(r.get("offers")))
        pointing = [
            ngettext("%(count)s offer", "%(count)s offers", n_offers) % {"count": n_offers}
            if n_offers
            else "",
            titled_list(r.get("measures"), c.titles),
        ]
        lever = r.get("lever")
        rows.append(
            [
                r["number"],
                Year(int(r["year"])),
                label("level", str(r["level"])),
                label("area", str(r["area"])),
                None if is_hidden(r, "shortage") else float(r["shortage"]),
                lever_names.get(str(lever), str(lever)) if lever else "–",
                "–" if r["commandment"] is None else r["commandment"],
                "; ".join(x for x in pointing if x) or "–",
            ]
        )
    section.blocks.append(
        c.b.table(
            gettext(
                "Recommendations: the gap, the year it opens, the lever and the commandment, and "
                "the offers and measures that point at it"
            ),
            [
                gettext("No."),
                gettext("Opens"),
                gettext("Education level"),
                gettext("Competence area"),
                gettext("Shortage (persons a year)"),
                gettext("Lever"),
                gettext("Commandment"),
                gettext("Offers and measures"),
            ],
            rows,
            small=True,
        )
    )


def _reasons(c: Context, section: Section, recs: list[dict[str, Any]]) -> None:
    """Each recommendation's reason, written from the published numbers, and what points at it."""
    suffix = "nb" if c.lang == "nb" else "en"
    section.blocks.append(("h", gettext("Reasons")))
    for r in recs:
        reason = r.get(f"reason_{suffix}")
        if is_hidden(r, "shortage") or not reason:
            reason = gettext("No reason can be published for this gap.")
        text = gettext("Recommendation %(label)s: %(reason)s") % {
            "label": recommendation_label(r),
            "reason": reason,
        }
        offers = titled_list(r.get("offers"), c.titles)
        measures = titled_list(r.get("measures"), c.titles)
        text += " " + (
            gettext("Offers pointing at it: %(list)s.") % {"list": offers}
            if offers
            else gettext("No education offer points at it yet.")
        )
        text += " " + (
            gettext("Measures pointing at it: %(list)s.") % {"list": measures}
            if measures
            else gettext("No counted measure points at it yet.")
        )
        section.blocks.append(("p", text))
