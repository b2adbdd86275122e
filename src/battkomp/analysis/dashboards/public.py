"""The public dashboard of a published snapshot: charts and their tables, built only from the
publication's protected tables (see :mod:`battkomp.analysis.publishing.tables`), never from a run.

Views (:data:`VIEWS`): the national gap band (``totals``), shortage by level (``by_level``), the
largest bottlenecks (``by_area``), the heatmap of shortage by competence area × level
(``by_area_level``), the time squeeze (``squeeze``), value-chain coverage by segment
(``coverage``), the gap by segment and by county (``by_segment``, ``by_region``) and the
scenario comparison (the ``totals`` of the latest published snapshot of each scenario), the
measures (the national gap with and without them from ``totals``, and what each adds from
``measure_effects``), recruitment from abroad (``abroad``) and the recommendations
(``recommendations``, with each reason in the page's language). A view whose table the snapshot
lacks (published before the table existed) is left out.

Suppressed cells are never shown as numbers: suppressed years and cells are left out of the
charts and the downloads, and are "–" in the tables beside the charts. Filters (year range,
education level, competence area group, segment, county) are applied to the protected tables;
each view can be downloaded as CSV or XLSX with ``?view=<view>&format=csv|xlsx`` on the
dashboard's address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from django import forms
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from battkomp.analysis.access import access_publication, publications_for_anyone
from battkomp.analysis.models import Publication
from battkomp.core import charts, snapshot_cache
from battkomp.core.codes import codes, label, taxonomy
from battkomp.exchange.exporters import CSV_CONTENT_TYPE, to_csv, to_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
#: The dashboard's views, in the order shown.
VIEWS = (
    "national",
    "levels",
    "bottlenecks",
    "heatmap",
    "squeeze",
    "coverage",
    "segments",
    "regions",
    "risk",
    "scenarios",
    "measures",
    "abroad",
    "recommendations",
)
#: The protected table each view is built from.
VIEW_TABLES = {
    "national": "totals",
    "levels": "by_level",
    "bottlenecks": "by_area",
    "heatmap": "by_area_level",
    "squeeze": "squeeze",
    "coverage": "coverage",
    "segments": "by_segment",
    "regions": "by_region",
    "risk": "conditional",
    "scenarios": "totals",
    "measures": "measure_effects",
    "abroad": "abroad",
    "recommendations": "recommendations",
}
TOP = 10
NATIONAL_METRICS = ("openings", "supply", "gap")
STATS = ("mean", "p10", "p50", "p90")
HORIZON_ORDER = ("short", "medium", "long", "none")


def area_groups() -> list[str]:
    """The parent competence areas (groups), in the code list's order."""
    parents = taxonomy().area_parent
    out: list[str] = []
    for area in codes("area"):
        if parents.get(area) and parents[area] not in out:
            out.append(parents[area])
    return out


def _label(kind: str, code: str) -> str:
    try:
        return label(kind, code) or code
    except KeyError:
        return code


