"""The product's terminology: one name, and a short definition, per concept and per code, in
bokmål and in English. Every name a person reads for a metric, level, role, area, segment,
horizon, lever, channel or status comes from here, through :func:`battkomp.core.codes.label`
(pages, charts, downloads, the report, e-mails, workbooks and the API's labels), and the
glossary page lists it all (:func:`glossary`).

Two stores, one per kind of term, both per language:

- the code lists of the engine's data (levels, areas, roles, segments, regions, levers) carry
  their names in ``name_nb``/``name_en`` columns (``engine/data/*.csv``): the engine and the
  input bundle need them without Django;
- every other term (metrics, horizons, statuses, the kinds of recruitment channel and the words
  of the method) is a message of the gettext catalogue, defined once in :data:`TERMS` below;
  ``django.po`` holds its bokmål.

The bokmål words are chosen once per concept (docs/decisions.md, "One word per concept") and
:data:`BOKMAL_WORDS` lists them with the variants they replace; a test holds the whole catalogue
to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from battkomp.engine.taxonomy import Taxonomy

#: What a metric code of the model's frames is called, and what it means.
METRICS: dict[str, tuple[Promise, Promise]] = {
    "headcount": (
        _("Headcount"),
        _("People employed in the battery value chain in a year, as the model staffs it."),
    ),
    "expansion": (
        _("Expansion"),
        _("New positions a year because the facilities grow."),
    ),
    "replacement": (
        _("Replacement"),
        _("Positions a year left by people who retire or leave the industry."),
    ),
    "openings": (
        _("Openings"),
        _("People the industry needs to recruit in a year: expansion plus replacement."),
    ),
    "supply": (
        _("Supply"),
        _("Qualified people available to the industry in a year, from all sources together."),
    ),
    "supply_education": (
        _("Education"),
        _("Supply from graduates of relevant education, the share the industry attracts."),
    ),
    "supply_released": (
        _("Released by cuts"),
        _("Supply from workers released where another part of the industry shrinks."),
    ),
    "supply_retraining": (
        _("Retraining"),
        _("Supply from workers with related competence who are retrained."),
    ),
    "supply_recruitment": (
        _("Recruitment"),
        _("Supply recruited from abroad through the recruitment channels."),
    ),
    "measure_supply": (
        _("Measures"),
        _("Supply the agreed and running measures add."),
    ),
    "gap": (
        _("Gap"),
        _("Openings minus supply. Positive: too few candidates; negative: a surplus."),
    ),
    "shortage": (
        _("Shortage"),
        _(
            "The positive part of the gap, counted per education level and competence area, so "
            "that a surplus in one cell does not hide a shortage in another."
        ),
    ),
    "cumulative_gap": (
        _("Cumulative gap"),
        _("The gap added up over the years up to and including the year shown."),
    ),
    "gap_without_measures": (
        _("Gap without measures"),
        _("The gap as it would be without the agreed and running measures."),
    ),
    "shortage_without_measures": (
        _("Shortage without measures"),
        _("The shortage as it would be without the agreed and running measures."),
    ),
}

#: The time horizons of the levers (engine.schema.HORIZON_ORDER), and "none".
HORIZONS: dict[str, tuple[Promise, Promise]] = {
    "short": (
        _("Short term: recruit"),
        _("Within about a year: recruiting people who are already qualified, also from abroad."),
    ),
    "medium": (
        _("Medium term: retrain"),
        _("From weeks to two years: retraining and continuing education of people at work."),
    ),
    "long": (
        _("Long term: educate"),
        _("Two years or more: educating more people in full programmes."),
    ),
    "none": (
        _("No lever in time"),
        _("A shortage that opens sooner than any domestic lever can deliver."),
    ),
}

#: Statuses, per kind of thing that has one: a facility, an education offer, a measure, and a
#: competence area in the offers grid.
STATUSES: dict[str, dict[str, tuple[Promise, Promise]]] = {
    "facility_status": {
        "announced": (
            _("Announced"),
            _("Plans made public, without a final investment decision."),
        ),
        "fid": (
            _("Investment decision (FID)"),
            _("The owners have decided to invest; construction has not started."),
        ),
        "construction": (
            _("Under construction"),
            _("The facility is being built."),
        ),
        "operating": (_("Operating"), _("The facility produces.")),
        "paused": (_("Paused"), _("Work on the facility is on hold.")),
        "cancelled": (_("Cancelled"), _("The facility will not be built.")),
    },
    "offer_status": {
        "exists": (_("Exists"), _("The education offer is given today.")),
        "under_development": (
            _("Under development"),
            _("The offer is being developed and is expected to start."),
        ),
        "planned": (
            _("Planned"),
            _("The offer is planned; funding or accreditation is still missing."),
        ),
    },
    "measure_status": {
        "proposed": (
            pgettext_lazy("measure status", "Proposed"),
            _("Registered by a partner, not yet approved; the model does not count it."),
        ),
        "agreed": (
            pgettext_lazy("measure status", "Agreed"),
            _("Approved and funded; the model counts it."),
        ),
        "running": (
            pgettext_lazy("measure status", "Running"),
            _("Under way; the model counts it."),
        ),
        "done": (
            pgettext_lazy("measure status", "Done"),
            _("Completed; its graduates are in the supply."),
        ),
        "dropped": (
            pgettext_lazy("measure status", "Dropped"),
            _("Will not be carried out; the model does not count it."),
        ),
    },
    "area_status": {
        "exists": (
            _("Exists"),
            _("At least one offer that exists today covers the area."),
        ),
        "can_be_built": (
            _("Can be built"),
            _("Only offers under development or planned cover the area."),
        ),
        "missing": (
            _("Missing entirely"),
            _("No registered offer covers the area."),
        ),
    },
}

#: The words of the method that pages use without explaining them each time.
CONCEPTS: dict[str, tuple[Promise, Promise]] = {
    "draw": (
        _("Draw"),
        _(
            "One run of the model with one set of values for the uncertain inputs. The figures "
            "are summaries over many draws."
        ),
    ),
    "mean": (
        _("Mean"),
        _(
            "The average over the draws. The pages show it where parts must add up to a "
            "whole (segments, counties, what each plant adds); elsewhere the centre shown is "
            "the median."
        ),
    ),
    "band": (
        _("P10–P90 band"),
        _(
            "The range the middle eight in ten draws fall in: one draw in ten is below P10, one "
            "in ten above P90. A mean can lie outside it when a few draws are far out."
        ),
    ),
    "suppressed": (
        _("Suppressed"),
        _("A figure left out (shown as –) because it could reveal a single company's answers."),
    ),
    "scenario": (
        _("Scenario"),
        _("A set of assumptions about how the industry grows (for example low, mid or high)."),
    ),
    "channel": (
        _("Recruitment channel"),
        _(
            "A route for recruiting from abroad, for a competence area or any area, at one "
            "education level, with a yearly capacity."
        ),
    ),
}

#: The views of the risk download (the published ``conditional`` and ``exceedance`` tables).
RISK_VIEWS: dict[str, tuple[Promise, Promise]] = {
    "all": (_("All draws"), _("Every draw of the model.")),
    "firm_base": (
        _("Firm base only"),
        _("Only the draws in which no planned plant is built: the firm base."),
    ),
    "with_facility": (
        _("With the planned plant"),
        _("The draws in which the plant named in the row is built."),
    ),
    "exceedance": (
        _("Probability of exceeding"),
        _("The share of the draws in which the shortage exceeds the threshold."),
    ),
}

#: The model's drivers of the uncertainty (engine.montecarlo.driver_names), by kind: a driver is
#: ``<kind>`` or ``<kind>:<item>`` (a facility, a segment or an education level).
DRIVERS: dict[str, tuple[Promise, Promise]] = {
    "facility": (
        _("Whether the plant is built"),
        _("Whether a planned plant is built and runs, in each draw."),
    ),
    "labour_intensity": (
        _("Labour intensity"),
        _("Jobs per unit of production capacity in a segment of the value chain."),
    ),
    "role_mix": (_("Role mix"), _("How a segment's jobs divide between the roles.")),
    "capture_share": (
        _("Share of graduates to the battery industry"),
        _("The share of an education level's graduates who go to the battery industry."),
    ),
    "exit_rates": (
        _("Exit rates"),
        _("The share of the employees who leave the industry or retire each year."),
    ),
    "expat_stay_years": (
        _("Years a recruit from abroad stays"),
        _("How long a person recruited from abroad stays in the industry."),
    ),
    "recruitment_caps": (
        _("Recruitment capacity from abroad"),
        _("How many people the industry can recruit from abroad each year."),
    ),
    "common_shock": (
        _("Common shock to demand"),
        _("A factor that moves the demand of every facility up or down together."),
    ),
}


#: The names of the model's scalar parameters (``parameters.csv``; their meanings are
#: engine.schema.KNOWN_PARAMETERS), for the report's appendix.
PARAMETERS: dict[str, Promise] = {
    "base_year": _("First year of the projection"),
    "end_year": _("Last year of the projection"),
    "startup_years": _("Years with the start-up role mix"),
    "expat_stay_years": _("Years a recruit from abroad stays"),
    "exit_rate_factor": _("Factor on the exit rates"),
    "recruitment_cap_factor": _("Factor on the recruitment caps"),
    "mix_concentration": _("Spread of the role mix (concentration)"),
    "mix_concentration_startup": _("Spread of the start-up role mix (concentration)"),
    "pathway_roles": _("Roles a retraining pool is spread over"),
    "pathway_min_overlap": _("Least competence overlap for a retraining path"),
    "pathway_missing_threshold": _("Least shortfall that counts as a missing competence"),
    "recommendation_min_shortage": _("Least shortage that counts as a gap"),
    "common_shock_correlation": _("Common shock: correlation of the plants"),
    "common_shock_supply_correlation": _("Common shock: correlation of recruitment and capture"),
}

#: The units of the parameters, named.
UNITS: dict[str, Promise] = {
    "year": _("year"),
    "years": _("years"),
    "factor": _("factor"),
    "dimensionless": _("no unit"),
    "roles": _("roles"),
    "share": _("share"),
    "people per year": _("persons per year"),
    "correlation": _("correlation"),
}


def parameter_name(code: str) -> str:
    """A scalar parameter's name in the active language (the code itself if it has none)."""
    name = PARAMETERS.get(code)
    return str(name) if name is not None else code


