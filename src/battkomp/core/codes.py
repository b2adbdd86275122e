"""Code lists for forms and validation, read from the engine's default taxonomy (one source),
and the names of every code a person reads.

:func:`label` is the one way to name a code: levels, areas, roles, segments, regions and levers
from the engine's lists; metrics, horizons, statuses and the method's words from
:mod:`battkomp.core.terms`; recruitment channels by :func:`channel_name`. Names come in bokmål
and English; :func:`label` picks the active language.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language

from battkomp.engine.bundle import load_inputs
from battkomp.engine.schema import OFFER_STATUSES, STATUSES
from battkomp.engine.taxonomy import Taxonomy

__all__ = ["OFFER_STATUSES", "STATUSES", "choices", "codes", "label", "taxonomy"]


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    return Taxonomy.from_inputs(load_inputs(None))


_TABLE_FOR = {
    "segment": "segments",
    "region": "regions",
    "role": "roles",
    "level": "education_levels",
    "area": "competence_areas",
    "lever": "levers",
    "area_group": "competence_areas",
}


def codes(kind: str) -> tuple[str, ...]:
    """Codes of a kind: segment, region, role, level (true levels), level_or_evu, area (leaves),
    lever, county."""
    tax = taxonomy()
    if kind == "segment":
        return tax.segments
    if kind == "region":
        return tax.regions
    if kind == "role":
        return tax.roles
    if kind == "level":
        return tax.levels
    if kind == "level_or_evu":
        return (*tax.levels, "evu")
    if kind == "area":
        return tax.areas
    if kind == "lever":
        return tuple(tax.labels["levers"])
    if kind == "county":
        return tuple(r for r in tax.regions if r.isdigit())
    msg = f"unknown code kind {kind!r}"
    raise KeyError(msg)


def label(kind: str, code: str | None, lang: str | None = None) -> str:
    """The name of a code in the active (or given) language: ``kind`` is one of the engine's
    lists (segment, region, county, role, level, level_or_evu, area, area_group, lever), a kind
    of :mod:`battkomp.core.terms` (metric, horizon, concept, facility_status, offer_status,
    measure_status, area_status), ``channel``, ``driver`` or ``commandment`` (by its number).
    An unknown code comes back as it is.

    >>> label("metric", "openings", "nb"), label("level", "nkr5", "en")
    ('Rekrutteringsbehov', 'Tertiary vocational college (fagskole)')
    """
    if not code:
        return ""
    language = "nb" if (lang or get_language() or "nb")[:2] == "nb" else "en"
    table = _TABLE_FOR.get(kind.replace("level_or_evu", "level").replace("county", "region"))
    if table is not None:
        return taxonomy().label(table, code, language)
    if kind == "commandment":
        pair = _commandments().get(str(code))
        return str(code) if pair is None else pair[0 if language == "nb" else 1]
    from django.utils import translation

    from battkomp.core import terms

    with translation.override(language):
        if kind == "channel":
            return channel_name(code) or code
        if kind == "driver":
            return terms.driver_name(code)
        return terms.name(kind, code) or code


@lru_cache(maxsize=1)
def _commandments() -> dict[str, tuple[str, str]]:
    """The ten commandments' names by number (bokmål, English), from the engine's default
    ``commandments`` table, as the measures catalogue names them."""
    return {
        str(r["number"]): (str(r["name_nb"]), str(r["name_en"]))
        for r in load_inputs(None)["commandments"].iter_rows(named=True)
    }


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs for a form field, in the active language at call time."""
    return [(c, label(kind, c)) for c in codes(kind)]


def channel_name(code: str) -> str | None:
    """The name of a recruitment channel from abroad by its bundle id, ``rc_<what>_<level>``
    (``rc_general_nkr6``, ``rc_eea_skilled_nkr4``, ``rc_cell_design_nkr8``), in the active
    language; None for an id that is not a channel's. A channel has no name column of its own,
    and its id must never reach a page."""
    from django.utils.translation import gettext

    parts = code.split("_")
    if len(parts) < 3 or parts[0] != "rc" or parts[-1] not in codes("level"):
        return None
    what, level = "_".join(parts[1:-1]), parts[-1]
    kinds = {
        "general": gettext("any competence area"),
        "eea_skilled": gettext("skilled workers from the EEA"),
    }
    areas = [a for a in codes("area") if a == what or a.startswith(f"{what}_")]
    if what in kinds:
        target = kinds[what]
    elif len(areas) == 1:  # rc_electrode_nkr7: electrode_manufacturing
        target = label("area", areas[0])
    else:  # a channel named otherwise (rc_equipment_nkr6): its level alone
        return gettext("Recruitment from abroad: %(level)s") % {"level": label("level", level)}
    return gettext("Recruitment from abroad: %(target)s, %(level)s") % {
        "target": target,
        "level": label("level", level),
    }
