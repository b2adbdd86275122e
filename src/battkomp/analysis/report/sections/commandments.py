"""The ten commandments, with the shortage each addresses and the recommendations that name it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils.translation import gettext

from battkomp.analysis.report.common import (
    Context,
    all_codes,
    number_text,
    percent_text,
    split_codes,
    year_ranges,
)
from battkomp.analysis.report.sections.recommendations import recommendation_label
from battkomp.analysis.report.sections.squeeze import complete_years, squeeze_by_year
from battkomp.analysis.report.structure import Cell, Section
from battkomp.core.charts import horizon_labels
from battkomp.core.codes import label
from battkomp.engine.schema import HORIZON_ORDER


def _full_years(frame: pl.DataFrame, metric: str) -> pl.DataFrame:
    """The rows of ``metric`` in the years where every row of that metric is published."""
    rows = frame.filter(pl.col("metric") == metric)
    hidden = rows.filter(pl.col("suppressed") | pl.col("mean").is_null())["year"].unique()
    return rows.filter(~pl.col("year").is_in(hidden.to_list()))


def _area_level_shares(inputs: Any) -> dict[str, dict[str, float]]:
    """Per competence area, the share of each education level in it under the default role
    profiles, each role weighted by its average share of the default role mix (an engine default
    table, not survey data)."""
    mix = inputs["role_mix"].group_by("role").agg(pl.col("share").mean())
    weight = {str(r): float(s) for r, s in mix.iter_rows()}
    cells: dict[str, dict[str, float]] = {}
    for row in inputs["role_profile"].iter_rows(named=True):
        w = weight.get(str(row["role"]), 0.0) * float(row["share"])
        area = cells.setdefault(str(row["area"]), {})
        area[str(row["level"])] = area.get(str(row["level"]), 0.0) + w
    out: dict[str, dict[str, float]] = {}
    for area, levels in cells.items():
        total = sum(levels.values())
        if total > 0:
            out[area] = {lv: v / total for lv, v in levels.items()}
    return out


def _lower_first(text: str) -> str:
    """ "Recruit specialists" → "recruit specialists" (a name inside a sentence)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


@dataclass
class _Shortage:
    """The published shortage the commandments are read against."""

    #: horizon → the expected shortage it must carry, summed over the years published in full
    horizon_sums: dict[str, float] | None = None
    squeeze_years: list[int] = field(default_factory=list)
    #: education level → the published shortage, summed over the years published in full
    level_sums: dict[str, float] | None = None
    level_years: list[int] = field(default_factory=list)
    #: (year, area) → the published shortage, in the years with every area published
    area_cells: dict[tuple[int, str], float] = field(default_factory=dict)
    #: (year, area, level) → the published shortage of the cell (published cells only)
    cells_al: dict[tuple[int, str, str], float] = field(default_factory=dict)
    #: the time squeeze of the years with every horizon published (None: no squeeze table)
    squeeze_full: dict[int, dict[str, float]] | None = None
    #: area → level → the level's share of the area under the default role profiles
    shares: dict[str, dict[str, float]] = field(default_factory=dict)


def _shortage(c: Context) -> _Shortage:
    s = _Shortage(shares=_area_level_shares(c.inputs))
    squeeze, by_level = c.table("squeeze"), c.table("by_level")
    if squeeze is not None:
        s.squeeze_full = complete_years(squeeze_by_year(squeeze))
        if s.squeeze_full:
            s.squeeze_years = sorted(s.squeeze_full)
            s.horizon_sums = {h: sum(v[h] for v in s.squeeze_full.values()) for h in HORIZON_ORDER}
    if by_level is not None:
        rows_lv = _full_years(by_level, "shortage")
        if rows_lv.height:
            s.level_years = sorted({int(y) for y in rows_lv["year"].to_list()})
            s.level_sums = {
                str(lv): float(v)
                for lv, v in rows_lv.group_by("level").agg(pl.col("mean").sum()).iter_rows()
            }
    by_area_level, by_area = c.table("by_area_level"), c.table("by_area")
    if by_area_level is not None:
        rows_al = by_area_level.filter(
            (pl.col("metric") == "shortage") & ~pl.col("suppressed") & pl.col("mean").is_not_null()
        )
        s.cells_al = {
            (int(y), str(a), str(lv)): float(v)
            for y, a, lv, v in rows_al.select("year", "area", "level", "mean").rows()
        }
    elif by_area is not None:
        rows_ar = _full_years(by_area, "shortage")
        s.area_cells = {
            (int(y), str(a)): float(v) for y, a, v in rows_ar.select("year", "area", "mean").rows()
        }
    return s


@dataclass
class _Commandment:
    number: int
    name: str
    horizons: list[str]
    #: the levers it names itself (none: it is read through the levers of its horizons)
    own: list[str]
    levels: list[str]
    horizon_text: str
    lever_names: list[str]
    lever_text: str
    level_text: str


