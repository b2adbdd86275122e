"""Retraining pathways (the medium term): from an occupation outside the industry to battery roles.

A *source occupation* (``source_occupations``, STYRK-08) has a competence profile
``s[a]`` over the competence areas (``occupation_profile``, weights summing to 1). A battery role
has the profile ``r[a]`` = the sum of its ``role_profile`` shares over education levels (also
summing to 1). Then, for an occupation and a role:

- **overlap** ``= Σ_a min(s[a], r[a])``: the share of the role's competence the worker already
  has (0 = nothing in common, 1 = the same profile; it equals 1 minus the total variation
  distance of the two profiles, so it is symmetric);
- **shortfall** ``d[a] = max(0, r[a] − s[a])`` (they sum to ``1 − overlap``); an area is
  **missing** when ``d[a] ≥ pathway_missing_threshold``;
- the **level** the retrained worker works at is the highest level of the role's profile at or
  below the occupation's usual level; a role with no such level needs a new education, not
  retraining, and is left out;
- the **covering offers**: among the EVU offers (kind ``module``, ``course`` or
  ``bransjeprogram``, or level ``evu``), greedily the offer that covers the most shortfall of the
  still uncovered missing areas (an offer covers the areas it lists in ``offer_areas``); ties go
  to the offer that exists (before under development, before planned), then to the shorter,
  then to the smaller id; until no offer covers a remaining area;
- the **duration** is the sum of the chosen offers' durations (blank: the level's typical), plus
  training outside the registered offers: when missing areas are left uncovered, their share of
  the level's typical programme duration (``Σ uncovered shortfall × duration_years`` of the
  pathway's level in ``education_levels``), at least one typical EVU duration (row ``evu``); when
  nothing is missing, one typical EVU duration (an introduction); at most 5 years.

Roles are ranked by overlap (highest first), then by level (highest first: the worker's full
qualification is used), then by role code.

A retraining pool without explicit ``retraining_paths`` rows gets *derived* paths
(:func:`effective_retraining_paths`): its source occupation's best ``pathway_roles`` roles with an
overlap of at least ``pathway_min_overlap``, shares proportional to the overlap (summing to 1; the
pool's ``share_available`` is the take-up), each at the pathway's level and duration.

>>> round(overlap({"a": 0.6, "b": 0.4}, {"a": 0.5, "c": 0.5}), 6)
0.5
>>> missing_areas({"a": 0.6, "b": 0.4}, {"a": 0.5, "c": 0.5}, 0.05)
(('c', 0.5),)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from battkomp.engine.bundle import Inputs

__all__ = [
    "EVU_KINDS",
    "CoveringOffer",
    "Occupation",
    "Pathway",
    "PathwayData",
    "PathwayOffer",
    "cover",
    "derived_paths",
    "effective_retraining_paths",
    "missing_areas",
    "offers_from_rows",
    "overlap",
    "pathway_data",
    "rank_pathways",
]

#: Offer kinds that count as short retraining offers (besides any offer at level ``evu``).
EVU_KINDS = ("module", "course", "bransjeprogram")
#: Order of offer statuses in tie-breaks: an existing offer first.
STATUS_ORDER = ("exists", "under_development", "planned")
#: Longest derived course duration (the ``retraining_paths.duration_years`` maximum).
MAX_DURATION = 5.0
#: Shares and overlaps are rounded to this many decimals before comparing (float noise).
DECIMALS = 9


@dataclass(frozen=True)
class Occupation:
    """A source occupation."""

    code: str
    name_nb: str
    name_en: str
    usual_level: str

    def name(self, lang: str = "en") -> str:
        return self.name_nb if lang == "nb" else self.name_en


@dataclass(frozen=True)
class PathwayOffer:
    """An education offer as the pathways see it."""

    id: str
    name: str
    institution: str
    kind: str
    level: str
    status: str
    duration_years: float
    areas: Mapping[str, float]

    @property
    def is_evu(self) -> bool:
        return self.kind in EVU_KINDS or self.level == "evu"


@dataclass(frozen=True)
class CoveringOffer:
    """An offer chosen for a pathway and the missing areas it covers there."""

    offer: PathwayOffer
    covers: tuple[str, ...]


@dataclass(frozen=True)
class Pathway:
    """One battery role reached from a source occupation."""

    occupation: str
    role: str
    level: str
    overlap: float
    missing: tuple[tuple[str, float], ...]  # (area, shortfall), largest shortfall first
    offers: tuple[CoveringOffer, ...]
    uncovered: tuple[str, ...]
    duration_years: float

    @property
    def offer_years(self) -> float:
        """Duration of the chosen offers alone."""
        return sum(c.offer.duration_years for c in self.offers)


@dataclass(frozen=True)
class PathwayData:
    """What the pathways need: profiles, levels, offers and the three parameters."""

    occupations: Mapping[str, Occupation]
    occupation_profiles: Mapping[str, Mapping[str, float]]
    role_profiles: Mapping[str, Mapping[str, float]]
    role_levels: Mapping[str, tuple[str, ...]]  # levels of each role's profile
    level_rank: Mapping[str, int]  # true levels in order (NKR)
    offers: tuple[PathwayOffer, ...]
    evu_years: float
    missing_threshold: float
    max_roles: int
    min_overlap: float
    level_years: Mapping[str, float] = field(default_factory=dict)  # typical durations


# ------------------------------------------------------------------------------ the measures


def overlap(source: Mapping[str, float], role: Mapping[str, float]) -> float:
    """``Σ_a min(source[a], role[a])`` over the areas of both profiles."""
    return sum(min(source.get(a, 0.0), w) for a, w in role.items() if w > 0)


def missing_areas(
    source: Mapping[str, float], role: Mapping[str, float], threshold: float
) -> tuple[tuple[str, float], ...]:
    """Areas whose shortfall ``role[a] − source[a]`` is at least ``threshold`` (and above 0),
    largest first, ties by area code."""
    found = []
    for area, weight in role.items():
        short = round(weight - source.get(area, 0.0), DECIMALS)
        if short > 0 and short >= threshold:
            found.append((area, short))
    return tuple(sorted(found, key=lambda p: (-p[1], p[0])))


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def cover(
    missing: Sequence[tuple[str, float]], offers: Iterable[PathwayOffer]
) -> tuple[tuple[CoveringOffer, ...], tuple[str, ...]]:
    """Greedy cover of the missing areas by EVU offers: (chosen offers, areas left uncovered).

    >>> m = PathwayOffer("m", "M", "X", "module", "evu", "exists", 0.5, {"c": 1.0})
    >>> chosen, left = cover((("c", 0.5), ("d", 0.1)), [m])
    >>> [c.offer.id for c in chosen], left
    (['m'], ('d',))
    """
    shortfall = dict(missing)
    remaining = set(shortfall)
    pool = [o for o in offers if o.is_evu]
    chosen: list[CoveringOffer] = []
    while remaining:
        best: tuple[tuple[float, int, float, str], PathwayOffer, tuple[str, ...]] | None = None
        for offer in pool:
            covers = tuple(sorted(a for a in remaining if offer.areas.get(a, 0.0) > 0))
            if not covers:
                continue
            score = round(sum(shortfall[a] for a in covers), DECIMALS)
            key = (-score, _status_rank(offer.status), offer.duration_years, offer.id)
            if best is None or key < best[0]:
                best = (key, offer, covers)
        if best is None:
            break
        _key, offer, covers = best
        chosen.append(CoveringOffer(offer, covers))
        remaining -= set(covers)
        pool.remove(offer)
    left = tuple(a for a, _s in missing if a in remaining)
    return tuple(chosen), left


def _pathway(data: PathwayData, occupation: Occupation, role: str) -> Pathway | None:
    source = data.occupation_profiles.get(occupation.code, {})
    profile = data.role_profiles[role]
    own = data.level_rank.get(occupation.usual_level)
    levels = [lv for lv in data.role_levels.get(role, ()) if lv in data.level_rank]
    reachable = [lv for lv in levels if own is not None and data.level_rank[lv] <= own]
    if not reachable:
        return None
    level = max(reachable, key=lambda lv: data.level_rank[lv])
    missing = missing_areas(source, profile, data.missing_threshold)
    offers, uncovered = cover(missing, data.offers)
    duration = sum(c.offer.duration_years for c in offers)
    if uncovered:
        left = sum(short for area, short in missing if area in uncovered)
        duration += max(data.evu_years, left * data.level_years.get(level, 0.0))
    elif not offers:
        duration += data.evu_years
    return Pathway(
        occupation=occupation.code,
        role=role,
        level=level,
        overlap=round(overlap(source, profile), DECIMALS),
        missing=missing,
        offers=offers,
        uncovered=uncovered,
        duration_years=round(min(duration, MAX_DURATION), DECIMALS),
    )


def rank_pathways(data: PathwayData, occupation: str) -> list[Pathway]:
    """Every battery role the occupation can retrain into, best first (see the module doc).

    Raises KeyError for an unknown occupation; an occupation without a profile has no pathways.
    """
    occ = data.occupations[occupation]
    if not data.occupation_profiles.get(occupation):
        return []
    found = [p for role in data.role_profiles if (p := _pathway(data, occ, role)) is not None]
    return sorted(found, key=lambda p: (-p.overlap, -data.level_rank[p.level], p.role))


# ------------------------------------------------------------------------------ from the inputs


def offers_from_rows(
    offers: Iterable[Mapping[str, object]],
    offer_areas: Iterable[Mapping[str, object]],
    level_years: Mapping[str, float],
) -> tuple[PathwayOffer, ...]:
    """Offers in the shape of the bundle tables ``education_offers`` and ``offer_areas``."""
    areas: dict[str, dict[str, float]] = defaultdict(dict)
    for r in offer_areas:
        areas[str(r["offer"])][str(r["area"])] = float(r["weight"])  # type: ignore[arg-type]
    out = []
    for r in offers:
        level = str(r["level"])
        raw = r.get("duration_years")
        duration = (
            float(raw)  # type: ignore[arg-type]
            if raw not in (None, "")
            else float(level_years.get(level, 0.0))
        )
        out.append(
            PathwayOffer(
                id=str(r["id"]),
                name=str(r["name"]),
                institution=str(r.get("institution") or ""),
                kind=str(r["kind"]),
                level=level,
                status=str(r["status"]),
                duration_years=duration,
                areas=dict(areas.get(str(r["id"]), {})),
            )
        )
    return tuple(out)


def pathway_data(inputs: Inputs, offers: Sequence[PathwayOffer] | None = None) -> PathwayData:
    """The pathway data of validated inputs; ``offers`` replace the bundle's offers (the web
    page passes the platform's registered offers)."""
    levels = inputs["education_levels"]
    level_years = {str(r["code"]): float(r["duration_years"]) for r in levels.iter_rows(named=True)}
    true_levels = levels.filter(levels["is_level"]).sort("nkr")
    level_rank = {str(c): i for i, c in enumerate(true_levels["code"])}
    evu_rows = levels.filter(~levels["is_level"])
    evu_years = float(evu_rows["duration_years"][0]) if evu_rows.height else 0.5
    occupations = {
        str(r["code"]): Occupation(
            str(r["code"]), str(r["name_nb"]), str(r["name_en"]), str(r["usual_level"])
        )
        for r in inputs["source_occupations"].iter_rows(named=True)
    }
    occ_profiles: dict[str, dict[str, float]] = defaultdict(dict)
    for r in inputs["occupation_profile"].iter_rows(named=True):
        occ_profiles[str(r["occupation"])][str(r["area"])] = float(r["weight"])
    role_profiles: dict[str, dict[str, float]] = {str(c): {} for c in inputs["roles"]["code"]}
    role_levels: dict[str, list[str]] = defaultdict(list)
    for r in inputs["role_profile"].iter_rows(named=True):
        role, area, level = str(r["role"]), str(r["area"]), str(r["level"])
        prof = role_profiles.setdefault(role, {})
        prof[area] = prof.get(area, 0.0) + float(r["share"])
        if level not in role_levels[role]:
            role_levels[role].append(level)
    if offers is None:
        offers = offers_from_rows(
            inputs["education_offers"].iter_rows(named=True),
            inputs["offer_areas"].iter_rows(named=True),
            level_years,
        )
    return PathwayData(
        occupations=occupations,
        occupation_profiles=dict(occ_profiles),
        role_profiles=role_profiles,
        role_levels={k: tuple(v) for k, v in role_levels.items()},
        level_rank=level_rank,
        offers=tuple(offers),
        evu_years=evu_years,
        missing_threshold=inputs.parameter("pathway_missing_threshold"),
        max_roles=int(inputs.parameter("pathway_roles")),
        min_overlap=inputs.parameter("pathway_min_overlap"),
        level_years=level_years,
    )


