"""The appendix: the engine's default tables (parameters with their sources) and disclosure
control."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext

from battkomp.analysis.publishing.queries import quality_summary
from battkomp.analysis.report.common import (
    Context,
)
from battkomp.analysis.report.structure import Cell, Section
from battkomp.core.codes import label
from battkomp.core.terms import column_name, parameter_name, unit_name

#: The default tables printed in the appendix, in order.
APPENDIX_TABLES = (
    "labour_intensity",
    "ramp",
    "capture_share",
    "levers",
    "multipliers",
    "parameters",
)


#: The columns of the appendix's tables that hold codes, and the kind that names them.
_CODED = {"segment": "segment", "level": "level", "horizon": "horizon", "levels": "level"}


def _raw(value: Any, column: str = "") -> Cell:
    """A cell of an engine table for reading: codes named (the terminology source), level
    codes inside a source's text written as "NKR 4"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if column in _CODED:
        items = value if isinstance(value, list | tuple) else [value]
        return "; ".join(label(_CODED[column], str(v)) for v in items)
    if isinstance(value, str):
        return re.sub(r"\bnkr(\d)\b", r"NKR \1", value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def appendix_section(c: Context) -> Section:
    """The engine's default tables with their sources, and how disclosure control works."""
    b = c.b
    lang = c.lang
    inputs = c.inputs
    appendix = Section("appendix", gettext("Appendix: parameters and sources"))
    appendix.blocks.append(
        (
            "p",
            gettext(
                "The default tables of the model: mode and range of each uncertain parameter, "
                "and the source of every number (“assumption” where no published figure exists)."
            ),
        )
    )
    captions = {
        "labour_intensity": gettext("Labour intensity: jobs per GWh of capacity, by segment"),
        "ramp": gettext("Staffing ramp: share of full staffing by year since start"),
        "capture_share": gettext(
            "Capture share: share of graduates who go to the battery industry, by level"
        ),
        "levers": gettext("Levers: horizon and lead time"),
        "multipliers": gettext("Multipliers: indirect and induced jobs per direct job"),
        "parameters": gettext("Other parameters"),
    }
    other = "name_en" if lang == "nb" else "name_nb"
    for name in APPENDIX_TABLES:
        frame = inputs[name]
        # the lever's code is named by its name column
        frame = frame.drop(
            [c for c in frame.columns if c == other or (c == "code" and name == "levers")]
        )
        rows = [
            [_raw(v, col) for v, col in zip(r, frame.columns, strict=True)]
            for r in frame.iter_rows()
        ]
        if name == "parameters":
            # the parameters and their units by name, not by the bundle's codes
            named = {"name": parameter_name, "unit": unit_name}
            rows = [
                [
                    named[col](str(v)) if col in named and isinstance(v, str) else v
                    for v, col in zip(r, frame.columns, strict=True)
                ]
                for r in rows
            ]
        # "mode" is a distribution's most likely value here, not a mode of study
        header = [column_name("mode_value" if c == "mode" else c) for c in frame.columns]
        appendix.blocks.append(b.table(captions[name], header, rows, small=True, exact=True))
    appendix.blocks.append(("h", gettext("Disclosure control")))
    noise = quality_summary(c.p)
    if noise is None:
        # the rules of suppression alone, for a snapshot made without noise; a snapshot protected
        # by noise infusion is described by the paragraph below instead
        appendix.blocks.append(
            (
                "p",
                gettext(
                    "Every number in this report comes from the snapshot's protected tables, so "
                    "that no single company's answers can be read from it. A cell is suppressed "
                    "when too few organisations contribute to it, or when one or two "
                    "organisations make up nearly all of it. Further cells are suppressed across "
                    "the hierarchy (area, parent area and total; level and total; years) so that "
                    "no suppressed cell can be recovered by subtraction. A year of the model's "
                    "results is suppressed as a whole when the survey's answers could dominate it."
                ),
            )
        )
    if noise is not None:
        appendix.blocks.append(
            (
                "p",
                gettext(
                    "Noise infusion: before the model runs for publication, each company's "
                    "answers are multiplied by a secret factor of its own, between 11 and 20 per "
                    "cent above or below one, the same in every publication (the method of the US "
                    "Census Bureau's County Business Patterns). Every number made from the "
                    "answers, in every table and every publication, therefore carries noise, and "
                    "no company's answers can be worked out, not even by comparing publications. "
                    "Cells are suppressed only where the noise of two or more companies cancels "
                    "and would not protect them. Each row of the downloads has a quality flag for "
                    "the share of it that is noise."
                ),
            )
        )
        meanings = {
            "G": gettext("less than 2 per cent noise"),
            "H": gettext("2 to 5 per cent noise"),
            "J": gettext("5 per cent or more noise"),
        }
        appendix.blocks.append(
            b.table(
                gettext("Quality flags of the published rows"),
                [gettext("Flag"), gettext("Meaning"), gettext("Share of rows (%)")],
                [[flag, meanings[flag], float(noise[flag])] for flag in ("G", "H", "J")],
                small=True,
                exact=True,
            )
        )
    appendix.blocks.append(
        (
            "p",
            gettext(
                "Suppressed cells are shown as “·”. The thresholds of the rules are not published."
            ),
        )
    )
    return appendix