def _commandment(row: dict[str, Any], levers: dict[str, Any], suffix: str) -> _Commandment:
    """A commandment with its horizons, levers and the education levels those levers reach."""
    labels = horizon_labels()
    level_order = all_codes("level")
    horizons = split_codes(row["horizons"])
    own = split_codes(row["levers"])
    codes_ = own or [code for code, lv in levers.items() if lv["horizon"] in horizons]
    levels: list[str] = []
    for code in codes_:
        for lv in split_codes(levers.get(code, {}).get("levels")):
            if lv not in levels:
                levels.append(lv)
    levels.sort(key=lambda lv: level_order.index(lv) if lv in level_order else len(level_order))
    lever_names = [str(levers[x][f"name_{suffix}"]) if x in levers else x for x in codes_]
    return _Commandment(
        number=int(row["number"]),
        name=str(row[f"name_{suffix}"]),
        horizons=horizons,
        own=own,
        levels=levels,
        horizon_text="; ".join(labels.get(h, h) for h in horizons),
        lever_names=lever_names,
        lever_text="; ".join(_lower_first(n) for n in lever_names),
        level_text=", ".join(label("level", lv) for lv in levels),
    )


def _on_horizons_and_levels(cmd: _Commandment, s: _Shortage) -> tuple[Cell, Cell, Cell, Cell]:
    """The shortage on the commandment's horizons and in its levels, each with its per cent of
    all ("" where the snapshot cannot tell)."""
    on_horizons: Cell = ""  # no time squeeze in the snapshot: not applicable
    horizon_share: Cell = ""
    if s.horizon_sums is not None:
        on_horizons = float(sum(s.horizon_sums.get(h, 0.0) for h in cmd.horizons))
        whole = sum(s.horizon_sums.values())
        horizon_share = round(100 * on_horizons / whole) if whole > 0 else 0
    in_levels: Cell = ""
    level_share: Cell = ""
    if s.level_sums is not None:
        in_levels = float(sum(s.level_sums.get(lv, 0.0) for lv in cmd.levels))
        whole = sum(s.level_sums.values())
        level_share = round(100 * in_levels / whole) if whole > 0 else 0
    return on_horizons, horizon_share, in_levels, level_share


def _addressed(cmd: _Commandment, s: _Shortage) -> tuple[dict[str, float], list[str], list[int]]:
    """The published shortage per competence area that falls on the commandment's horizons and
    levels, its three largest bottlenecks, and the years they are summed over."""
    # each year's area shortage, times the share of that year's shortage that falls on the
    # commandment's horizons (all of it without a time squeeze), times the share of the area
    # that lies in its levels
    weights: dict[int, float] = {}
    for y in {k[0] for k in s.cells_al} | {k[0] for k in s.area_cells}:
        if s.squeeze_full is None:
            weights[y] = 1.0
        elif y in s.squeeze_full and sum(s.squeeze_full[y].values()) > 0:
            cells = s.squeeze_full[y]
            weights[y] = sum(cells[h] for h in cmd.horizons if h in cells) / sum(cells.values())
    addressed: dict[str, float] = {}
    for (y, a, lv), v in s.cells_al.items():
        if lv in cmd.levels:
            addressed[a] = addressed.get(a, 0.0) + v * weights.get(y, 0.0)
    for (y, a), v in s.area_cells.items():
        share = sum(s.shares.get(a, {}).get(lv, 0.0) for lv in cmd.levels)
        addressed[a] = addressed.get(a, 0.0) + v * weights.get(y, 0.0) * share
    top = [
        a for a in sorted(addressed, key=lambda a: (-addressed[a], a)) if round(addressed[a]) > 0
    ][:3]
    area_years = sorted({y for y, w in weights.items() if w > 0})
    return addressed, top, area_years


