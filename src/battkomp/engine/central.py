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

from battkomp.engine.model import Compiled, national_flows, survey_paths
from battkomp.engine.montecarlo import expected_draw


def central_detail(cm: Compiled, survey: pl.DataFrame) -> pl.DataFrame:
    """The detailed central table (one row per non-empty detail cell and year)."""
    tax = cm.tax
    L, A, R = len(tax.levels), len(tax.areas), len(tax.roles)
    C = L * A
    T = len(cm.years)
    dr = expected_draw(cm)
    fl = national_flows(cm, dr)
    sv = cm.survey
    jobs, st = dr.facility_jobs[0], dr.facility_startup[0]  # (F, T+1)
    parts = {
        "cur_s": st[:, 1:],
        "cur_m": jobs[:, 1:] - st[:, 1:],
        "prev_s": st[:, :-1],
        "prev_m": jobs[:, :-1] - st[:, :-1],
    }
    # facilities grouped by segment, region and the respondent group that answers for them
    answering = {f: g for g, facs in enumerate(sv.group_facilities) for f in facs}
    keys = [
        (int(s), int(r), answering.get(f, -1))
        for f, (s, r) in enumerate(zip(cm.fac_segment, cm.fac_region, strict=True))
    ]
    pairs = sorted(set(keys))
    G = len(pairs)
    g_of = {p: i for i, p in enumerate(pairs)}
    onehot = np.zeros((len(cm.facility_ids), G))
    for f, key in enumerate(keys):
        onehot[f, g_of[key]] = 1.0
    grouped = {k: onehot.T @ v for k, v in parts.items()}  # (G, T)
    seg_of_g = np.array([p[0] for p in pairs], dtype=np.int64)
    mix_s = cm.role_mix[seg_of_g, 0, :] if G else np.zeros((0, R))  # (G, R)
    mix_m = cm.role_mix[seg_of_g, 1, :] if G else np.zeros((0, R))
    prof = cm.profile_rc  # (R, C)
    ef, stay = float(dr.exit_factor[0]), float(dr.stay_years[0])
    # a respondent group's answers replace its facilities in the cells it answered
    keep = np.ones((G, C))
    for i, (_s, _r, g) in enumerate(pairs):
        if g >= 0:
            keep[i] = 1.0 - sv.cells[g]

    def split(s_part: np.ndarray, m_part: np.ndarray, rs: np.ndarray, rm: np.ndarray) -> np.ndarray:
        # (G, T) × (G, R) × (R, C) -> (G, T, R, C), without the cells answered for them
        out: np.ndarray = np.einsum(
            "gt,gr,rc->gtrc", s_part, mix_s * rs[None, :], prof
        ) + np.einsum("gt,gr,rc->gtrc", m_part, mix_m * rm[None, :], prof)
        return out * keep[:, None, None, :]

    ones = np.ones(R)
    e_cur = split(grouped["cur_s"], grouped["cur_m"], ones, ones)
    e_prev = split(grouped["prev_s"], grouped["prev_m"], ones, ones)
    repl = split(
        grouped["prev_s"],
        grouped["prev_m"],
        cm.exit_base * ef + cm.expat_share / stay,
        cm.exit_base * ef,
    )
    # the survey's paths (respondent groups, imputed strata) of the central run
    paths = fl.survey if fl.survey is not None else survey_paths(cm, dr)
    # the survey's own replacement before the in-place share (respondents' exits outside their
    # answered years, the imputed non-respondents' exits), per year and cell
    survey_full = paths.stratum_exits[0].sum(axis=0)[:-1].copy()
    group_paths: list[np.ndarray] = []
    group_implied: list[np.ndarray] = []
    for cix, path, implied, exits in zip(
        paths.group_cells, paths.group_path, paths.group_implied, paths.group_exits, strict=True
    ):
        survey_full[:, cix] += exits[0]
        full_path = np.zeros((T + 1, C))
        full_path[:, cix] = path[0]
        full_implied = np.zeros((T, C))
        full_implied[:, cix] = implied[0]
        group_paths.append(full_path)
        group_implied.append(full_implied)
    # replacement is charged on the staff in place: the national run's share of the full
    # replacement, per cell and year, applies to every row of the cell
    full = repl.sum(axis=(0, 2)) + survey_full  # (T, C)
    charged = fl.replacement[0] - paths.implied[0]  # the part charged on the staff in place
    in_place = np.where(full > 1e-12, charged / np.where(full > 1e-12, full, 1.0), 1.0)
    expansion = e_cur - e_prev  # each row's own signed net change
    repl = repl * in_place[None, :, None, :]
    openings = expansion + repl  # the row's net requirement; negative where it releases staff

    g_idx, t_idx, r_idx, c_idx = np.nonzero((np.abs(e_cur) > 1e-9) | (np.abs(openings) > 1e-9))
    frames = [
        pl.DataFrame(
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
            schema=DETAIL_SCHEMA,
        )
    ]
    # respondent groups: answered years are 'reported', the others 'carried_forward'
    for g, (path, implied) in enumerate(zip(group_paths, group_implied, strict=True)):
        answered = sv.answered[g][1:]  # (T,)
        rate_repl = sv.rate[g][None, :] * ef * path[:-1] * in_place
        grepl = np.where(answered[:, None] > 0, implied, rate_repl)  # (T, C)
        gexp = path[1:] - path[:-1]
        share = sv.role_share[g]  # (C, R)
        t_i, c_i, r_i = np.nonzero(
            (sv.cells[g][None, :, None] > 0)
            & ((np.abs(path[1:]) > 1e-9) | (np.abs(gexp + grepl) > 1e-9))[:, :, None]
            & (share[None] > 0)
        )
        sh = share[c_i, r_i]
        segment, region = sv.place[g]
        frames.append(
            pl.DataFrame(
                {
                    "kind": np.where(answered[t_i] > 0, "reported", "carried_forward").tolist(),
                    "segment": [segment] * len(t_i),
                    "region": [region] * len(t_i),
                    "role": [tax.roles[r] for r in r_i],
                    "level": [tax.levels[c // A] for c in c_i],
                    "area": [tax.areas[c % A] for c in c_i],
                    "year": cm.years[t_i].astype(np.int64),
                    "headcount": path[1:][t_i, c_i] * sh,
                    "expansion": gexp[t_i, c_i] * sh,
                    "replacement": grepl[t_i, c_i] * sh,
                    "openings": (gexp + grepl)[t_i, c_i] * sh,
                },
                schema=DETAIL_SCHEMA,
            )
        )
    # non-respondents without facilities, imputed by ratio per stratum
    for n, (staff, exits) in enumerate(
        zip(paths.stratum_staff[0], paths.stratum_exits[0], strict=True)
    ):
        nexp = staff[1:] - staff[:-1]
        nrepl = exits[:-1] * in_place  # the exit factor is in already
        t_i, c_i = np.nonzero((np.abs(staff[1:]) > 1e-9) | (np.abs(nexp + nrepl) > 1e-9))
        frames.append(
            pl.DataFrame(
                {
                    "kind": ["imputed_nonrespondent"] * len(t_i),
                    "segment": [sv.stratum_segment[n] or None] * len(t_i),
                    "region": [None] * len(t_i),
                    "role": [None] * len(t_i),
                    "level": [tax.levels[c // A] for c in c_i],
                    "area": [tax.areas[c % A] for c in c_i],
                    "year": cm.years[t_i].astype(np.int64),
                    "headcount": staff[1:][t_i, c_i],
                    "expansion": nexp[t_i, c_i],
                    "replacement": nrepl[t_i, c_i],
                    "openings": (nexp + nrepl)[t_i, c_i],
                },
                schema=DETAIL_SCHEMA,
            )
        )
    detail = pl.concat(frames)

    # Supply other than the released workers (who are netted inside the cell already) goes to
    # the rows with a positive requirement, in proportion to it.
    supply_total = (fl.supply_education + fl.supply_retraining + fl.supply_recruitment)[0]
    if fl.measure_supply is not None:  # agreed and running measures (measures.py)
        supply_total = supply_total + fl.measure_supply[0]
    positive = group_sum(
        detail.with_columns(pl.col("openings").clip(lower_bound=0.0).alias("positive")),
        ["year", "level", "area"],
        ["positive"],
    )
    cells = _cell_frame(cm, {"supply_total": supply_total}).join(
        positive, on=["year", "level", "area"], how="left"
    )
    cells = cells.with_columns(pl.col("positive").fill_null(0.0))
    # cells with vanishing openings (e.g. a facility of probability 1e-300) keep their supply
    # unallocated: dividing by them would overflow
    detail = (
        detail.join(cells, on=["year", "level", "area"], how="left")
        .with_columns(
            pl.when(pl.col("positive") > 1e-9)
            .then(
                pl.col("openings").clip(lower_bound=0.0)
                * pl.col("supply_total")
                / pl.col("positive")
            )
            .otherwise(0.0)
            .alias("supply")
        )
        .drop("supply_total", "positive")
        .with_columns((pl.col("openings") - pl.col("supply")).alias("gap"))
    )
    # supply in cells with no openings at all stays visible, unallocated to any segment or region
    idle = cells.filter((pl.col("positive") <= 1e-9) & (pl.col("supply_total") > 1e-9))
    if idle.height:
        extra = idle.select(
            pl.lit("unallocated_supply").alias("kind"),
            pl.lit(None, dtype=pl.Utf8).alias("segment"),
            pl.lit(None, dtype=pl.Utf8).alias("region"),
            pl.lit(None, dtype=pl.Utf8).alias("role"),
            "level",
            "area",
            "year",
            pl.lit(0.0).alias("headcount"),
            pl.lit(0.0).alias("expansion"),
            pl.lit(0.0).alias("replacement"),
            pl.lit(0.0).alias("openings"),
            pl.col("supply_total").alias("supply"),
            (-pl.col("supply_total")).alias("gap"),
        )
        detail = pl.concat([detail, extra.select(detail.columns)])
    _ = (C, T, survey)
    return detail.with_columns(
        pl.col("area").replace_strict(tax.area_parent, default=pl.col("area")).alias("area_group")
    ).sort("year", "kind", "segment", "region", "role", "level", "area", nulls_last=True)


DETAIL_SCHEMA = {
    "kind": pl.Utf8,
    "segment": pl.Utf8,
    "region": pl.Utf8,
    "role": pl.Utf8,
    "level": pl.Utf8,
    "area": pl.Utf8,
    "year": pl.Int64,
    "headcount": pl.Float64,
    "expansion": pl.Float64,
    "replacement": pl.Float64,
    "openings": pl.Float64,
}


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
    """Per year: openings reported by respondents, carried forward or handed over between and
    after their answered years, imputed by the capacity model, and imputed by ratio for
    non-respondents without facilities; ``coverage`` is the reported share of them all. Each is
    the sum of the rows' positive requirements (a row that releases staff adds nothing)."""
    names = (
        ("reported", "reported_openings"),
        ("carried_forward", "carried_forward_openings"),
        ("imputed", "imputed_openings"),
        ("imputed_nonrespondent", "nonrespondent_openings"),
    )
    parts = detail.filter(pl.col("kind") != "unallocated_supply").with_columns(
        [
            pl.when(pl.col("kind") == kind)
            .then(pl.col("openings").clip(lower_bound=0.0))
            .otherwise(0.0)
            .alias(name)
            for kind, name in names
        ]
    )
    sums = group_sum(parts, ["year"], [n for _k, n in names])
    total = pl.sum_horizontal([pl.col(n) for _k, n in names])
    return sums.with_columns(
        pl.when(total > 0)
        .then(pl.col("reported_openings") / total)
        .otherwise(0.0)
        .alias("coverage")
    ).sort("year")