def derived_paths(data: PathwayData, pool: str, occupation: str | None) -> list[dict[str, Any]]:
    """``retraining_paths`` rows for a pool from its occupation's best pathways (none when the
    occupation is unknown or has no profile)."""
    if not occupation or occupation not in data.occupations:
        return []
    best = [p for p in rank_pathways(data, occupation) if p.overlap >= data.min_overlap]
    best = best[: max(data.max_roles, 0)]
    total = sum(p.overlap for p in best)
    if total <= 0:
        return []
    return [
        {
            "pool": pool,
            "target_role": p.role,
            "level": p.level,
            "share": p.overlap / total,
            "duration_years": p.duration_years,
        }
        for p in best
    ]


def effective_retraining_paths(inputs: Inputs) -> list[dict[str, Any]]:
    """The ``retraining_paths`` the model uses: the explicit rows, plus derived paths for every
    pool that has no explicit row (explicit rows win)."""
    explicit = list(inputs["retraining_paths"].iter_rows(named=True))
    with_rows = {str(r["pool"]) for r in explicit}
    pools = [
        r for r in inputs["retraining_pools"].iter_rows(named=True) if str(r["id"]) not in with_rows
    ]
    if not pools:
        return explicit
    data = pathway_data(inputs)
    derived: list[dict[str, Any]] = []
    for r in pools:
        occupation = r["source_occupation"]
        derived.extend(derived_paths(data, str(r["id"]), str(occupation) if occupation else None))
    return explicit + derived
