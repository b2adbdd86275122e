"""The central run in full detail: segment × region × role × level × area × year.

The central run sets every uncertain input to its expected value (realisation probability times
the delay-averaged staffing profile; modes elsewhere). National expansion per cell is shared out
to the detailed rows in proportion to their own growth, and national supply in proportion to their
openings, so the detail sums to the national central figures. Survey answers appear as rows of
kind ``reported``; supply in cells without openings appears as ``unallocated_supply``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from battkomp.engine.model import Compiled, national_flows
from battkomp.engine.montecarlo import expected_draw


def central_detail(cm: Compiled, survey: pl.DataFrame) -> pl.DataFrame:
    """The detailed central table (one row per non-empty detail cell and year)."""
    tax = cm.tax
    L, A, R = len(tax.levels), len(tax.areas), len(tax.roles)
    C = L * A
    T = len(cm.years)
    dr = expected_draw(cm)
    fl = national_flows(cm, dr)
    jobs, st = dr.facility_jobs[0], dr.facility_startup[0]  # (F, T+1)
    m = cm.mask
    parts = {
        "cur_s": st[:, 1:] * m,
        "cur_m": (jobs[:, 1:] - st[:, 1:]) * m,
        "prev_s": st[:, :-1] * m,
        "prev_m": (jobs[:, :-1] - st[:, :-1]) * m,
    }
    pairs = sorted({(int(s), int(r)) for s, r in zip(cm.fac_segment, cm.fac_region, strict=True)})
    G = len(pairs)
    g_of = {p: i for i, p in enumerate(pairs)}
    onehot = np.zeros((len(cm.facility_ids), G))
    for f, (s, r) in enumerate(zip(cm.fac_segment, cm.fac_region, strict=True)):
        onehot[f, g_of[(int(s), int(r))]] = 1.0
    grouped = {k: onehot.T @ v for k, v in parts.items()}  # (G, T)
    seg_of_g = np.array([p[0] for p in pairs], dtype=np.int64)
    mix_s = cm.role_mix[seg_of_g, 0, :] if G else np.zeros((0, R))  # (G, R)
    mix_m = cm.role_mix[seg_of_g, 1, :] if G else np.zeros((0, R))
    prof = cm.profile_rc  # (R, C)
    ef, stay = float(dr.exit_factor[0]), float(dr.stay_years[0])

    def split(s_part: np.ndarray, m_part: np.ndarray, rs: np.ndarray, rm: np.ndarray) -> np.ndarray:
        # (G, T) × (G, R) × (R, C) -> (G, T, R, C)
        out: np.ndarray = np.einsum(
            "gt,gr,rc->gtrc", s_part, mix_s * rs[None, :], prof
        ) + np.einsum("gt,gr,rc->gtrc", m_part, mix_m * rm[None, :], prof)
        return out

    ones = np.ones(R)
    e_cur = split(grouped["cur_s"], grouped["cur_m"], ones, ones)
    e_prev = split(grouped["prev_s"], grouped["prev_m"], ones, ones)
    repl = split(
        grouped["prev_s"],
        grouped["prev_m"],
        cm.exit_base * ef + cm.expat_share / stay,
        cm.exit_base * ef,
    )
    # each row's own signed net change: they add up to the national expansion
    expansion = e_cur - e_prev
    # replacement is charged on the staff in place: the national run's share of the full
    # replacement, per cell and year, applies to every row of the cell
    full = repl.sum(axis=(0, 2)) + cm.carried_exits * ef  # (T, C)
    in_place = np.where(full > 0, fl.replacement[0] / np.where(full > 0, full, 1.0), 1.0)
    repl = repl * in_place[None, :, None, :]
    openings = expansion + repl  # the row's net requirement; negative where it releases staff

    # Supply other than the released workers (who are netted inside the cell already) goes to
    # the rows with a positive requirement, in proportion to it.
    supply_total = (fl.supply_education + fl.supply_retraining + fl.supply_recruitment)[0]
    if fl.measure_supply is not None:  # agreed and running measures (measures.py)
        supply_total = supply_total + fl.measure_supply[0]
    positive_total = (
        np.maximum(openings, 0.0).sum(axis=(0, 2))
        + _reported_openings(cm)
        + np.maximum(cm.carried_exits * ef * in_place, 0.0)
    )
    # cells with vanishing openings (e.g. a facility of probability 1e-300) keep their supply
    # unallocated: dividing by them would overflow
    has_openings = positive_total > 1e-9
    share = np.where(
        has_openings, supply_total / np.where(has_openings, positive_total, 1.0), 0.0
    )  # supply per positive opening, per (T, C)

    g_idx, t_idx, r_idx, c_idx = np.nonzero((e_cur > 1e-9) | (openings > 1e-9))
    model_rows = pl.DataFrame(
        {
            "kind": ["imputed"] * len(g_idx),
            "segment": [tax.segments[seg_of_g[g]] for g in g_idx],
            "region": [tax.regions[pairs[g][1]] for g in g_idx],
            "role": [tax.roles[r] for r in r_idx],
            "level": [tax.levels[c // A] for c in c_idx],
            "area": [tax.areas[c % A] for c in c_idx],
            "year": cm.years[t_idx].astype(np.int64),
            "headcount": e_cur[g_idx, t_idx, r_idx, c_idx],
            "expansion": expansion[g_idx, t_idx, r_idx, c_idx],
            "replacement": repl[g_idx, t_idx, r_idx, c_idx],
            "openings": openings[g_idx, t_idx, r_idx, c_idx],
        },
        schema_overrides={"expansion": pl.Float64, "replacement": pl.Float64},
    )
    base, end = int(cm.years[0]), int(cm.years[-1])
    sv = survey.filter((pl.col("year") >= base) & (pl.col("year") <= end))
    reported = sv.select(
        pl.lit("reported").alias("kind"),
        "segment",
        "region",
        "role",
        "level",
        "area",
        pl.col("year").cast(pl.Int64),
        pl.col("total_staff").alias("headcount"),
        pl.lit(None, dtype=pl.Float64).alias("expansion"),
        pl.lit(None, dtype=pl.Float64).alias("replacement"),
        pl.col("new_hires").alias("openings"),
    )
    carried = _carried_forward(cm, sv, ef, _cell_frame(cm, {"in_place": in_place}))
    detail = pl.concat([model_rows, reported, carried], how="vertical_relaxed")
    share_frame = _cell_frame(cm, {"supply_per_opening": share})
    detail = (
        detail.join(share_frame, on=["year", "level", "area"], how="left")
        .with_columns(
            (pl.col("openings").clip(lower_bound=0.0) * pl.col("supply_per_opening")).alias(
                "supply"
            )
        )
        .drop("supply_per_opening")
        .with_columns((pl.col("openings") - pl.col("supply")).alias("gap"))
    )
    # supply in cells with no openings at all stays visible, unallocated to any segment or region
    t_u, c_u = np.nonzero(~has_openings & (supply_total > 1e-9))
    if len(t_u):
        extra = pl.DataFrame(
            {
                "kind": ["unallocated_supply"] * len(t_u),
                "segment": [None] * len(t_u),
                "region": [None] * len(t_u),
                "role": [None] * len(t_u),
                "level": [tax.levels[c // A] for c in c_u],
                "area": [tax.areas[c % A] for c in c_u],
                "year": cm.years[t_u].astype(np.int64),
                "headcount": [0.0] * len(t_u),
                "expansion": [0.0] * len(t_u),
                "replacement": [0.0] * len(t_u),
                "openings": [0.0] * len(t_u),
                "supply": supply_total[t_u, c_u],
                "gap": -supply_total[t_u, c_u],
            },
            schema=detail.schema,
        )
        detail = pl.concat([detail, extra])
    _ = (C, T)
    return detail.with_columns(
        pl.col("area").replace_strict(tax.area_parent, default=pl.col("area")).alias("area_group")
    ).sort("year", "kind", "segment", "region", "role", "level", "area", nulls_last=True)


def _reported_openings(cm: Compiled) -> np.ndarray:
    """Reported new hires per year and cell (T, C)."""
    out: np.ndarray = cm.survey_new
    return out


def _carried_forward(
    cm: Compiled, survey: pl.DataFrame, exit_factor: float, in_place: pl.DataFrame
) -> pl.DataFrame:
    """Respondents without facilities keep their last answered staff after their last year; their
    exits are charged on the staff in place, as every replacement is."""
    owners = set(cm.fac_org)
    exit_rate = dict(zip(cm.tax.roles, (cm.exit_base * exit_factor).tolist(), strict=True))
    later = pl.DataFrame({"year": cm.years.astype(np.int64)})
    frames = []
    for org in sorted({str(o) for o in survey["organisation"]} - owners):
        own = survey.filter(pl.col("organisation") == org)
        last = int(own["year"].max())  # type: ignore[arg-type]
        rows = (
            own.filter(pl.col("year") == last)
            .drop("year")
            .join(later.filter(pl.col("year") > last), how="cross")
        )
        frames.append(rows)
    rows = pl.concat(frames) if frames else survey.head(0)
    rows = rows.with_columns(pl.col("year").cast(pl.Int64)).join(
        in_place, on=["year", "level", "area"], how="left"
    )
    replacement = (
        pl.col("total_staff")
        * pl.col("role").replace_strict(exit_rate, default=0.0, return_dtype=pl.Float64)
        * pl.col("in_place").fill_null(1.0)
    )
    return rows.select(
        pl.lit("carried_forward").alias("kind"),
        "segment",
        "region",
        "role",
        "level",
        "area",
        pl.col("year").cast(pl.Int64),
        pl.col("total_staff").cast(pl.Float64).alias("headcount"),
        pl.lit(0.0).alias("expansion"),
        replacement.alias("replacement"),
        replacement.alias("openings"),
    )


def _cell_frame(cm: Compiled, arrays: dict[str, np.ndarray]) -> pl.DataFrame:
    tax = cm.tax
    A = len(tax.areas)
    T, C = next(iter(arrays.values())).shape
    t_grid, c_grid = np.meshgrid(np.arange(T), np.arange(C), indexing="ij")
    t_idx, c_idx = t_grid.ravel(), c_grid.ravel()
    data: dict[str, object] = {
        "year": cm.years[t_idx].astype(np.int64),
        "level": [tax.levels[c // A] for c in c_idx],
        "area": [tax.areas[c % A] for c in c_idx],
    }
    for k, v in arrays.items():
        data[k] = v.ravel()
    return pl.DataFrame(data)


def group_sum(df: pl.DataFrame, by: list[str], values: list[str]) -> pl.DataFrame:
    """Sum ``values`` per group of ``by`` in a fixed order, so that results repeat bit for bit.

    (A parallel group-by may add a group's rows in any order, which changes the last bits.)

    >>> df = pl.DataFrame({"g": ["b", "a", "b"], "x": [1.0, 2.0, 3.0]})
    >>> group_sum(df, ["g"], ["x"]).rows()
    [('a', 2.0), ('b', 4.0)]
    """
    keys = df.select(by).unique(maintain_order=False).sort(by, nulls_last=True)
    if df.height == 0:
        return keys.with_columns([pl.lit(0.0).alias(v) for v in values]).head(0)
    idx = (
        df.select(by)
        .join(
            keys.with_row_index("_g"), on=by, how="left", nulls_equal=True, maintain_order="left"
        )["_g"]
        .to_numpy()
    )
    out = keys
    for v in values:
        acc = np.zeros(keys.height)
        np.add.at(acc, idx, df[v].fill_null(0.0).to_numpy().astype(np.float64))
        out = out.with_columns(pl.Series(v, acc))
    return out


def coverage(detail: pl.DataFrame) -> pl.DataFrame:
    """Per year: openings reported by respondents, carried forward from their last answer, and
    imputed by the capacity model; ``coverage`` is the reported share."""
    parts = detail.filter(pl.col("kind") != "unallocated_supply").with_columns(
        [
            pl.when(pl.col("kind") == kind).then(pl.col("openings")).otherwise(0.0).alias(name)
            for kind, name in (
                ("reported", "reported_openings"),
                ("carried_forward", "carried_forward_openings"),
                ("imputed", "imputed_openings"),
            )
        ]
    )
    sums = group_sum(
        parts, ["year"], ["reported_openings", "carried_forward_openings", "imputed_openings"]
    )
    total = (
        pl.col("reported_openings")
        + pl.col("carried_forward_openings")
        + pl.col("imputed_openings")
    )
    return sums.with_columns(
        pl.when(total > 0)
        .then(pl.col("reported_openings") / total)
        .otherwise(0.0)
        .alias("coverage")
    ).sort("year")
