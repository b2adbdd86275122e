"""The rows of each public dashboard view, read from a publication's protected tables under the
dashboard's filters (year range, education level, competence area or group, segment, county).
Suppressed rows stay in, flagged; the charts and downloads leave them out."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db.models import Q
from django.utils.translation import get_language

from battkomp.analysis.access import publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.core.bilingual import Text
from battkomp.core.codes import channel_name, codes, taxonomy
from battkomp.engine.schema import HORIZON_ORDER

TOP = 10


NATIONAL_METRICS = ("openings", "supply", "gap")


STATS = ("mean", "p10", "p50", "p90")


def published_only(table: pl.DataFrame) -> pl.DataFrame:
    """The table without its suppressed rows (whole years in the model tables)."""
    return table.filter(~pl.col("suppressed") & pl.col("mean").is_not_null())


def _years(table: pl.DataFrame, f: dict[str, Any]) -> pl.DataFrame:
    lo, hi = f.get("year_from"), f.get("year_to")
    if lo not in (None, ""):
        table = table.filter(pl.col("year") >= lo)
    if hi not in (None, ""):
        table = table.filter(pl.col("year") <= hi)
    return table


def _table(p: Publication, name: str) -> pl.DataFrame | None:
    """A protected table of the snapshot, or None when the snapshot has none (older ones)."""
    try:
        return p.table(name)
    except KeyError:
        return None


def _in_group(table: pl.DataFrame, f: dict[str, Any]) -> pl.DataFrame:
    """The rows of the chosen group of competence areas, or of the one chosen area."""
    chosen = f.get("group")
    if not chosen:
        return table
    parents = taxonomy().area_parent
    areas = [a for a, g in parents.items() if g == chosen] or [chosen]
    return table.filter(pl.col("area").is_in(areas))


def national_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """Openings, supply and gap per published year (mean and band)."""
    totals = published_only(p.table("totals")).filter(pl.col("metric").is_in(NATIONAL_METRICS))
    return _years(totals, f).drop("suppressed").sort("year", "metric")


def level_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The mean shortage per published year and education level."""
    table = published_only(p.table("by_level")).filter(pl.col("metric") == "shortage")
    if f.get("level"):
        table = table.filter(pl.col("level") == f["level"])
    order = {c: i for i, c in enumerate(codes("level"))}
    table = _years(table, f).drop("suppressed", "metric")
    return table.sort(["year", pl.col("level").replace_strict(order, default=len(order))])


def bottleneck_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The competence areas with the largest mean shortage summed over the published years."""
    table = _in_group(
        _years(published_only(p.table("by_area")).filter(pl.col("metric") == "shortage"), f), f
    )
    summed = table.group_by("area").agg(
        pl.col("mean").sum().alias("shortage"), pl.col("year").n_unique().alias("years")
    )
    return summed.sort(["shortage", "area"], descending=[True, False]).head(TOP)


def _last_year(table: pl.DataFrame) -> int | None:
    return int(table["year"].max()) if table.height else None  # type: ignore[arg-type]


def _peak_year(cells: pl.DataFrame) -> int | None:
    """The year whose published cells hold the largest summed mean shortage (the earliest of
    equal years), or the last year with a published cell when no published cell is short."""
    shown = published_only(cells)
    if not shown.height:
        return None
    sums = shown.group_by("year").agg(pl.col("mean").fill_null(0).sum().alias("total"))
    short = sums.filter(pl.col("total") > 0).sort(["total", "year"], descending=[True, False])
    if short.height:
        return int(short["year"][0])
    return _last_year(shown)


def heatmap_table(p: Publication, f: dict[str, Any]) -> tuple[int | None, pl.DataFrame]:
    """The cells of the mean shortage by competence area × level in one year: the year of the
    range whose published cells show the largest shortage (so the map shows where the shortage
    peaks, not a quiet last year), else the last year with a published cell; suppressed cells
    have a null ``mean``."""
    table = _table(p, "by_area_level")
    if table is None:
        return None, pl.DataFrame()
    cells = _in_group(_years(table.filter(pl.col("metric") == "shortage"), f), f)
    if f.get("level"):
        cells = cells.filter(pl.col("level") == f["level"])
    year = _peak_year(cells)
    if year is None:
        return None, pl.DataFrame()
    cells = cells.filter(pl.col("year") == year).with_columns(
        *[pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in STATS]
    )
    return year, cells.drop("metric").sort("area", "level")


def squeeze_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The published cells of the time squeeze: expected shortage per year and horizon."""
    table = _table(p, "squeeze")
    if table is None:
        return pl.DataFrame()
    rows = _years(table.filter(~pl.col("suppressed") & pl.col("shortage_mean").is_not_null()), f)
    order = {h: i for i, h in enumerate(HORIZON_ORDER)}
    return rows.drop("suppressed").sort(
        "year", pl.col("horizon").replace_strict(order, default=len(order))
    )