def unit_name(unit: str) -> str:
    """A parameter's unit in the active language (as written if it is not known)."""
    name = UNITS.get(unit)
    return str(name) if name is not None else unit


def driver_name(code: str, facility_names: dict[str, str] | None = None) -> str:
    """The name of a driver of the uncertainty in the active language: its kind's name, and
    for a driver of one facility, segment or education level, that item's name ("Labour
    intensity: Cell manufacturing"); ``facility_names`` names the facilities by their id.

    >>> from django.utils import translation
    >>> with translation.override("en"):
    ...     driver_name("exit_rates"), driver_name("labour_intensity:cell_manufacturing")
    ('Exit rates', 'Labour intensity: Cell manufacturing')
    """
    from battkomp.core.codes import label

    kind, _colon, item = code.partition(":")
    entry = DRIVERS.get(kind)
    if entry is None:
        return code
    if not item:
        return str(entry[0])
    if kind == "facility":
        what = (facility_names or {}).get(item, item)
    elif kind == "capture_share":
        what = label("level", item)
    else:
        what = label("segment", item)
    return gettext("%(driver)s: %(item)s") % {"driver": entry[0], "item": what}


#: The glossary's sections in order: kind, title, and where the terms come from.
SECTIONS: tuple[tuple[str, Promise], ...] = (
    ("metric", _("Figures")),
    ("concept", _("Method")),
    ("horizon", _("Time horizons")),
    ("lever", _("Levers")),
    ("level", _("Education levels")),
    ("area", _("Competence areas")),
    ("role", _("Roles")),
    ("segment", _("Segments of the value chain")),
    ("facility_status", _("Status of a facility")),
    ("offer_status", _("Status of an education offer")),
    ("measure_status", _("Status of a measure")),
    ("area_status", _("Status of a competence area in the offers grid")),
)