class DashboardFilters(forms.Form):
    year_from = forms.TypedChoiceField(label=_("From year"), required=False, coerce=int)
    year_to = forms.TypedChoiceField(label=_("To year"), required=False, coerce=int)
    level = forms.ChoiceField(label=_("Education level"), required=False)
    # a group of competence areas, or one area (the parameter keeps its name for old links)
    group = forms.ChoiceField(label=_("Competence area"), required=False)
    segment = forms.ChoiceField(label=_("Value-chain segment"), required=False)
    region = forms.ChoiceField(label=_("County"), required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_choices = [("", gettext("All"))] + [(str(y), str(y)) for y in years]
        self.fields["year_from"].choices = year_choices
        self.fields["year_to"].choices = year_choices
        self.fields["level"].choices = [("", gettext("All levels"))] + [
            (c, _label("level", c)) for c in codes("level")
        ]
        parents = taxonomy().area_parent
        self.fields["group"].choices = [("", gettext("All areas"))] + [
            (
                _label("area", g),
                [(g, gettext("All of %(group)s") % {"group": _label("area", g)})]
                + [(a, _label("area", a)) for a in codes("area") if parents.get(a) == g],
            )
            for g in area_groups()
        ]
        self.fields["segment"].choices = [("", gettext("All segments"))] + [
            (c, _label("segment", c)) for c in codes("segment")
        ]
        self.fields["region"].choices = [("", gettext("All counties"))] + [
            (c, _label("region", c)) for c in codes("region")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lo, hi = data.get("year_from"), data.get("year_to")
        if lo not in (None, "") and hi not in (None, "") and lo > hi:
            self.add_error("year_to", gettext("The last year must not come before the first."))
        return data


def _published(table: pl.DataFrame) -> pl.DataFrame:
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
    totals = _published(p.table("totals")).filter(pl.col("metric").is_in(NATIONAL_METRICS))
    return _years(totals, f).drop("suppressed").sort("year", "metric")


def level_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The mean shortage per published year and education level."""
    table = _published(p.table("by_level")).filter(pl.col("metric") == "shortage")
    if f.get("level"):
        table = table.filter(pl.col("level") == f["level"])
    order = {c: i for i, c in enumerate(codes("level"))}
    table = _years(table, f).drop("suppressed", "metric")
    return table.sort(["year", pl.col("level").replace_strict(order, default=len(order))])


def bottleneck_table(p: Publication, f: dict[str, Any]) -> pl.DataFrame:
    """The competence areas with the largest mean shortage summed over the published years."""
    table = _in_group(
        _years(_published(p.table("by_area")).filter(pl.col("metric") == "shortage"), f), f
    )
    summed = table.group_by("area").agg(
        pl.col("mean").sum().alias("shortage"), pl.col("year").n_unique().alias("years")
    )
    return summed.sort(["shortage", "area"], descending=[True, False]).head(TOP)


def _last_year(table: pl.DataFrame) -> int | None:
    return int(table["year"].max()) if table.height else None  # type: ignore[arg-type]


def heatmap_table(p: Publication, f: dict[str, Any]) -> tuple[int | None, pl.DataFrame]:
    """The cells of the mean shortage by competence area × level in one year, the last year of
    the range with any published cell; suppressed cells have a null ``mean``."""
    table = _table(p, "by_area_level")
    if table is None:
        return None, pl.DataFrame()
    cells = _in_group(_years(table.filter(pl.col("metric") == "shortage"), f), f)
    if f.get("level"):
        cells = cells.filter(pl.col("level") == f["level"])
    year = _last_year(_published(cells))
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
    rows = _years(_published(table.filter(pl.col("metric") == "gap")), f)
    if f.get(column):
        rows = rows.filter(pl.col(column) == f[column])
    return rows.select("year", column, "mean").sort("year", column)


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
    """The national gap (mean and band) per published year of each scenario's snapshot."""
    frames = []
    for q in scenario_publications(p):
        gap = _years(_published(q.table("totals")).filter(pl.col("metric") == "gap"), f)
        frames.append(
            gap.select(
                pl.lit(scenario_of(q)).alias("scenario"),
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


# ------------------------------------------------ measures, recruitment abroad, recommendations

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
        table = _published(p.table("by_level")).filter(pl.col("level") == f["level"])
    elif f.get("group"):
        table = _in_group(_published(p.table("by_area")), f)
    else:
        table = _published(p.table("totals"))
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
    return {i: found.get(i, {"name": i, "url": ""}) for i in ids}


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
        entry = {
            "name": f"{offer.name} ({offer.institution.name})",
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


def _lever_names() -> dict[str, str]:
    from battkomp.measures.catalogue import levers

    return {lv.code: lv.name for lv in levers()}


def _commandment_name(number: Any) -> str:
    from battkomp.measures.catalogue import commandment

    if number is None:
        return ""
    c = commandment(int(number))
    return f"{int(number)}. {c.name}" if c else str(number)


def _ids(text: Any) -> list[str]:
    return [t for t in str(text or "").split(";") if t]


def _reason(row: dict[str, Any]) -> str:
    lang = "nb" if (get_language() or "nb")[:2] == "nb" else "en"
    return str(row.get(f"reason_{lang}") or "")


Export = tuple[list[str], list[list[Any]]]
#: One column of a download: its header and how a row of the view's table gives its value.
Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _field(name: str, header: str | None = None, blank: bool = False) -> Column:
    """The table's column ``name`` (under ``header``); with ``blank``, an empty value as ''."""
    if blank:
        return header or name, lambda r: r[name] or ""
    return header or name, lambda r: r[name]


def _coded(kind: str, name: str | None = None) -> list[Column]:
    """A code column and its name in the page's language (``<kind>``, ``<kind>_name``)."""
    column = name or kind
    return [(kind, lambda r: r[column]), (f"{kind}_name", lambda r: _label(kind, r[column]))]


def _stats(prefix: str, stats: Sequence[str] = ("mean", "p10", "p50", "p90")) -> list[Column]:
    """The table's statistics columns, named ``<prefix>_<stat>`` in the download."""
    return [_field(st, f"{prefix}_{st}") for st in stats]


def _export(table: pl.DataFrame, columns: Sequence[Column]) -> Export:
    """A download: the columns' headers, and one row per row of ``table``."""
    header = [name for name, _get in columns]
    rows = [[get(r) for _name, get in columns] for r in table.iter_rows(named=True)]
    return header, rows


def _national_export(table: pl.DataFrame) -> Export:
    return _export(table, [_field(c) for c in ("year", "metric", "mean", "p10", "p50", "p90")])


def _levels_export(table: pl.DataFrame) -> Export:
    return _export(
        table, [_field("year"), *_coded("level"), *_stats("shortage", ("mean", "p10", "p90"))]
    )


def _bottlenecks_export(table: pl.DataFrame) -> Export:
    parents = taxonomy().area_parent
    header, rows = _export(
        table,
        [
            *_coded("area"),
            ("group", lambda r: parents.get(r["area"], "")),
            _field("shortage", "shortage_mean_summed"),
            _field("years"),
        ],
    )
    return ["rank", *header], [[i, *row] for i, row in enumerate(rows, start=1)]


def _heatmap_export(table: pl.DataFrame) -> Export:
    return _export(table, [_field("year"), *_coded("area"), *_coded("level"), *_stats("shortage")])


def _squeeze_export(table: pl.DataFrame) -> Export:
    names = charts.horizon_labels()
    return _export(
        table,
        [
            _field("year"),
            _field("horizon"),
            ("horizon_name", lambda r: names.get(r["horizon"], r["horizon"])),
            _field("levels"),
            _field("shortage_mean"),
        ],
    )


def _coverage_export(table: pl.DataFrame) -> Export:
    def segment_name(r: dict[str, Any]) -> str:
        return _label("segment", r["segment"]) if r["segment"] else gettext("All segments")

    return _export(
        table,
        [
            _field("year"),
            _field("segment", blank=True),
            ("segment_name", segment_name),
            *[_field(c) for c in ("openings", "supply", "gap", "reported_share")],
        ],
    )


def _place_export(table: pl.DataFrame, column: str) -> Export:
    return _export(table, [_field("year"), *_coded(column), _field("mean", "gap")])


def _scenarios_export(table: pl.DataFrame) -> Export:
    header = ["scenario", "version", "year", "gap_mean", "gap_p10", "gap_p50", "gap_p90"]
    return header, [list(r) for r in table.iter_rows()]


def _measures_export(gaps: pl.DataFrame, supply: pl.DataFrame) -> Export:
    header = ["year", "series", "name", "value", "cells_suppressed"]
    names = {"gap": gettext("Gap"), "gap_without_measures": gettext("Gap without measures")}
    rows: list[list[Any]] = [
        [r["year"], r["metric"], names[r["metric"]], r["mean"], ""]
        for r in gaps.iter_rows(named=True)
    ]
    found = measure_names(sorted(set(supply["measure"].to_list()))) if supply.height else {}
    rows += [
        [r["year"], r["measure"], found[r["measure"]]["name"], r["supply"], r["hidden"]]
        for r in supply.iter_rows(named=True)
    ]
    return header, sorted(rows, key=lambda r: (r[0], r[1] not in names, r[1]))


def _abroad_export(rows: pl.DataFrame) -> Export:
    return _export(
        rows,
        [
            _field("year"),
            *_coded("level"),
            *_coded("area"),
            *[_field(c) for c in ("need", "recruited", "unmet", "lead_time_months")],
            _field("channels", blank=True),
        ],
    )


def _recommendations_export(rows: pl.DataFrame) -> Export:
    levers = _lever_names()
    return _export(
        rows,
        [
            _field("year"),
            *_coded("level"),
            *_coded("area"),
            _field("horizon"),
            ("lever", lambda r: levers.get(r["lever"] or "", r["lever"] or "")),
            _field("commandment"),
            ("commandment_name", lambda r: _commandment_name(r["commandment"])),
            _field("rule", blank=True),
            ("reason", _reason),
            _field("offers", blank=True),
            _field("measures", blank=True),
            _field("shortage", "shortage_mean"),
        ],
    )


def risk_rows(p: Publication) -> pl.DataFrame:
    """The published rows of the ``conditional`` table (empty for older snapshots)."""
    table = _table(p, "conditional")
    if table is None:
        return pl.DataFrame()
    return table.filter(~pl.col("suppressed"))


def _risk_export(p: Publication) -> Export:
    """The conditional views, then the probabilities of exceeding each threshold."""
    header = [
        "view",
        "facility",
        "probability",
        "shortage_p50",
        "shortage_p10",
        "shortage_p90",
        "shortage_mean",
        "effect",
        "year",
        "threshold",
        "exceedance_probability",
    ]
    rows: list[list[Any]] = []
    for r in risk_rows(p).iter_rows(named=True):
        rows.append([r.get(c) for c in header[:8]] + [None, None, None])
    ex = _table(p, "exceedance")
    if ex is not None:
        for r in ex.filter(~pl.col("suppressed")).iter_rows(named=True):
            rows.append(
                [
                    "exceedance",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    r["year"],
                    r["threshold"],
                    r["probability"],
                ]
            )
    return header, rows


def _shown(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(~pl.col("suppressed")) if table.height else table


def view_export(p: Publication, view: str, f: dict[str, Any]) -> Export:
    """The header and rows of a view's download (published numbers only)."""
    if view == "national":
        return _national_export(national_table(p, f))
    if view == "levels":
        return _levels_export(level_table(p, f))
    if view == "bottlenecks":
        return _bottlenecks_export(bottleneck_table(p, f))
    if view == "heatmap":
        return _heatmap_export(_shown(heatmap_table(p, f)[1]))
    if view == "squeeze":
        return _squeeze_export(squeeze_rows(p, f))
    if view == "coverage":
        return _coverage_export(_shown(coverage_rows(p, f)[1]))
    if view in ("segments", "regions"):
        column = "segment" if view == "segments" else "region"
        return _place_export(place_rows(p, f, column), column)
    if view == "measures":
        return _measures_export(measure_gap_rows(p, f), measure_supply_rows(p, f))
    if view == "risk":
        return _risk_export(p)
    if view == "abroad":
        return _abroad_export(_shown(abroad_rows(p, f)))
    if view == "recommendations":
        return _recommendations_export(recommendation_rows(p, f))
    return _scenarios_export(scenario_rows(p, f))


def _download_parts(
    p: Publication, view: str, fmt: str, f: dict[str, Any]
) -> tuple[bytes, str, str]:
    """A view's download: its bytes, content type and file name."""
    header, rows = view_export(p, view, f)
    filename = f"battkomp-v{p.version}-dashboard-{view}.{fmt}"
    if fmt == "csv":
        return to_csv(header, rows), CSV_CONTENT_TYPE, filename
    return to_xlsx(header, rows, view), XLSX_CONTENT_TYPE, filename


FILTERS = ("year_from", "year_to", "level", "group", "segment", "region")


def _filters_key(f: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(f.get(k) or None for k in FILTERS)


def build_views(p: Publication, f: dict[str, Any]) -> list[dict[str, Any]]:
    """Every view with data under the filters: its name, caption, chart and notes."""
    key = ("publication", p.pk, p.published_at, _filters_key(f))
    views: list[dict[str, Any]] = []

    def add(
        view: str,
        caption: str,
        build: Any,
        note: str = "",
        extra: Any = (),
        details: dict[str, Any] | None = None,
    ) -> None:
        chart = charts.cached((*key, view, *extra), build)
        views.append(
            {"view": view, "caption": caption, "chart": chart, "note": note, "details": details}
        )

    national = national_table(p, f)
    if national.height:
        add(
            "national",
            gettext(
                "National openings, supply and gap per year (means of the draws), with the "
                "gap's P10–P90 band"
            ),
            lambda: charts.gap_band_chart(national),
        )
    levels = level_table(p, f)
    if levels.height:
        add(
            "levels",
            gettext("Mean shortage per year by education level"),
            lambda: charts.level_shortage_chart(levels),
        )
    bottlenecks = bottleneck_table(p, f)
    if bottlenecks.height:
        add(
            "bottlenecks",
            gettext(
                "The largest bottlenecks: the ten competence areas with the largest mean "
                "shortage, summed over the years shown"
            ),
            lambda: charts.bottleneck_chart(bottlenecks),
        )
    year, cells = heatmap_table(p, f)
    if year is not None and cells.height:
        heat = cells.rename({"mean": "shortage_mean"})
        add(
            "heatmap",
            gettext("Mean shortage in %(year)s by competence area and education level")
            % {"year": year},
            lambda: charts.public_heatmap_chart(heat, year),
            gettext(
                "Grey cells marked – are suppressed to protect company answers. The heatmap "
                "shows the last year of the range with published cells."
            ),
        )
    squeeze = squeeze_rows(p, f)
    if squeeze.height:
        add(
            "squeeze",
            gettext(
                "The time squeeze: expected shortage per year by the horizon that must carry "
                "it (recruit, retrain or educate), and what no lever can close in time"
            ),
            lambda: charts.public_squeeze_chart(squeeze),
            gettext(
                "A horizon marked – has no shortage that year, or is suppressed to protect "
                "company answers; suppressed parts are left out of the bars."
            ),
        )
    cyear, coverage = coverage_rows(p, f)
    if cyear is not None and coverage.height:
        add(
            "coverage",
            gettext(
                "Value-chain coverage in %(year)s: openings and supply per segment, and the share "
                "of the openings the survey reported"
            )
            % {"year": cyear},
            lambda: charts.segment_coverage_chart(coverage, cyear),
            gettext(
                "A segment or reported share marked – is suppressed to protect company answers. "
                "The chart shows the last year of the range in which the survey's share is "
                "published, else the last year with published segments. Openings and supply "
                "per segment are means of the draws and add up to the national means."
            ),
        )
    for view, column, caption in (
        ("segments", "segment", gettext("The gap per year by value-chain segment")),
        ("regions", "region", gettext("The gap per year by county")),
    ):
        rows = place_rows(p, f, column)
        if rows.height:
            add(
                view,
                caption,
                lambda rows=rows, column=column: charts.place_gap_chart(rows, column),
                gettext(
                    "A value marked – is suppressed to protect company answers, or there is "
                    "no result there. These figures are means of the draws: in every draw the "
                    "national figures are shared out to the segments and counties, so they add "
                    "up to the national means."
                ),
            )
    risk = risk_rows(p)
    if risk.height:
        add(
            "risk",
            gettext(
                "What if the planned plants are built, or not: the shortage summed over the "
                "years in all draws, in the firm base and with each planned plant"
            ),
            lambda: charts.conditional_chart(risk),
            gettext(
                "The firm base: the draws in which no plant beyond those operating or under "
                "construction is built. A plant's view: the draws in which it is built. Shares "
                "of the draws in brackets. Plants are built or abandoned together, so a plant's "
                "view includes what tends to come with it."
            ),
        )
    scenarios = scenario_rows(p, f)
    if scenarios.height:
        versions = tuple(sorted(set(scenarios["version"].to_list())))
        add(
            "scenarios",
            gettext(
                "Scenarios side by side: the national gap per year in the latest published "
                "snapshot of each scenario (means, with P10–P90 bands)"
            ),
            lambda: charts.scenario_gap_chart(scenarios),
            ", ".join(
                gettext("%(scenario)s: version %(version)s") % {"scenario": s, "version": v}
                for s, v in scenarios.select("scenario", "version")
                .unique(maintain_order=True)
                .rows()
            ),
            versions,
        )
    _action_views(p, f, add)
    return views


def _cell(value: Any, kind: str = "text", url: str = "") -> dict[str, Any]:
    return {"value": value, "kind": kind, "url": url}


def _links(ids: list[str], found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return _cell([{"text": found[i]["name"], "url": found[i]["url"]} for i in ids], "links")


def _action_views(p: Publication, f: dict[str, Any], add: Any) -> None:
    """The views of what acts on the gap: the measures, recruitment from abroad and the
    recommendations."""
    gaps = measure_gap_rows(p, f)
    supply = measure_supply_rows(p, f)
    if gaps.height or supply.height:
        found = measure_names(sorted(set(supply["measure"].to_list())))
        names = {m: str(found[m]["name"]) for m in sorted(found, key=lambda i: found[i]["name"])}
        totals = supply.group_by("measure").agg(pl.col("supply").sum(), pl.col("hidden").sum())
        rows = [
            [
                _links([m], found),
                _cell(supply_sum, "num"),
                _cell(hidden, "count"),
            ]
            for m, supply_sum, hidden in totals.sort("measure").rows()
        ]
        add(
            "measures",
            gettext(
                "Measures: the national gap per year with and without the agreed and running "
                "measures, and the supply each measure adds"
            ),
            lambda: charts.measure_effect_chart(gaps, supply, names),
            gettext(
                "Means of the draws. A measure's supply in a cell suppressed to protect company "
                "answers is left out of its sum; the table below counts those cells."
            ),
            details={
                "caption": gettext("The measures in this view"),
                "columns": [
                    gettext("Measure"),
                    gettext("Supply added, summed over the years shown"),
                    gettext("Cells suppressed (over the years)"),
                ],
                "rows": rows,
            }
            if rows
            else None,
        )
    cells = abroad_rows(p, f)
    summary = abroad_summary(cells)
    if summary.height:
        channel_ids = sorted({i for c in cells["channels"].to_list() for i in _ids(c)})
        found = measure_names([i for i in channel_ids if i.startswith("m")])
        found.update({i: {"name": i, "url": ""} for i in channel_ids if i not in found})
        rows = [
            [
                _cell(r["year"], "year"),
                _cell(_label("level", r["level"])),
                _cell(_label("area", r["area"])),
                _cell(r["need"], "num"),
                _cell(r["recruited"], "num"),
                _cell(r["unmet"], "num"),
                _cell(r["lead_time_months"], "num"),
                _links(_ids(r["channels"]), found),
            ]
            for r in cells.filter(~pl.col("suppressed")).iter_rows(named=True)
        ]
        add(
            "abroad",
            gettext(
                "Recruitment from abroad: per year and education level, the need that domestic "
                "supply cannot meet in time, what the channels recruit and what stays unmet"
            ),
            lambda: charts.abroad_chart(summary),
            gettext(
                "Means of the draws, summed over the competence areas with published cells; "
                "cells suppressed to protect company answers are left out. The lead time is "
                "the shortest time from decision to start of work through a channel serving "
                "the cell."
            ),
            details={
                "caption": gettext("Published cells, with the channels that serve them"),
                "columns": [
                    gettext("Year"),
                    gettext("Education level"),
                    gettext("Competence area"),
                    gettext("Need"),
                    gettext("Recruited from abroad"),
                    gettext("Unmet"),
                    gettext("Lead time (months)"),
                    gettext("Channels and measures"),
                ],
                "rows": rows,
            },
        )
    recs = recommendation_rows(p, f)
    if recs.height:
        levers = _lever_names()
        horizons = charts.horizon_labels()
        ids = sorted({i for c in recs["measures"].to_list() for i in _ids(c)})
        found = measure_names(ids)
        offers = offer_names(sorted({i for c in recs["offers"].to_list() for i in _ids(c)}))
        rows = [
            [
                _cell(_label("area", r["area"])),
                _cell(_label("level", r["level"])),
                _cell(r["year"], "year"),
                _cell(horizons.get(r["horizon"], r["horizon"])),
                _cell(levers.get(r["lever"] or "", r["lever"] or "–")),
                _cell(_commandment_name(r["commandment"]) or "–"),
                _cell(_reason(r) or "–"),
                _links(_ids(r["offers"]), offers),
                _links(_ids(r["measures"]), found),
            ]
            for r in recs.iter_rows(named=True)
        ]
        add(
            "recommendations",
            gettext(
                "Recommendations: for each significant gap, the year it opens, the lever that "
                "can close it in time and the competence commandment it calls for"
            ),
            lambda: charts.recommendation_chart(recs, levers),
            gettext(
                "Only gaps in cells published to protect company answers are shown. The "
                "reasons are written from the published numbers."
            ),
            details={
                "caption": gettext("The recommendations"),
                "columns": [
                    gettext("Competence area"),
                    gettext("Education level"),
                    gettext("Gap opens"),
                    gettext("Horizon"),
                    gettext("Lever"),
                    gettext("Commandment"),
                    gettext("Reason"),
                    gettext("Education offers"),
                    gettext("Measures"),
                ],
                "rows": rows,
            },
        )


def _shape(publication: Publication) -> dict[str, Any]:
    """What the filters need of a snapshot, read once and cached: its table names, its years
    and the years left out."""

    def build() -> dict[str, Any]:
        names = set(publication.table_names())
        if "totals" not in names:
            return {"names": sorted(names), "years": [], "suppressed": []}
        totals = publication.table("totals")
        return {
            "names": sorted(names),
            "years": sorted({int(y) for y in _published(totals)["year"].to_list()}),
            "suppressed": sorted(
                {int(y) for y in totals.filter(pl.col("suppressed"))["year"].to_list()}
            ),
        }

    return snapshot_cache.cached(snapshot_cache.snapshot_key(publication, "shape"), build)


@require_GET
def dashboard(request: HttpRequest, version: int) -> HttpResponse:
    """The public dashboard of a snapshot. A snapshot never changes, so the page's content (per
    language and filters) and every download are built once and kept in the shared cache; only
    valid filters are cached, so made-up queries cannot fill it."""
    publication = access_publication(version)
    shape = _shape(publication)
    names = set(shape["names"])
    if not {"totals", "by_level", "by_area"} <= names:
        raise Http404
    params = {k: v for k, v in request.GET.items() if k not in ("view", "format")}
    form = DashboardFilters(params or None, years=shape["years"])
    valid = form.is_valid() if params else True
    f: dict[str, Any] = form.cleaned_data if params and valid else {}
    fmt = request.GET.get("format")
    if fmt is not None:
        view = request.GET.get("view")
        if fmt not in FORMATS or view not in VIEWS or not valid:
            raise Http404
        if VIEW_TABLES[view] not in names:
            raise Http404
        key = snapshot_cache.snapshot_key(publication, "download", view, fmt, _filters_key(f))
        content, content_type, filename = snapshot_cache.cached(
            key, lambda: _download_parts(publication, view, fmt, f)
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    query = urlencode({k: v for k, v in sorted(params.items()) if v}) if valid else ""

    def content() -> str:
        return render_to_string(
            "analysis/_publication_dashboard_content.html",
            {
                "publication": publication,
                "form": form,
                "views": build_views(publication, f),
                "query": query,
                "suppressed_years": shape["suppressed"],
            },
        )

    if valid:
        key = snapshot_cache.snapshot_key(publication, "dashboard", _filters_key(f), query)
        html = snapshot_cache.cached(key, content)
    else:
        html = content()
    return render(
        request,
        "analysis/publication_dashboard.html",
        {"publication": publication, "content": mark_safe(html)},
        status=200 if valid else 400,
    )
