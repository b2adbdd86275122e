"""The workshop grid: competence areas × education levels with the quantified offer per cell.

BattKOMP's phase 2 workshop listed, per competence area (fagområde), the courses that exist or are
under development and quantified today's study offer; each area ended as *exists*, *can be built*
or *missing entirely*. This module computes that table from the registered offers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from battkomp.core.codes import codes, label, taxonomy
from battkomp.core.terms import STATUSES
from battkomp.offers.models import Offer, OfferStatus

EXISTS = "exists"
CAN_BE_BUILT = "can_be_built"
MISSING = "missing"
AREA_STATUSES = (EXISTS, CAN_BE_BUILT, MISSING)
#: The names and explanations of the statuses (the terminology source, core/terms.py).
AREA_STATUS_LABELS = {s: STATUSES["area_status"][s][0] for s in AREA_STATUSES}
AREA_STATUS_HELP = {s: STATUSES["area_status"][s][1] for s in AREA_STATUSES}


def grid_levels() -> tuple[str, ...]:
    """The grid's columns: the true levels (NKR 4–8), then EVU and short modules."""
    return (*codes("level"), "evu")


def offer_quantity(offer: Offer) -> float:
    """What an offer delivers per year: its study places, or its candidates if places are blank."""
    if offer.study_places is not None:
        return float(offer.study_places)
    return float(offer.candidates or 0)


def area_status(offer_statuses: Iterable[str]) -> str:
    """*exists* if an existing offer covers the area, *can be built* if only offers under
    development or planned do, *missing* if none.

    >>> area_status(["planned", "exists"]), area_status(["planned"]), area_status([])
    ('exists', 'can_be_built', 'missing')
    """
    seen = set(offer_statuses)
    if OfferStatus.EXISTS in seen:
        return EXISTS
    if seen:
        return CAN_BE_BUILT
    return MISSING


@dataclass
class Contribution:
    offer: Offer
    weight: float

    @property
    def quantity(self) -> float:
        return offer_quantity(self.offer)

    @property
    def value(self) -> float:
        return self.quantity * self.weight

    @property
    def percent(self) -> float:
        return self.weight * 100


@dataclass
class Cell:
    area: str
    level: str
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def value(self) -> float:
        return sum(c.value for c in self.contributions)

    @property
    def count(self) -> int:
        return len(self.contributions)


@dataclass
class Row:
    area: str
    label: str
    cells: list[Cell]
    status: str = MISSING

    @property
    def status_label(self) -> str:
        return str(AREA_STATUS_LABELS[self.status])

    @property
    def total(self) -> float:
        return sum(c.value for c in self.cells)

    @property
    def count(self) -> int:
        return len({c.offer.pk for cell in self.cells for c in cell.contributions})


@dataclass
class Group:
    code: str
    label: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Grid:
    levels: list[tuple[str, str]]
    groups: list[Group]
    offer_count: int
    offer_status_counts: list[tuple[str, str, int]]
    """(status, label, number of offers)."""

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]

    def row(self, area: str) -> Row:
        return next(r for r in self.rows if r.area == area)

    def cell(self, area: str, level: str) -> Cell:
        return next(c for c in self.row(area).cells if c.level == level)

    @property
    def area_status_counts(self) -> list[tuple[str, str, int, str]]:
        """(status, label, number of areas, explanation)."""
        rows = self.rows
        return [
            (
                s,
                str(AREA_STATUS_LABELS[s]),
                sum(r.status == s for r in rows),
                str(AREA_STATUS_HELP[s]),
            )
            for s in AREA_STATUSES
        ]

    @property
    def level_totals(self) -> list[float]:
        rows = self.rows
        return [sum(r.cells[i].value for r in rows) for i in range(len(self.levels))]

    @property
    def total(self) -> float:
        return sum(r.total for r in self.rows)


def filtered_offers(region: str = "", status: str = "") -> QuerySet[Offer]:
    """Offers by location and status (blank: all), with their areas and institution."""
    offers = Offer.objects.select_related("institution").prefetch_related("areas")
    if region:
        offers = offers.filter(region=region)
    if status:
        offers = offers.filter(status=status)
    return offers


def build_grid(offers: Iterable[Offer]) -> Grid:
    """The grid of the given offers (their ``areas`` should be prefetched)."""
    tax = taxonomy()
    levels = grid_levels()
    column = {lv: i for i, lv in enumerate(levels)}
    rows: dict[str, Row] = {
        area: Row(area, label("area", area), [Cell(area, lv) for lv in levels])
        for area in codes("area")
    }
    statuses: dict[str, set[str]] = {area: set() for area in rows}
    offer_list = list(offers)
    for offer in offer_list:
        col = column.get(offer.level)
        if col is None:
            continue
        for oa in offer.areas.all():
            if oa.area not in rows or oa.weight <= 0:
                continue
            rows[oa.area].cells[col].contributions.append(Contribution(offer, oa.weight))
            statuses[oa.area].add(offer.status)
    groups: dict[str, Group] = {}
    for area, row in rows.items():
        row.status = area_status(statuses[area])
        for cell in row.cells:
            cell.contributions.sort(key=lambda c: (-c.value, c.offer.name))
        parent = tax.area_parent.get(area, "")
        if parent not in groups:
            groups[parent] = Group(parent, label("area", parent))
        groups[parent].rows.append(row)
    return Grid(
        levels=[(lv, label("level_or_evu", lv)) for lv in levels],
        groups=list(groups.values()),
        offer_count=len(offer_list),
        offer_status_counts=[
            (s.value, str(s.label), sum(o.status == s for o in offer_list)) for s in OfferStatus
        ],
    )