def _gettext_terms() -> dict[str, dict[str, tuple[Promise, Promise]]]:
    return {
        "metric": METRICS,
        "horizon": HORIZONS,
        "concept": CONCEPTS,
        "risk_view": RISK_VIEWS,
        **STATUSES,
    }


def name(kind: str, code: str) -> str | None:
    """The name of a code of one of the gettext kinds (metric, horizon, concept, a status) in
    the active language; None if the kind or code is not one of them."""
    entry = _gettext_terms().get(kind, {}).get(code)
    return None if entry is None else str(entry[0])


def kinds() -> tuple[str, ...]:
    """The kinds whose names :func:`name` knows."""
    return tuple(_gettext_terms())


@dataclass(frozen=True)
class Term:
    """One entry of the glossary: its code (for machines), name and short definition in the
    active language, and its name in the other language."""

    code: str
    name: str
    definition: str
    other_name: str


@dataclass(frozen=True)
class Section:
    kind: str
    title: str
    terms: tuple[Term, ...]


def _in(lang: str, text: Promise) -> str:
    from django.utils import translation

    with translation.override(lang):
        return str(text)


def glossary(lang: str) -> tuple[Section, ...]:
    """The glossary in ``lang`` (``nb`` or ``en``), every section of :data:`SECTIONS`, built
    from the terminology source itself: the gettext terms above and the engine's code lists."""
    from django.utils import translation

    from battkomp.core.codes import codes, label, taxonomy

    other = "en" if lang == "nb" else "nb"
    tax = taxonomy()
    sections: list[Section] = []
    with translation.override(lang):
        for kind, title in SECTIONS:
            terms: list[Term] = []
            if kind in _gettext_terms():
                for code, (nm, definition) in _gettext_terms()[kind].items():
                    terms.append(Term(code, str(nm), str(definition), _in(other, nm)))
            else:
                for code in codes(kind):
                    terms.append(
                        Term(
                            code,
                            label(kind, code, lang),
                            _code_definition(kind, code, tax),
                            label(kind, code, other),
                        )
                    )
            sections.append(Section(kind, str(title), tuple(terms)))
    return tuple(sections)


