"""Building a publication's snapshot: every public table of a run (see
:mod:`battkomp.analysis.publishing.tables` for what each holds and how it is protected),
remembered for the last few distinct inputs. Nothing here changes the database
(:func:`battkomp.analysis.publishing.actions.do_publish_run` stores the tables)."""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from battkomp.analysis.publishing.advice import (
    abroad_table,
    measure_effects_table,
    published_cells,
    recommendations_table,
)
from battkomp.analysis.publishing.contributions import publishable_years, survey_table
from battkomp.analysis.publishing.queries import default_recommendation_rules
from battkomp.analysis.publishing.tables import (
    MODEL_TABLES,
    PLACES,
    TABLES,
    area_level_table,
    conditional_table,
    coverage_table,
    exceedance_table,
    model_table,
    place_table,
    split_table,
    squeeze_table,
)
from battkomp.engine.disclosure import DisclosureRules
from battkomp.engine.sdc import NoisedRules, quality_flags

#: Recently built public tables by a digest of everything they are built from (see
#: :func:`public_tables`): protecting a run's tables solves thousands of small linear programs
#: (seconds), and the same run is often published again (a new version with another title).
_CACHE: OrderedDict[str, dict[str, pl.DataFrame]] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def _digest(*parts: Any) -> str:
    """A SHA-256 over frames (their Arrow IPC bytes, schema included) and plain values (repr)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, pl.DataFrame):
            buffer = io.BytesIO()
            part.write_ipc(buffer, compression="uncompressed")
            h.update(b"F")
            h.update(buffer.getvalue())
        else:
            h.update(b"V")
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def public_tables(
    frames: dict[str, pl.DataFrame],
    contrib: pl.DataFrame,
    parents: dict[str, str],
    rules: DisclosureRules | None = None,
    *,
    places: Mapping[str, tuple[str, str]] | None = None,
    recommendation_rules: pl.DataFrame | None = None,
    fixed: Iterable[str] = (),
) -> dict[str, pl.DataFrame]:
    """Every public table of a run (see :func:`build_public_tables`), remembered for the last few
    distinct inputs: the tables are a pure function of the arguments, so the same frames, answers,
    rules, places and fixed measures give the same tables without solving the protection again.
    """
    fixed = tuple(sorted(fixed))
    parts: list[Any] = []
    for name in sorted(frames):
        parts += [name, frames[name]]
    parts += [
        contrib,
        sorted(parents.items()),
        rules,
        None if places is None else sorted(places.items()),
        recommendation_rules,
        fixed,
    ]
    key = _digest(*parts)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return dict(hit)
    tables = build_public_tables(
        frames,
        contrib,
        parents,
        rules,
        places=places,
        recommendation_rules=recommendation_rules,
        fixed=fixed,
    )
    with _CACHE_LOCK:
        _CACHE[key] = dict(tables)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return tables


def build_public_tables(
    frames: dict[str, pl.DataFrame],
    contrib: pl.DataFrame,
    parents: dict[str, str],
    rules: DisclosureRules | None = None,
    *,
    places: Mapping[str, tuple[str, str]] | None = None,
    recommendation_rules: pl.DataFrame | None = None,
    fixed: Iterable[str] = (),
) -> dict[str, pl.DataFrame]:
    """Every public table of a run: its frames (:data:`FRAMES`; tables whose frames are missing are
    left out) and the survey contributions of its round; ``places`` maps each contributor to its
    (segment, region) (see :func:`~.queries.survey_places`; without it, every cell by segment or
    region that the survey could dominate is suppressed); ``recommendation_rules`` are the rules the
    run's reasons were filled in from (default: the shipped ones); ``fixed`` the measures whose
    supply answers no need (see :func:`~.queries.fixed_measures`)."""
    detail = frames["detail"]
    out: dict[str, pl.DataFrame] = {}
    ok: dict[str, set[int]] = {}
    shown: dict[str, set[tuple[int, Any]]] | None = None
    for name, column in MODEL_TABLES.items():
        frame = frames.get(name)
        if frame is None:
            continue
        years = sorted({int(y) for y in frame["year"].unique().to_list()})
        if column is not None and isinstance(rules, NoisedRules) and "totals" in ok:
            # under noise, cell by cell (a whole year for one cell would empty the table)
            out[name], cells = split_table(frame, column, detail, contrib, ok["totals"], rules)
            shown = shown if shown is not None else {}
            shown[name] = cells
            codes = {c for _, c in cells} | set(frame[column].unique().to_list())
            ok[name] = {y for y in ok["totals"] if all((y, c) in cells for c in codes)}
            continue
        ok[name] = publishable_years(detail, contrib, column, years, rules)
        out[name] = model_table(frame, ok[name])
    out["survey_needs"] = survey_table(contrib, parents, rules)
    if not {"totals", "by_level", "by_area"} <= set(ok):
        return out
    squeeze = frames.get("time_squeeze")
    if "national" in frames:
        out["by_area_level"] = area_level_table(
            frames["national"], squeeze, detail, contrib, ok, rules, shown
        )
    if squeeze is not None:
        out["squeeze"] = squeeze_table(squeeze, ok)
    for column in PLACES:
        frame = frames.get(f"by_{column}")
        if frame is not None:
            out[f"by_{column}"] = place_table(frame, column, detail, contrib, places, ok, rules)
    if "by_segment" in out:
        out["coverage"] = coverage_table(
            frames["by_segment"],
            out["by_segment"],
            detail,
            contrib,
            places,
            out["survey_needs"],
            ok,
            rules,
        )
    if "by_area_level" in out:
        grid = published_cells(out["by_area_level"])
        if "measure_effects" in frames:
            out["measure_effects"] = measure_effects_table(
                frames["measure_effects"], grid, ok["totals"], fixed
            )
        if "abroad" in frames:
            out["abroad"] = abroad_table(frames["abroad"], grid)
        if "recommendations" in frames:
            if recommendation_rules is None:
                recommendation_rules = default_recommendation_rules()
            out["recommendations"] = recommendations_table(
                frames["recommendations"], out["by_area_level"], recommendation_rules
            )
    all_years = {int(y) for y in frames["totals"]["year"].unique().to_list()}
    if "conditional" in frames:
        out["conditional"] = conditional_table(frames["conditional"], ok["totals"], all_years)
    if "exceedance" in frames:
        out["exceedance"] = exceedance_table(frames["exceedance"], ok["totals"], all_years)
    return {name: out[name] for name in TABLES if name in out}


#: Rules under which nothing is suppressed: they build the unprotected counterpart of every
#: public table from the analysts' run, against which the quality flags are measured (it is never
#: published).
OPEN_RULES = DisclosureRules(min_contributors=1, p=0.0)
#: Columns that are neither keys nor numbers of a cell (free text filled in from numbers).
_TEXT_COLUMNS = ("reason_nb", "reason_en")
_FLAG_COLUMNS = ("suppressed", "share_suppressed", "quality")


def with_quality(table: pl.DataFrame, unprotected: pl.DataFrame | None) -> pl.DataFrame:
    """``table`` with ``quality``: per row, the worst flag (G < H < J,
    :data:`~battkomp.engine.sdc.QUALITY_FLAGS`) of its published numbers against the same row
    of ``unprotected`` (matched on every column that is not a number, a flag or free text); null
    where no number is published and in a suppressed row. A row without a counterpart is J.
    Works for any table, so a new table gets its flag by itself."""
    numbers = [c for c, t in table.schema.items() if t.is_float() and c not in _FLAG_COLUMNS]
    keys = [
        c
        for c, t in table.schema.items()
        if not t.is_float() and c not in _FLAG_COLUMNS and c not in _TEXT_COLUMNS
    ]
    if not numbers:
        return table.with_columns(pl.lit(None, pl.Utf8).alias("quality"))
    indexed = table.with_row_index("_row")
    if (
        unprotected is not None
        and keys
        and all(c in unprotected.columns for c in (*keys, *numbers))
    ):
        raw = unprotected.select(*keys, *(pl.col(c).alias(f"_raw_{c}") for c in numbers))
        raw = raw.unique(subset=keys, keep="first", maintain_order=True)
        joined = indexed.join(raw, on=keys, how="left", nulls_equal=True).sort("_row")
    else:
        joined = indexed.with_columns(pl.lit(None, pl.Float64).alias(f"_raw_{c}") for c in numbers)
    flags: list[list[str | None]] = [
        quality_flags(
            joined[c].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
            joined[f"_raw_{c}"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        )
        for c in numbers
    ]
    worst = [
        max((f for f in row if f is not None), default=None) for row in zip(*flags, strict=True)
    ]
    if "suppressed" in table.columns:
        # a suppressed row's confidential numbers are null; what it still shows (time available,
        # lead times) holds no answer, so a flag would only suggest a number was published
        hidden = table["suppressed"].fill_null(False).to_list()
        worst = [None if h else w for w, h in zip(worst, hidden, strict=True)]
    return table.with_columns(pl.Series("quality", worst, dtype=pl.Utf8))


def noised_snapshot(
    public_frames: dict[str, pl.DataFrame],
    frames: dict[str, pl.DataFrame],
    contrib: pl.DataFrame,
    parents: dict[str, str],
    noise: Mapping[str, float],
    rules: DisclosureRules | None = None,
    *,
    places: Mapping[str, tuple[str, str]] | None = None,
    recommendation_rules: pl.DataFrame | None = None,
    fixed: Iterable[str] = (),
) -> dict[str, pl.DataFrame]:
    """The tables of a publication under noise infusion: built from the run's public (noised)
    frames, with the survey table made of the noised answers and suppression only where the noise
    does not protect a sensitive cell (:class:`~battkomp.engine.sdc.NoisedRules`), each with its
    quality flag against the same table built, without any protection, from the analysts' run
    (``frames``) and the true answers. ``contrib`` holds the TRUE answers, ``noise`` each
    contributor's factor."""
    base = rules or DisclosureRules()
    noised_rules = NoisedRules(
        min_contributors=base.min_contributors,
        p=base.p,
        min_protection=base.min_protection,
        singleton_rule=base.singleton_rule,
        noise=dict(noise),
    )
    options: dict[str, Any] = {
        "places": places,
        "recommendation_rules": recommendation_rules,
        "fixed": tuple(fixed),
    }
    tables = public_tables(public_frames, contrib, parents, noised_rules, **options)
    raw = public_tables(frames, contrib, parents, OPEN_RULES, **options)
    return {name: with_quality(table, raw.get(name)) for name, table in tables.items()}