def coverage_rows(p: Publication, f: dict[str, Any]) -> tuple[int | None, pl.DataFrame]:
    """Every segment's openings, supply, gap and reported share (null where suppressed) in one
    year, and all segments together (``segment`` null; not with a segment filter): the last year
    of the range with a published segment and a published reported share above zero, else the
    last with a published segment."""
    table = _table(p, "coverage")
    if table is None:
        return None, pl.DataFrame()
    rows = _years(table, f)
    if f.get("segment"):
        rows = rows.filter(pl.col("segment") == f["segment"])
    segments = rows.filter(pl.col("segment").is_not_null() & ~pl.col("suppressed"))
    reported = rows.filter(~pl.col("suppressed") & (pl.col("reported_share") > 0))
    years = set(segments["year"].to_list())
    year = _last_year(reported.filter(pl.col("year").is_in(sorted(years)))) or _last_year(segments)
    if year is None:
        return None, pl.DataFrame()
    rows = rows.filter(pl.col("year") == year)
    order = {c: i for i, c in enumerate(codes("segment"))}
    return year, rows.sort(pl.col("segment").replace_strict(order, default=len(order)))


def place_rows(p: Publication, f: dict[str, Any], column: str) -> pl.DataFrame:
    """The published gap per year by segment (``column`` segment) or county (region)."""
    table = _table(p, f"by_{column}")
    if table is None:
        return pl.DataFrame()
    rows = _years(published_only(table.filter(pl.col("metric") == "gap")), f)
    if f.get(column):
        rows = rows.filter(pl.col(column) == f[column])
    return rows.select("year", column, "mean").sort("year", column)


def risk_rows(p: Publication) -> pl.DataFrame:
    """The published rows of the ``conditional`` table (empty for older snapshots)."""
    table = _table(p, "conditional")
    if table is None:
        return pl.DataFrame()
    return table.filter(~pl.col("suppressed"))


def exceedance_rows(p: Publication) -> pl.DataFrame:
    """The published rows of the ``exceedance`` table (empty for older snapshots)."""
    table = _table(p, "exceedance")
    if table is None:
        return pl.DataFrame()
    return table.filter(~pl.col("suppressed"))


def scenario_of(p: Publication) -> str:
    return str(p.meta.get("scenario") or p.run.scenario_name)


def scenario_publications(p: Publication) -> list[Publication]:
    """The snapshot itself and the latest published snapshot of each other scenario (a model
    run's scenario: one scenario's name, "weighted" or "base")."""
    out = {scenario_of(p): p}
    for other in publications_for_anyone().select_related("run"):
        out.setdefault(scenario_of(other), other)
    return sorted(out.values(), key=lambda q: (q.pk != p.pk, scenario_of(q)))


def scenario_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The national gap (mean and band) per published year of each scenario's snapshot: the
    scenario's code and its name for readers (its title in the active language)."""
    frames = []
    for q in scenario_publications(p):
        gap = _years(published_only(q.table("totals")).filter(pl.col("metric") == "gap"), f)
        frames.append(
            gap.select(
                pl.lit(scenario_of(q)).alias("scenario"),
                pl.lit(q.scenario_label.marked).alias("scenario_name"),
                pl.lit(q.version, pl.Int64).alias("version"),
                "year",
                "mean",
                "p10",
                "p50",
                "p90",
            )
        )
    if len(frames) < 2:
        return pl.DataFrame()
    return pl.concat(frames)


MEASURE_GAP_METRICS = ("gap", "gap_without_measures")


def _ordered_levels(table: pl.DataFrame, *first: str) -> pl.DataFrame:
    order = {c: i for i, c in enumerate(codes("level"))}
    return table.sort([*first, pl.col("level").replace_strict(order, default=len(order)), "area"])


