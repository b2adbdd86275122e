"""What the report's sections share: the context they are built from (:class:`Context`) and
small helpers that read cells of the protected tables and write numbers, years and names as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.models import Publication
from battkomp.analysis.report.structure import Builder, Cell, display_cell
from battkomp.core.charts import render_svg, supply_sources, year_series_spec
from battkomp.core.numbers import format_number


def published_only(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(~pl.col("suppressed"))


def stat(frame: pl.DataFrame, year: int, metric: str, name: str = "mean", **keys: str) -> Cell:
    """One statistic (``name``: mean, p10, p50, p90) of a protected table (None where suppressed
    or missing)."""
    cond = (pl.col("year") == year) & (pl.col("metric") == metric)
    for k, v in keys.items():
        cond = cond & (pl.col(k) == v)
    rows = frame.filter(cond)
    if not rows.height or rows["suppressed"][0] or rows[name][0] is None:
        return None
    return float(rows[name][0])


def supply_of(frame: pl.DataFrame, year: int) -> Cell:
    value = stat(frame, year, "supply")
    if value is not None:
        return value
    parts = [stat(frame, year, m) for m in supply_sources(frame)]
    if not parts or any(p is None for p in parts):
        return None
    return float(sum(parts))  # type: ignore[arg-type]


def key_years(years: list[int]) -> list[int]:
    """The first published year, four and nine years on, and the last."""
    if not years:
        return []
    first = years[0]
    wanted = [first, first + 4, first + 9, years[-1]]
    return sorted({y for y in wanted if y in years})


def year_series_svg(
    rows: list[dict[str, Any]], order: list[str], name: str, description: str, *, lines: bool
) -> str:
    """A chart of persons per year and series (rows: year, series, value; and rank for bars):
    stacked bars, or lines with points."""
    spec = year_series_spec(
        rows,
        order,
        lines=lines,
        y_title=gettext("Persons"),
        legend={"orient": "top"} if lines else {"orient": "top", "columns": 3},
        width=520,
        height=240 if lines else 260,
    )
    return str(render_svg(spec, name=name, description=description))


def bars_svg(rows: list[dict[str, Any]], order: list[str], name: str, description: str) -> str:
    """A stacked bar chart per year (rows: year, series, value, rank)."""
    return year_series_svg(rows, order, name, description, lines=False)


def lines_svg(rows: list[dict[str, Any]], order: list[str], name: str, description: str) -> str:
    """A line chart per year (rows: year, series, value)."""
    return year_series_svg(rows, order, name, description, lines=True)


def split_codes(value: Any) -> list[str]:
    """A list of codes from a list or a ";"-separated text."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    return [str(v) for v in items if v]


def present_order(frame: pl.DataFrame, column: str) -> list[str]:
    present = [str(c) for c in frame[column].unique().to_list() if c is not None]
    try:
        from battkomp.core.codes import codes

        order = list(codes(column))
    except KeyError:
        order = []
    return [c for c in order if c in present] + sorted(set(present) - set(order))


def year_ranges(years: list[int]) -> str:
    """Years as runs: "2026–2028, 2031"."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def number_text(value: float) -> str:
    return display_cell(value)[0]


def percent_text(part: float, whole: float) -> str:
    share = 100 * part / whole if whole > 0 else 0.0
    return format_number(round(share), 0)


def all_codes(kind: str) -> list[str]:
    try:
        from battkomp.core.codes import codes

        return list(codes(kind))
    except KeyError:
        return []


def measure_titles(ids: set[str]) -> dict[str, str]:
    """The titles of the public measures (agreed, running or done) among bundle ids "m<pk>";
    and the names of the recruitment channels from abroad (``rc_...``); any other id (a measure
    that is not public, a bundle's own id) is shown as it is."""
    from battkomp.core.codes import channel_name

    channels = {i: name for i in ids if (name := channel_name(i))}
    pks = [int(i[1:]) for i in ids if re.fullmatch(r"m\d+", i)]
    if not pks:
        return channels
    from battkomp.measures.access import public_measures

    # in the report's language, or the other one marked as such
    return channels | {m.bundle_id: m.title.marked for m in public_measures().filter(pk__in=pks)}


def offer_titles(ids: set[str]) -> dict[str, str]:
    """The names of education offers (public) by their bundle id: the offer's code, or
    "offer-<pk>" for an offer without one; unknown ids are shown as they are."""
    if not ids:
        return {}
    from django.db.models import Q

    from battkomp.offers.models import Offer

    pks = [int(i[6:]) for i in ids if re.fullmatch(r"offer-\d+", i)]
    found = Offer.objects.select_related("institution").filter(Q(code__in=ids) | Q(pk__in=pks))
    out: dict[str, str] = {}
    for offer in found:
        name = f"{offer.name.marked} ({offer.institution.name})"
        if offer.code in ids:
            out[offer.code] = name
        if f"offer-{offer.pk}" in ids:
            out[f"offer-{offer.pk}"] = name
    return out


def titled_list(value: Any, titles: dict[str, str]) -> str:
    """A ";"-joined list of ids as text, measures by their public title."""
    return "; ".join(titles.get(c, c) for c in split_codes(value))


def is_hidden(row: dict[str, Any], *columns: str) -> bool:
    """Is a row of a protected table suppressed (or any of its numbers missing)?"""
    return bool(row.get("suppressed")) or any(row.get(c) is None for c in columns)


def cell_order() -> Callable[[dict[str, Any]], tuple[int, int, int, str]]:
    """A sort key for rows of a protected table by year, education level and competence area
    (levels and areas in the order of their codes)."""
    levels, areas = all_codes("level"), all_codes("area")

    def rank(row: dict[str, Any]) -> tuple[int, int, int, str]:
        lv, ar = str(row["level"]), str(row["area"])
        return (
            int(row["year"]),
            levels.index(lv) if lv in levels else len(levels),
            areas.index(ar) if ar in areas else len(areas),
            ar,
        )

    return rank


@dataclass
class Context:
    """One report in the making: the publication, its language, the numbering of its tables and
    figures, and what the sections read (each protected table read once)."""

    p: Publication
    lang: str
    b: Builder
    #: the engine's default tables (commandments, levers, role profiles, the appendix)
    inputs: Any
    #: "Suppressed cells are shown as …" in the report's language
    dot: str
    names: set[str] = field(default_factory=set)
    #: the published recommendations, numbered (None if the snapshot has no such table)
    recs: list[dict[str, Any]] | None = None
    #: the names of the measures and offers the tables refer to, by bundle id
    titles: dict[str, str] = field(default_factory=dict)
    _tables: dict[str, pl.DataFrame | None] = field(default_factory=dict)

    def table(self, name: str) -> pl.DataFrame | None:
        """A protected table of the publication (None if it has none)."""
        if name not in self._tables:
            self._tables[name] = self.p.table(name) if name in self.names else None
        return self._tables[name]

    @property
    def totals(self) -> pl.DataFrame | None:
        return self.table("totals")

    @property
    def all_years(self) -> list[int]:
        """Every year of the national totals, published or not."""
        totals = self.totals
        return [] if totals is None else sorted({int(y) for y in totals["year"].to_list()})

    @property
    def years(self) -> list[int]:
        """The years whose national totals are published."""
        totals = self.totals
        if totals is None:
            return []
        return sorted({int(y) for y in published_only(totals)["year"].to_list()})

    @property
    def key(self) -> list[int]:
        """The selected years of the key-number tables (see :func:`key_years`)."""
        return key_years(self.years)
