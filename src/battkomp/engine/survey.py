"""The survey as a statistical survey (issue 14 §4), in the spirit of NAV's Bedriftsundersøkelsen.

* **Frame.** The organisations of the bundle are the register of units in the value chain; a
  unit's ``size`` is its staff in the value chain, its ``segment`` the stratum it belongs to, and
  its ``parent`` the organisation that answers for it. A **group** is a top parent with all its
  descendants.
* **Response status.** A group is a *respondent* when any member answered. Within a group, in a
  year in which an organisation answered, the answers of its descendants are left out: a parent
  answers for its group, so nothing is counted twice.
* **Masking per group and cell.** In every level × area cell a respondent group answered, its
  answers replace the capacity model of the group's facilities, in every year; in the cells it did
  not answer, the capacity model stays.
* **Interpolation and hand-over.** Between two answered years the staff is interpolated linearly;
  before the first and after the last answered year the answered level is carried and moved by the
  capacity model's own change (an additive hand-over: ``staff = model + offset``, the offset
  interpolated between answered years), so there is no jump when the answers end.
* **Planned capacity.** Answers tied to a facility that is not operating (``survey_needs.facility``)
  count in a draw only if the facility is realised: at its realisation probability in expectation.
* **Non-respondents.** A non-respondent group with facilities is imputed by the capacity model. One
  without facilities is imputed by a ratio estimator: the respondents of its stratum (segment ×
  size class, falling back to the segment and then to all respondents) have this much staff per
  unit of size, cell by cell and year by year. The respondents used (donors) are resampled in every
  Monte Carlo draw (a bootstrap), which puts the survey's sampling uncertainty in the bands.

Years are laid out on the extended axis ``base_year − 1 … end_year`` (``E = T + 1`` entries), as
the facilities' staffing profiles are.

>>> interpolation_matrix([1, 3], 5)[:, [1, 3]].tolist()
[[1.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from numpy.typing import NDArray

from battkomp.engine import kernels

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: Upper bounds of the size classes (staff in the value chain), as NAV's survey stratifies by
#: size; the last class is open.
SIZE_CLASSES: tuple[float, ...] = (20.0, 100.0)
#: Facility statuses whose answers count in full (the plant exists).
BUILT = ("operating",)


def size_class(size: float) -> str:
    """The size class of a unit.

    >>> size_class(5), size_class(20), size_class(250)
    ('1-19', '20-99', '100+')
    """
    if size < SIZE_CLASSES[0]:
        return "1-19"
    if size < SIZE_CLASSES[1]:
        return "20-99"
    return "100+"


def interpolation_matrix(answered: Sequence[int], n: int) -> F64:
    """``Λ`` (n × n): ``path = Λ @ values`` interpolates linearly between the answered indices and
    holds the first and last answered values outside them (all zeros without answers)."""
    out = np.zeros((n, n))
    ys = sorted(answered)
    if not ys:
        return out
    for t in range(n):
        if t <= ys[0]:
            out[t, ys[0]] = 1.0
        elif t >= ys[-1]:
            out[t, ys[-1]] = 1.0
        else:
            hi = next(y for y in ys if y >= t)
            lo = max(y for y in ys if y <= t)
            if hi == lo:
                out[t, lo] = 1.0
            else:
                w = (t - lo) / (hi - lo)
                out[t, lo] = 1.0 - w
                out[t, hi] = w
    return out


@dataclass(frozen=True)
class SurveyArrays:
    """The survey estimator's fixed arrays (per draw they are combined in ``model.py``)."""

    groups: tuple[str, ...]  # (G,) respondent groups, by their top organisation
    group_facilities: tuple[tuple[int, ...], ...]  # facility indices of each respondent group
    cells: F64  # (G, C) 1 in the cells the group answered (its answers replace the model there)
    answered: F64  # (G, E) 1 in the years the group answered
    interp: F64  # (G, E, E) Λ of the group's answered years
    part_group: I64  # (P,) group of each part of the answers
    part_facility: I64  # (P,) facility whose realisation weights the part; −1: counts in full
    part_staff: F64  # (P, E, C) the part's staff, interpolated and held (Λ @ answers)
    part_hires: F64  # (P, E, C) the part's reported new hires in answered years
    rate: F64  # (G, C) yearly exits per head of the group's answered staff (base exit rates)
    role_share: F64  # (G, C, R) the group's answered staff per role in each cell, as shares
    place: tuple[tuple[str, str], ...]  # (segment, region) of each group's answers
    donor_staff: F64  # (K, E, C) donors' staff paths (all their parts)
    donor_size: F64  # (K,)
    donor_rate: F64  # (K, C) donors' exits per head
    strata: tuple[tuple[tuple[int, ...], float], ...]  # (donor indices, size to impute) each
    stratum_segment: tuple[str, ...]  # the segment of each stratum's non-respondents
    frame: pl.DataFrame  # the frame with each unit's response status

    @cached_property
    def group_layout(self) -> tuple[tuple[I64, I64, F64, F64], ...]:
        """Per respondent group, computed once per run rather than per block: the cells it
        answered, its parts, and their staff (P_g, E·k) and reported new hires after the first
        year (P_g, (E − 1)·k) in those cells, flattened for one matrix product per draw block."""
        out = []
        for g in range(len(self.groups)):
            cix = np.flatnonzero(self.cells[g] > 0)
            parts = np.flatnonzero(self.part_group == g)
            staff = self.part_staff[parts][:, :, cix].reshape(len(parts), -1)
            hires = self.part_hires[parts][:, 1:, cix].reshape(len(parts), -1)
            out.append((cix, parts, staff, hires))
        return tuple(out)

    @cached_property
    def donor_layout(self) -> tuple[I64, F64, F64]:
        """The cells some donor has staff in, and the donors' staff and exits at base rates in
        those cells, (K, E, k) each; computed once per run."""
        K = len(self.donor_size)
        cix = np.flatnonzero(self.donor_staff.any(axis=(0, 1))) if K else np.zeros(0, np.int64)
        staff = np.ascontiguousarray(self.donor_staff[:, :, cix])
        exits = self.donor_staff[:, :, cix] * self.donor_rate[:, None, cix]
        return cix, staff, exits

    @cached_property
    def stratum_layout(self) -> tuple[I64, F64, F64, F64, F64]:
        """The strata's donors one stratum after another, as :func:`bootstrap_weights` lays out
        its slots: each stratum's first slot (and then the number of slots) (N + 1,), the size
        each stratum imputes (N,), and each slot's donor's size (slots,) and staff and exits in
        :attr:`donor_layout`'s cells (slots, E, k); computed once per run."""
        _cix, staff, exits = self.donor_layout
        order = np.array([i for used, _size in self.strata for i in used], dtype=np.int64)
        starts = np.cumsum([0] + [len(used) for used, _size in self.strata], dtype=np.int64)
        sizes = np.array([size for _used, size in self.strata], dtype=float)
        return starts, sizes, self.donor_size[order], staff[order], exits[order]