def measure_gap_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The gap per published year with and without the measures (only in snapshots of runs with
    counted measures that have the ``measure_effects`` table): national, or of the chosen
    education level (``by_level``), else of the chosen competence areas (``by_area``, summed)."""
    empty = pl.DataFrame(schema={"year": pl.Int64, "metric": pl.Utf8, "mean": pl.Float64})
    if _table(p, "measure_effects") is None:
        return empty
    if f.get("level"):
        table = published_only(p.table("by_level")).filter(pl.col("level") == f["level"])
    elif f.get("group"):
        table = _in_group(published_only(p.table("by_area")), f)
    else:
        table = published_only(p.table("totals"))
    table = table.filter(pl.col("metric").is_in(MEASURE_GAP_METRICS))
    if not table.filter(pl.col("metric") == "gap_without_measures").height:
        return empty
    summed = table.group_by("year", "metric").agg(pl.col("mean").sum())
    return _years(summed, f).select("year", "metric", "mean").sort("year", "metric")


def measure_supply_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """Each measure's supply per year: the sum over its published cells, and how many of its
    cells that year are suppressed (``hidden``; their supply is left out of the sum)."""
    table = _table(p, "measure_effects")
    if table is None or not table.height:
        return pl.DataFrame(
            schema={"measure": pl.Utf8, "year": pl.Int64, "supply": pl.Float64, "hidden": pl.UInt32}
        )
    rows = _in_group(_years(table, f), f)
    if f.get("level"):
        rows = rows.filter(pl.col("level") == f["level"])
    summed = rows.group_by("measure", "year").agg(
        pl.col("supply").filter(~pl.col("suppressed")).sum().alias("supply"),
        pl.col("suppressed").sum().cast(pl.UInt32).alias("hidden"),
        (~pl.col("suppressed")).sum().alias("_shown"),
    )
    summed = summed.with_columns(
        pl.when(pl.col("_shown") > 0).then(pl.col("supply")).otherwise(None).alias("supply")
    ).drop("_shown")
    return summed.sort("measure", "year")


def measure_names(ids: list[str]) -> dict[str, dict[str, Any]]:
    """measure id → {"name", "url"} for the public measures among ids ``m<pk>`` (others keep
    their id as name and have no page)."""
    from django.urls import reverse

    from battkomp.measures.access import public_measures

    pks = {int(i[1:]): i for i in ids if i.startswith("m") and i[1:].isdigit()}
    found = {
        f"m{m.pk}": {"name": m.title, "url": reverse("measures:detail", args=[m.pk])}
        for m in public_measures().filter(pk__in=sorted(pks))
    }
    return {i: found.get(i, {"name": channel_name(i) or i, "url": ""}) for i in ids}


def offer_names(ids: list[str]) -> dict[str, dict[str, Any]]:
    """offer id of the bundle (the offer's code, or ``offer-<pk>``) → {"name", "url"} of the
    registered offer (offers are public); an id no offer has keeps its id as name."""
    from django.urls import reverse

    from battkomp.offers.models import Offer

    pks = {int(i[6:]) for i in ids if i.startswith("offer-") and i[6:].isdigit()}
    query = Offer.objects.select_related("institution").filter(
        Q(code__in=ids) | Q(pk__in=sorted(pks))
    )
    found: dict[str, dict[str, Any]] = {}
    for offer in query.order_by("pk"):
        name = offer.name  # the page's language, or the other marked (core.bilingual)
        entry = {
            "name": Text(f"{name} ({offer.institution.name})", name.lang, name.fallback),
            "url": reverse("offers:detail", args=[offer.pk]),
        }
        for key in (offer.code, f"offer-{offer.pk}"):
            if key in ids:
                found.setdefault(key, entry)
    return {i: found.get(i, {"name": i, "url": ""}) for i in ids}


def abroad_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The cells of ``abroad`` under the filters (suppressed ones with null numbers)."""
    table = _table(p, "abroad")
    if table is None:
        return pl.DataFrame()
    rows = _in_group(_years(table, f), f)
    if f.get("level"):
        rows = rows.filter(pl.col("level") == f["level"])
    return _ordered_levels(rows, "year")


def abroad_summary(rows: pl.DataFrame) -> pl.DataFrame:
    """Per year and level: need, recruited and unmet summed over the published cells, the
    shortest lead time, and how many cells are suppressed (left out of the sums)."""
    if not rows.height:
        return pl.DataFrame()
    shown = ~pl.col("suppressed")
    summed = rows.group_by("year", "level").agg(
        *[pl.col(c).filter(shown).sum() for c in ("need", "recruited", "unmet")],
        pl.col("lead_time_months").filter(shown).min(),
        pl.col("suppressed").sum().cast(pl.UInt32).alias("hidden"),
        shown.sum().alias("_shown"),
    )
    summed = summed.filter(pl.col("_shown") > 0).drop("_shown")
    order = {c: i for i, c in enumerate(codes("level"))}
    return summed.sort(["year", pl.col("level").replace_strict(order, default=len(order))])


def recommendation_rows(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The published recommendations under the filters (the year is the year the gap opens)."""
    table = _table(p, "recommendations")
    if table is None:
        return pl.DataFrame()
    rows = _in_group(_years(table.filter(~pl.col("suppressed")), f), f)
    if f.get("level"):
        rows = rows.filter(pl.col("level") == f["level"])
    return _ordered_levels(rows, "year")


def lever_names() -> dict[str, str]:
    from battkomp.measures.catalogue import levers

    return {lv.code: lv.name for lv in levers()}


def commandment_name(number: Any) -> str:
    from battkomp.measures.catalogue import commandment

    if number is None:
        return ""
    c = commandment(int(number))
    return f"{int(number)}. {c.name}" if c else str(number)


def split_ids(text: Any) -> list[str]:
    return [t for t in str(text or "").split(";") if t]


def reason_text(row: dict[str, Any]) -> str:
    lang = "nb" if (get_language() or "nb")[:2] == "nb" else "en"
    return str(row.get(f"reason_{lang}") or "")