def _account(
    cmd: _Commandment,
    s: _Shortage,
    on_horizons: Cell,
    in_levels: Cell,
    addressed: tuple[dict[str, float], list[str], list[int]],
    recs: list[dict[str, Any]] | None,
) -> str:
    """The commandment's paragraph: what it reaches and the published shortage it speaks to
    (``addressed`` as :func:`_addressed` gives it)."""
    by_area, top, area_years = addressed
    text = [
        gettext(
            "It reaches the education levels %(levels)s through the levers %(levers)s, on "
            "the horizons %(horizons)s."
        )
        % {
            "horizons": cmd.horizon_text.lower(),
            "levers": cmd.lever_text,
            "levels": cmd.level_text,
        }
    ]
    if not cmd.own:
        text.append(
            gettext(
                "It names no lever of its own, so it is read through the levers of its horizons."
            )
        )
    if s.horizon_sums is not None and isinstance(on_horizons, float):
        text.append(
            gettext(
                "Of the expected shortage in %(years)s, %(value)s persons (%(percent)s per "
                "cent) fall to the horizons it serves."
            )
            % {
                "years": year_ranges(s.squeeze_years),
                "value": number_text(on_horizons),
                "percent": percent_text(on_horizons, sum(s.horizon_sums.values())),
            }
        )
    if s.level_sums is not None and isinstance(in_levels, float):
        text.append(
            gettext(
                "In the education levels it reaches, the published shortage adds up to "
                "%(value)s persons in %(years)s (%(percent)s per cent of the shortage in all "
                "levels)."
            )
            % {
                "years": year_ranges(s.level_years),
                "value": number_text(in_levels),
                "percent": percent_text(in_levels, sum(s.level_sums.values())),
            }
        )
    if top:
        text.append(
            gettext(
                "The largest bottlenecks it speaks to, with the part of their published "
                "shortage in %(years)s that falls on its horizons and levels (estimated): "
                "%(areas)s."
            )
            % {
                "years": year_ranges(area_years),
                "areas": ", ".join(f"{label('area', a)} ({number_text(by_area[a])})" for a in top),
            }
        )
    elif s.area_cells or s.cells_al:
        text.append(
            gettext(
                "No published bottleneck falls on its horizons and levels in the years "
                "published in full."
            )
        )
    if recs is not None:
        naming = [r for r in recs if r["commandment"] == cmd.number]
        if naming:
            text.append(
                gettext("Recommendations that name it (section “%(section)s”): %(list)s.")
                % {
                    "section": gettext("Recommendations"),
                    "list": "; ".join(recommendation_label(r) for r in naming),
                }
            )
        else:
            text.append(gettext("No published recommendation names it."))
    return " ".join(text)


def commandments_section(c: Context) -> Section:
    """The ten commandments (with the recommendations that name each)."""
    section = Section("commandments", gettext("The ten commandments"))
    section.blocks.append(
        (
            "p",
            gettext(
                "The industry's ten commandments for competence (Norsk Industri, BattKOMP), with "
                "the horizons they work on, the levers they pull and the education levels those "
                "levers reach. For each, the published shortage that falls on its horizons (from "
                "the time squeeze) and on its levels, summed over the years published in full, "
                "and the largest published bottlenecks it speaks to: the competence areas with "
                "the largest published shortage in its levels, each year weighted by the share "
                "of that year's shortage that falls on its horizons (where the snapshot has no "
                "table by area and level, the area's shortage is split over the levels by the "
                "default role profiles). The numbers show what a "
                "commandment addresses, not how much of it the commandment closes; horizons and "
                "levels overlap between commandments, so the numbers do not add up."
            ),
        )
    )
    suffix = "nb" if c.lang == "nb" else "en"
    levers = {r["code"]: r for r in c.inputs["levers"].iter_rows(named=True)}
    s = _shortage(c)
    overview: list[list[Cell]] = []
    gaps: list[list[Cell]] = []
    accounts: list[tuple[str, str]] = []
    for row in c.inputs["commandments"].sort("number").iter_rows(named=True):
        cmd = _commandment(row, levers, suffix)
        overview.append(
            [cmd.number, cmd.name, cmd.horizon_text, "; ".join(cmd.lever_names), cmd.level_text]
        )
        on_horizons, horizon_share, in_levels, level_share = _on_horizons_and_levels(cmd, s)
        addressed = _addressed(cmd, s)
        top = addressed[1]
        gaps.append(
            [
                cmd.number,
                on_horizons,
                horizon_share,
                in_levels,
                level_share,
                ", ".join(label("area", a) for a in top),
            ]
        )
        heading = gettext("Commandment %(number)s: %(name)s") % {
            "number": cmd.number,
            "name": cmd.name,
        }
        accounts.append((heading, _account(cmd, s, on_horizons, in_levels, addressed, c.recs)))
    _tables(c, section, overview, gaps, s)
    for heading, text in accounts:
        section.blocks.append(("h", heading))
        section.blocks.append(("p", text))
    return section


def _tables(
    c: Context,
    section: Section,
    overview: list[list[Cell]],
    gaps: list[list[Cell]],
    s: _Shortage,
) -> None:
    """The overview of the commandments and the gaps each addresses, as numbered tables."""
    section.blocks.append(
        c.b.table(
            gettext("The ten commandments: their horizons, levers and education levels"),
            [
                gettext("No."),
                gettext("Commandment"),
                gettext("Horizons"),
                gettext("Levers"),
                gettext("Education levels"),
            ],
            overview,
            small=True,
        )
    )
    if s.horizon_sums is None and s.level_sums is None:
        section.blocks.append(
            (
                "p",
                gettext(
                    "No shortage of this snapshot could be published in full, so the gaps the "
                    "commandments address are not quantified here."
                ),
            )
        )
    else:
        section.blocks.append(
            c.b.table(
                gettext(
                    "The gaps each commandment addresses: published shortage on its horizons and "
                    "in its education levels (means summed over the years published in full), "
                    "and its largest bottlenecks"
                ),
                [
                    gettext("No."),
                    gettext("Shortage on its horizons"),
                    gettext("Per cent of all"),
                    gettext("Shortage in its levels"),
                    gettext("Per cent of all"),
                    gettext("Largest bottlenecks"),
                ],
                gaps,
                small=True,
            )
        )