FRAME_SCHEMA = {
    "organisation": pl.Utf8,
    "group": pl.Utf8,
    "segment": pl.Utf8,
    "size": pl.Float64,
    "size_class": pl.Utf8,
    "status": pl.Utf8,
    "stratum": pl.Utf8,
    "donors": pl.Int64,
}


def _roots(orgs: pl.DataFrame, extra: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each organisation's parent and top organisation (its group)."""
    parent: dict[str, str] = {}
    if "parent" in orgs.columns:
        for o, p in zip(orgs["id"], orgs["parent"], strict=True):
            if p:
                parent[str(o)] = str(p)
    ids = {str(o) for o in orgs["id"]} | set(extra) | set(parent.values())
    root: dict[str, str] = {}
    for o in ids:
        seen = {o}
        r = o
        while r in parent and parent[r] not in seen:
            r = parent[r]
            seen.add(r)
        root[o] = r
    return parent, root


def compile_survey(
    organisations: pl.DataFrame,
    survey: pl.DataFrame,
    fac_org: Sequence[str],
    fac_ids: Sequence[str],
    fac_status: Sequence[str],
    fac_segment: Sequence[str],
    base: int,
    n_years: int,
    n_cells: int,
    cell: Callable[[str, str], int],
    exit_rate: Callable[[str], float],
    role_index: Callable[[str], int],
    n_roles: int,
) -> SurveyArrays:
    """Compile the frame, the respondents' answers and the ratio imputation of non-respondents.

    ``n_years`` is T (the arrays have ``E = T + 1`` years from ``base − 1``); ``exit_rate`` gives
    a role's base yearly exits (retirement + turnover)."""
    E, C = n_years + 1, n_cells
    orgs = organisations
    answering = sorted({str(o) for o in survey["organisation"]})
    parent, root = _roots(orgs, [*answering, *fac_org])

    def ancestors(o: str) -> list[str]:
        out, seen = [], {o}
        while o in parent and parent[o] not in seen:
            o = parent[o]
            seen.add(o)
            out.append(o)
        return out

    rows = list(survey.iter_rows(named=True))
    answered_by = {(str(r["organisation"]), int(r["year"])) for r in rows}
    # a parent that answered a year answers for its descendants: their rows that year are left out
    kept = [
        r
        for r in rows
        if not any((a, int(r["year"])) in answered_by for a in ancestors(str(r["organisation"])))
    ]
    fac_index = {f: i for i, f in enumerate(fac_ids)}
    groups = sorted({root[str(r["organisation"])] for r in kept})
    g_ix = {g: i for i, g in enumerate(groups)}
    G = len(groups)
    cells = np.zeros((G, C))
    answered = np.zeros((G, E))
    staff_by_group: dict[int, float] = {}
    exits = np.zeros((G, C))
    heads = np.zeros((G, C))
    by_role = np.zeros((G, C, n_roles))
    place: dict[int, tuple[str, str]] = {}
    part_key: dict[tuple[int, int], int] = {}
    raw_staff: list[F64] = []
    raw_hires: list[F64] = []
    for r in kept:
        g = g_ix[root[str(r["organisation"])]]
        e = int(r["year"]) - base + 1
        c = cell(str(r["level"]), str(r["area"]))
        fac = r.get("facility")
        f = fac_index.get(str(fac), -1) if fac else -1
        if f >= 0 and fac_status[f] in BUILT:
            f = -1
        key = (g, f)
        if key not in part_key:
            part_key[key] = len(raw_staff)
            raw_staff.append(np.zeros((E, C)))
            raw_hires.append(np.zeros((E, C)))
        p = part_key[key]
        staff = float(r["total_staff"])
        raw_staff[p][e, c] += staff
        raw_hires[p][e, c] += float(r["new_hires"])
        cells[g, c] = 1.0
        answered[g, e] = 1.0
        heads[g, c] += staff
        exits[g, c] += staff * exit_rate(str(r["role"]))
        # new hires count too, so a cell answered with no staff yet still has roles
        by_role[g, c, role_index(str(r["role"]))] += staff + float(r["new_hires"])
        place.setdefault(g, (str(r["segment"]), str(r["region"])))
        staff_by_group[g] = staff_by_group.get(g, 0.0) + staff
    interp = (
        np.stack([interpolation_matrix(list(np.flatnonzero(answered[g])), E) for g in range(G)])
        if G
        else np.zeros((0, E, E))
    )
    keys = sorted(part_key, key=lambda k: part_key[k])
    part_group = np.array([k[0] for k in keys], dtype=np.int64)
    part_facility = np.array([k[1] for k in keys], dtype=np.int64)
    part_staff = (
        np.stack([interp[g] @ raw_staff[part_key[(g, f)]] for g, f in keys])
        if keys
        else np.zeros((0, E, C))
    )
    part_hires = np.stack(raw_hires) if keys else np.zeros((0, E, C))
    rate = np.divide(exits, heads, out=np.zeros_like(exits), where=heads > 0)
    role_total = by_role.sum(axis=2, keepdims=True)
    role_share = np.divide(
        by_role, role_total, out=np.full_like(by_role, 1.0 / max(n_roles, 1)), where=role_total > 0
    )
    group_facilities = tuple(
        tuple(i for i, o in enumerate(fac_org) if root.get(str(o), str(o)) == g) for g in groups
    )

    # ---- the frame: segments and sizes of units and groups
    size: dict[str, float | None] = {}
    segment: dict[str, str | None] = {}
    cols = orgs.columns
    for r in orgs.iter_rows(named=True):
        o = str(r["id"])
        size[o] = float(r["size"]) if "size" in cols and r["size"] is not None else None
        segment[o] = str(r["segment"]) if "segment" in cols and r["segment"] else None
    for o, s in zip(fac_org, fac_segment, strict=True):
        if not segment.get(str(o)):
            segment[str(o)] = s
    for r in rows:
        if not segment.get(str(r["organisation"])):
            segment[str(r["organisation"])] = str(r["segment"])
    members: dict[str, list[str]] = {}
    for o in sorted(root):
        members.setdefault(root[o], []).append(o)
    has_facility = {root.get(str(o), str(o)) for o in fac_org}

    def group_segment(g: str) -> str | None:
        if segment.get(g):
            return segment[g]
        return next((segment[m] for m in members[g] if segment.get(m)), None)

    def group_size(g: str) -> float:
        return sum(size.get(m) or 0.0 for m in members[g])

    donors = [g for g in groups if group_size(g) > 0]
    donor_ix = {g: k for k, g in enumerate(donors)}
    donor_staff = (
        np.stack([part_staff[part_group == g_ix[g]].sum(axis=0) for g in donors])
        if donors
        else np.zeros((0, E, C))
    )
    donor_size = np.array([group_size(g) for g in donors], dtype=float)
    donor_rate = rate[[g_ix[g] for g in donors]] if donors else np.zeros((0, C))

    def stratum_of(g: str) -> tuple[str, tuple[int, ...]]:
        seg, cls = group_segment(g), size_class(group_size(g))
        same = [d for d in donors if group_segment(d) == seg]
        exact = tuple(donor_ix[d] for d in same if size_class(group_size(d)) == cls)
        if exact:
            return f"{seg}|{cls}", exact
        if same:
            return f"{seg}|all", tuple(donor_ix[d] for d in same)
        return "all", tuple(range(len(donors)))

    strata: dict[tuple[tuple[int, ...], str], float] = {}
    frame_rows: list[dict[str, object]] = []
    for grp in sorted(members):
        respondent = grp in g_ix
        gsize = group_size(grp)
        stratum = ""
        used: tuple[int, ...] = ()
        if respondent:
            status = "respondent"
        elif grp in has_facility:
            status = "capacity_model"
        elif gsize > 0:
            stratum, used = stratum_of(grp)
            status = "imputed" if used else "no_donors"
            if used:
                stratum_key = (used, group_segment(grp) or "")
                strata[stratum_key] = strata.get(stratum_key, 0.0) + gsize
        else:
            status = "not_in_frame"
        answered_members = {str(r["organisation"]) for r in rows}
        for m in members[grp]:
            own = status
            if respondent and m not in answered_members:
                own = "answered_by_group"
            unit_size = size.get(m)
            frame_rows.append(
                {
                    "organisation": m,
                    "group": grp,
                    "segment": segment.get(m) or group_segment(grp),
                    "size": unit_size,
                    "size_class": size_class(unit_size) if unit_size is not None else None,
                    "status": own,
                    "stratum": stratum or None,
                    "donors": len(used) if status == "imputed" else None,
                }
            )
    return SurveyArrays(
        groups=tuple(groups),
        group_facilities=group_facilities,
        cells=cells,
        answered=answered,
        interp=interp,
        part_group=part_group,
        part_facility=part_facility,
        part_staff=part_staff,
        part_hires=part_hires,
        rate=rate,
        role_share=role_share,
        place=tuple(place[g] for g in range(G)),
        donor_staff=donor_staff,
        donor_size=donor_size,
        donor_rate=donor_rate,
        strata=tuple((k[0], v) for k, v in sorted(strata.items())),
        stratum_segment=tuple(k[1] for k, _v in sorted(strata.items())),
        frame=pl.DataFrame(frame_rows, schema=FRAME_SCHEMA, orient="row")
        if frame_rows
        else pl.DataFrame(schema=FRAME_SCHEMA),
    )


def bootstrap_weights(sv: SurveyArrays, n: int, rng: np.random.Generator) -> F64:
    """Per draw, how many times each donor of each stratum is drawn when the stratum's donors are
    resampled with replacement, independently per stratum: (n, Σ donors of each stratum), the
    strata one after another."""
    cols = [np.ones((n, 0))]
    for used, _size in sv.strata:
        k = len(used)
        cols.append(rng.multinomial(k, np.full(k, 1.0 / k), size=n).astype(float))
    return np.concatenate(cols, axis=1)


def donor_slots(sv: SurveyArrays) -> int:
    """Columns of :func:`bootstrap_weights`: one per donor of each stratum."""
    return sum(len(used) for used, _size in sv.strata)


def imputed_staff(sv: SurveyArrays, weights: F64) -> tuple[F64, F64]:
    """Staff of the non-respondents imputed by ratio, and their exits per year at base rates,
    per draw and stratum: ((D, N, E, C), (D, N, E, C)). Each stratum's resampled donors
    (``weights``, :func:`bootstrap_weights`) are scaled to the stratum's size; only the cells
    some donor has staff in are computed (kernels.impute_strata)."""
    D = weights.shape[0]
    E, C = sv.donor_staff.shape[1:] if sv.donor_staff.size else (0, 0)
    N = len(sv.strata)
    per_staff = np.zeros((D, N, E, C))
    per_exits = np.zeros((D, N, E, C))
    if N:
        starts, sizes, donor_size, staff, exits = sv.stratum_layout
        cix = sv.donor_layout[0]
        kernels.impute_strata(
            weights, starts, sizes, donor_size, staff, exits, cix, per_staff, per_exits
        )
    return per_staff, per_exits
