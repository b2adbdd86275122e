"""The ten commandments, the levers and the phase-3 measures, read from the engine's default
tables (one source), with labels in the active language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from battkomp.engine.bundle import load_inputs


@dataclass(frozen=True)
class Commandment:
    number: int
    code: str
    name_nb: str
    name_en: str
    horizons: tuple[str, ...]
    levers: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.name_nb if _lang() == "nb" else self.name_en


@dataclass(frozen=True)
class Lever:
    code: str
    horizon: str
    name_nb: str
    name_en: str
    levels: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.name_nb if _lang() == "nb" else self.name_en


def _lang() -> str:
    return (get_language() or "nb")[:2]


def _split(value: object) -> tuple[str, ...]:
    """A ``;``-separated list (or the list the engine has already made of it)."""
    if isinstance(value, list | tuple):
        return tuple(str(p).strip() for p in value if str(p).strip())
    return tuple(p.strip() for p in str(value or "").split(";") if p.strip())


@lru_cache(maxsize=1)
def commandments() -> tuple[Commandment, ...]:
    """The ten battery competence commandments, in order (engine/data/commandments.csv)."""
    df = load_inputs(None)["commandments"].sort("number")
    return tuple(
        Commandment(
            number=int(r["number"]),
            code=str(r["code"]),
            name_nb=str(r["name_nb"]),
            name_en=str(r["name_en"]),
            horizons=_split(r["horizons"]),
            levers=_split(r["levers"]),
        )
        for r in df.iter_rows(named=True)
    )


def commandment(number: int) -> Commandment | None:
    for c in commandments():
        if c.number == number:
            return c
    return None


@lru_cache(maxsize=1)
def levers() -> tuple[Lever, ...]:
    """The levers that add supply (engine/data/levers.csv), fastest first."""
    df = load_inputs(None)["levers"]
    return tuple(
        Lever(
            code=str(r["code"]),
            horizon=str(r["horizon"]),
            name_nb=str(r["name_nb"]),
            name_en=str(r["name_en"]),
            levels=_split(r["levels"]),
        )
        for r in df.iter_rows(named=True)
    )


def lever(code: str) -> Lever | None:
    for item in levers():
        if item.code == code:
            return item
    return None


def commandment_choices() -> list[tuple[int, str]]:
    return [(c.number, f"{c.number}. {c.name}") for c in commandments()]


def lever_choices() -> list[tuple[str, str]]:
    return [(lv.code, lv.name) for lv in levers()]


#: The five competence measures of BattKOMP phase 3 (2022–2023), handed to the Minister of Trade
#: and Industry in 2023, with the commandments they carry forward (source: PHASE3_SOURCE; which
#: commandments each builds on is battkomp's reading).
PHASE3_SOURCE = (
    "https://www.eydecluster.com/en/latest-news/2023/"
    "this-should-provide-norwegian-industry-with-the-right-battery-expertise"
)
PHASE3_MEASURES: tuple[tuple[str, object, tuple[int, ...]], ...] = (
    ("early_school", _("Early introduction in school"), (5,)),
    ("recruitment_inclusion", _("Recruitment and inclusion"), (1, 7)),
    ("fagskole_role", _("A stronger role for fagskole"), (5, 6)),
    (
        "capacity_evu",
        _("A capacity boost for battery studies and continuing education (EVU)"),
        (4, 6),
    ),
    ("flexibility", _("Flexibility in the education system"), (4, 5)),
)