def _code_definition(kind: str, code: str, t: Taxonomy) -> str:
    """A short definition of a code of the engine's lists, from the lists themselves."""
    from battkomp.core.codes import label

    if kind == "level":
        return gettext("Level %(nkr)s of the Norwegian qualifications framework (NKR).") % {
            "nkr": code.removeprefix("nkr")
        }
    if kind == "area":
        parent = t.area_parent.get(code)
        return gettext("Part of %(group)s.") % {"group": label("area_group", parent or "")}
    if kind == "role":
        styrk = t.role_styrk.get(code, "")
        return gettext("Occupation %(code)s in STYRK-08; usual levels: %(levels)s.") % {
            "code": styrk,
            "levels": ", ".join(label("level", lv) for lv in t.role_levels.get(code, ())),
        }
    if kind == "lever":
        horizon = t.lever_horizon.get(code, "")
        return gettext("Time horizon: %(horizon)s.") % {
            "horizon": str(HORIZONS[horizon][0]) if horizon in HORIZONS else horizon
        }
    if kind == "segment":
        return gettext("A segment of the battery value chain.")
    return ""


# --- the bokmål words, one per concept ----------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """The bokmål word chosen for a concept: where the English (a regular expression over the
    msgid) names the concept, the bokmål must not use one of ``variants`` (regular expressions,
    case-insensitive) but ``word``."""

    concept: str
    english: str
    word: str
    variants: tuple[str, ...]
    unless: str = ""
    """The rule does not apply where the English also matches this (a different concept)."""


#: The choices (docs/decisions.md, "One word per concept"). "Tilbud" is an education offer
#: (utdanningstilbud) and nothing else; the people available are "tilgang".
BOKMAL_WORDS: tuple[Word, ...] = (
    Word("openings", r"\bopenings?\b", "rekrutteringsbehov", (r"ledige stillinger", r"åpning")),
    Word("supply", r"\bsuppl(y|ies)\b", "tilgang", (r"tilbud",), unless=r"\boffers?\b"),
    Word("draws", r"\bdraws?\b", "trekninger", (r"\btrekk(et|ene)?\b",)),
    Word("competence area", r"\bcompetence areas?\b", "fagområde", (r"kompetanseområde",)),
    Word("shortage", r"\bshortages?\b", "mangel", (r"underskudd",)),
    Word("agreed", r"\bagreed\b", "avtalt", (r"vedtat",)),
)

#: The second person a page speaks in: an organisation is addressed as "dere", a person (their
#: account, their password) as "du"; one source file never mixes them.
DU = re.compile(r"\b(du|deg|din|ditt|dine)\b", re.IGNORECASE)
DERE = re.compile(r"\bdere\b", re.IGNORECASE)


def word_problems(msgid: str, msgstr: str) -> list[str]:
    """The variants a translation uses where :data:`BOKMAL_WORDS` chose another word.

    >>> word_problems("Openings per year", "Ledige stillinger per år")
    ["'ledige stillinger' for openings: use 'rekrutteringsbehov'"]
    >>> word_problems("Offers and supply", "Tilbud og tilgang")
    []
    """
    found: list[str] = []
    for w in BOKMAL_WORDS:
        if not re.search(w.english, msgid, re.IGNORECASE):
            continue
        if w.unless and re.search(w.unless, msgid, re.IGNORECASE):
            continue
        for variant in w.variants:
            match = re.search(variant, msgstr, re.IGNORECASE)
            if match:
                found.append(f"{match.group(0).lower()!r} for {w.concept}: use {w.word!r}")
    return found


# --- the columns of downloads -------------------------------------------------------------------

#: The name of a column that holds codes (``level``), and of the column beside it that holds
#: their names (``level_name``): the kind's title. The code column is called "<title> (code)".
CODE_COLUMNS: dict[str, Promise] = {
    "level": _("Education level"),
    "area": _("Competence area"),
    "group": _("Area group"),
    "role": _("Role"),
    "segment": _("Segment"),
    "region": _("Region"),
    "horizon": _("Horizon"),
    "lever": _("Lever"),
    "metric": _("Metric"),
    "facility": _("Facility"),
    "measure": _("Measure"),
    "series": _("Series"),
    "commandment": _("Commandment"),
    "rule": _("Rule"),
    "view": _("View"),
    "kind": _("Kind"),
    "status": _("Status"),
    "scenario": _("Scenario"),
    "target_level": _("Level counted at"),
    "mode": _("Mode of study"),
    "driver": _("Driver"),
}

#: Which kind of :func:`battkomp.core.codes.label` names the codes of a code column.
CODE_KIND: dict[str, str] = {
    "level": "level_or_evu",
    "area": "area",
    "group": "area_group",
    "role": "role",
    "segment": "segment",
    "region": "region",
    "horizon": "horizon",
    "lever": "lever",
    "metric": "metric",
    "view": "risk_view",
    "driver": "driver",
    "commandment": "commandment",
}

#: The statistics over the draws, as a column's name ends (``shortage_p10``) or is (``mean``).
STAT_COLUMNS: dict[str, Promise] = {
    "mean": _("Mean"),
    "p10": _("P10"),
    "p50": _("Median (P50)"),
    "p90": _("P90"),
    "mean_summed": _("mean, summed over the years"),
}

#: Every other column of a download.
COLUMNS: dict[str, Promise] = {
    "year": _("Year"),
    "value": _("Value"),
    "name": _("Name"),
    "name_nb": _("Name (bokmål)"),
    "name_en": _("Name (English)"),
    "rank": _("Rank"),
    "years": _("Years"),
    "levels": _("Education levels"),
    "quality": _("Quality flag (noise)"),
    "suppressed": _("Suppressed"),
    "cells_suppressed": _("Cells suppressed"),
    "share_suppressed": _("Share suppressed"),
    "reported_share": _("Share reported by the survey"),
    "need": _("Need"),
    "recruited": _("Recruited"),
    "unmet": _("Unmet"),
    "lead_time_months": _("Lead time (months)"),
    "channels": _("Recruitment channels"),
    "reason": _("Reason"),
    "offers": _("Education offers"),
    "measures": _("Measures"),
    "probability": _("Probability"),
    "effect": _("Effect"),
    "threshold": _("Threshold"),
    "exceedance_probability": _("Probability of exceeding"),
    "version": _("Version"),
    "direct_jobs": _("Direct jobs"),
    "reported": _("Reported"),
    "unallocated_supply": _("Supply not allocated"),
    "draws": _("Draws"),
    "contributors": _("Contributors"),
    "new_hires": _("New hires"),
    "total_staff": _("Total staff"),
    "cap_needed": _("Recruitment capacity needed"),
    "available_years": _("Years available"),
    "domestic_lead_years": _("Lead time of the domestic levers (years)"),
    "mean_outside_band": _("Mean outside the P10–P90 band"),
    "direct_jobs_end_mean": _("Direct jobs in the last year, mean"),
    "shortage_mean_without": _("Shortage without the facility, mean"),
    "reason_nb": _("Reason (bokmål)"),
    "organisation": _("Organisation"),
    "org_number": _("Organisation number"),
    "submitted_at": _("Submitted at"),
    "revision": _("Revision"),
    "reason_en": _("Reason (English)"),
    "mode_value": _("Most likely value"),  # the appendix's "mode" (of a distribution)
    "low": _("Low"),
    "high": _("High"),
    "source": _("Source"),
    "unit": _("Unit"),
    "share": _("Share"),
    "year_since_start": _("Year since start"),
    "lead_time_years": _("Lead time (years)"),
    "adds_programme_duration": _("Adds the programme's duration"),
    "code": _("Code"),
    # the needs and offers templates
    "recruit_difficulty": _("Recruitment difficulty (1–5)"),
    "share_abroad": _("Share recruited from abroad"),
    "critical_competences": _("Critical competences"),
    "comment": _("Comment"),
    "study_places": _("Study places per year"),
    "candidates": _("Candidates per year"),
    "first_intake": _("First intake"),
    "duration_years": _("Duration (years)"),
    "ects": _("ECTS credits"),
    "completion_rate": _("Completion rate"),
    "capture_share": _("Share to the battery industry"),
    "areas": _("Competence areas with weights (codes)"),
    "institution": _("Institution"),
}


def column_name(code: str) -> str:
    """The header of a download's column ``code`` in the active language: a code column is
    "<kind> (code)", its name column ``<kind>_name`` the kind, ``<metric>_<statistic>``
    "<metric>, <statistic>"; the code itself if it is none of these (a test lists every
    download's columns, so none is left so).

    >>> from django.utils import translation
    >>> with translation.override("nb"):
    ...     column_name("level"), column_name("level_name"), column_name("shortage_p10")
    ('Utdanningsnivå (kode)', 'Utdanningsnivå', 'Mangel, P10')
    """
    if code in COLUMNS:
        return str(COLUMNS[code])
    if code in STAT_COLUMNS:
        return str(STAT_COLUMNS[code])
    if code in METRICS:
        return str(METRICS[code][0])
    if code in CODE_COLUMNS:
        return gettext("%(column)s (code)") % {"column": CODE_COLUMNS[code]}
    if code.endswith("_name") and code.removesuffix("_name") in CODE_COLUMNS:
        return str(CODE_COLUMNS[code.removesuffix("_name")])
    for stat in sorted(STAT_COLUMNS, key=len, reverse=True):
        metric = code.removesuffix(f"_{stat}")
        if metric != code and metric in METRICS:
            return gettext("%(metric)s, %(statistic)s") % {
                "metric": METRICS[metric][0],
                "statistic": str(STAT_COLUMNS[stat]).lower()
                if stat in ("mean", "mean_summed")
                else STAT_COLUMNS[stat],
            }
    return code


def column_code(header: str) -> str:
    """The column code a header of :func:`column_name` stands for, in the active language (the
    header itself if it names none): reads a download back by its codes.

    >>> from django.utils import translation
    >>> with translation.override("en"):
    ...     column_code("Education level (code)"), column_code("Shortage, P10")
    ('level', 'shortage_p10')
    """
    candidates = [*COLUMNS, *STAT_COLUMNS, *METRICS, *CODE_COLUMNS]
    candidates += [f"{c}_name" for c in CODE_COLUMNS]
    candidates += [f"{m}_{s}" for m in METRICS for s in STAT_COLUMNS]
    for code in candidates:
        if column_name(code) == header:
            return code
    return header
