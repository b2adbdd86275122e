"""The tables the model reads: default parameters shipped with the package and the input bundle.

Every table is described once here, as data: its columns, their kinds and ranges, its key, and the
group sums that must hold. The same description drives validation (:mod:`battkomp.engine.bundle`),
the empty template (``battkomp model template``) and the documentation test that keeps
``docs/bundle.md`` and ``docs/model.md`` in step with the code.

>>> TABLES["facilities"].key
('id',)
>>> "capacity" in TABLES["capacity_plans"].column_names
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "code", "int", "float", "bool", "year", "ref", "refs"]

#: Years the model accepts anywhere; a run's own horizon is base_year..end_year.
MIN_YEAR = 1990
MAX_YEAR = 2100


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``kind`` is one of ``str`` (free text), ``code`` (an identifier), ``int``, ``float``, ``bool``,
    ``year``, ``ref`` (a code that must exist in ``ref_table``) and ``refs`` (a ``;``-separated list
    of such codes).
    """

    name: str
    kind: Kind
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    ref_table: str | None = None
    default: str | None = None
    #: the value must be a code of this official list (``battkomp.engine.classifications``)
    classification: str | None = None
    #: a plausible maximum from the ``bounds`` table applies (``maximum`` is the hard limit)
    bounded: bool = False


@dataclass(frozen=True)
class SumRule:
    """Values of ``value`` must sum to ``target`` (or at most ``target``) within each group."""

    group_by: tuple[str, ...]
    value: str
    target: float = 1.0
    at_most: bool = False
    tolerance: float = 1e-6


@dataclass(frozen=True)
class Table:
    """A table of the defaults or of the input bundle."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    origin: Literal["default", "bundle"]
    required: bool = False
    sums: tuple[SumRule, ...] = ()
    with_source: bool = True
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        names = tuple(c.name for c in self.columns)
        return (*names, "source") if self.with_source else names

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        msg = f"table {self.name} has no column {name}"
        raise KeyError(msg)


def _c(name: str, kind: Kind, description: str, **kw: object) -> Column:
    return Column(name, kind, description, **kw)  # type: ignore[arg-type]


PROB = {"minimum": 0.0, "maximum": 1.0}
#: Any count or amount: 0 or more, and below a hard limit that keeps every sum finite.
NONNEG = {"minimum": 0.0, "maximum": 1e9}


def _bounded(hard: float) -> dict[str, object]:
    """A quantity with a plausible maximum (the ``bounds`` table, overridable) below ``hard``."""
    return {"minimum": 0.0, "maximum": hard, "bounded": True}


PEOPLE = _bounded(1e7)
PLACES = _bounded(1e6)
INTENSITY = _bounded(1e5)
MULTIPLIER = _bounded(1e3)
STATUSES = ("announced", "fid", "construction", "operating", "paused", "cancelled")
OFFER_STATUSES = ("exists", "under_development", "planned")
HORIZONS = ("short", "medium", "long")
#: The horizons in the order of their lead times, then "none" (no lever closes the gap in
#: time): the one order of every table, chart and report that lists them.
HORIZON_ORDER = (*HORIZONS, "none")
#: Statuses of a measure; the model counts only agreed and running measures.
MEASURE_STATUSES = ("proposed", "agreed", "running", "done", "dropped")
COUNTED_MEASURE_STATUSES = ("agreed", "running")
#: The levers through which a measure adds supply.
MEASURE_LEVERS = ("recruit_abroad", "retrain", "evu_module", "educate")
PHASES = ("startup", "mature")

_TABLE_LIST: tuple[Table, ...] = (
    # ---------------------------------------------------------------- taxonomy (defaults)
    Table(
        "segments",
        "Value-chain segments.",
        (
            _c("code", "code", "Segment code."),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
            _c("capacity_unit", "str", "Unit of facility capacity.", choices=("GWh", "GWh-eq")),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "competence_areas",
        "Competence areas (fagområder), two levels: groups and the areas the model counts in.",
        (
            _c("code", "code", "Area code."),
            _c(
                "parent",
                "ref",
                "Parent group (blank for a group).",
                required=False,
                ref_table="competence_areas",
            ),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
        ),
        ("code",),
        "default",
        required=True,
        extra_checks=("two_level_hierarchy",),
    ),
    Table(
        "education_levels",
        "Education levels (NKR 4–8) and the EVU/module pathway.",
        (
            _c("code", "code", "Level code."),
            _c("nkr", "int", "NKR level (blank for EVU).", required=False, minimum=1, maximum=8),
            _c(
                "nus_digit",
                "int",
                "NUS2000 first digit.",
                required=False,
                minimum=0,
                maximum=9,
                classification="nus2000",
            ),
            _c(
                "is_level",
                "bool",
                "True for a level of the qualifications framework; false for "
                "a pathway (EVU/module) that adds competence on top of a level.",
            ),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
            _c("duration_years", "float", "Typical duration in years.", minimum=0.0, maximum=10.0),
            _c("completion_rate", "float", "Default share of entrants who complete.", **PROB),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "roles",
        "Roles with their STYRK-08 code, role group and usual education levels.",
        (
            _c("code", "code", "Role code."),
            _c("styrk08", "str", "STYRK-08 occupation code (4 digits).", classification="styrk08"),
            _c(
                "role_group",
                "str",
                "Role group of the Tesla Giga Nevada plan.",
                choices=(
                    "production",
                    "material_handling",
                    "equipment_technician",
                    "quality_technician",
                    "engineer_senior",
                ),
            ),
            _c(
                "usual_levels",
                "refs",
                "Usual education levels, ';'-separated.",
                ref_table="education_levels",
            ),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "regions",
        "Regions: Norwegian counties (SSB codes) and the Nordic countries.",
        (
            _c("code", "code", "Region code: county number or ISO country code."),
            _c("kind", "str", "county or country.", choices=("county", "country")),
            _c("country", "str", "ISO 3166-1 alpha-2 country code."),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "levers",
        "The levers of the time squeeze and their lead times.",
        (
            _c("code", "code", "Lever code."),
            _c("horizon", "str", "Horizon the lever belongs to.", choices=HORIZONS),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
            _c(
                "lead_time_years",
                "float",
                "Years from decision until the lever can start "
                "delivering (set-up, permits, relocation).",
                minimum=0.0,
                maximum=20.0,
            ),
            _c(
                "adds_programme_duration",
                "bool",
                "True if a programme's duration comes on top of the lead time (education): the "
                "shortest programme of the bundle at the level (else the level's typical).",
            ),
            _c(
                "levels",
                "refs",
                "Education levels the lever can deliver, ';'-separated.",
                ref_table="education_levels",
            ),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "commandments",
        "The ten battery competence commandments (batterikompetansebud).",
        (
            _c("number", "int", "Number 1–10.", minimum=1, maximum=10),
            _c("code", "code", "Short code."),
            _c("name_nb", "str", "Text in Norwegian bokmål."),
            _c("name_en", "str", "Text in English."),
            _c("horizons", "str", "Horizons it serves, ';'-separated (short, medium, long)."),
            _c(
                "levers",
                "refs",
                "Levers it works through, ';'-separated.",
                required=False,
                ref_table="levers",
            ),
        ),
        ("number",),
        "default",
        required=True,
    ),
    # ---------------------------------------------------------------- parameters (defaults)
    Table(
        "parameters",
        "Scalar parameters of the model.",
        (
            _c("name", "code", "Parameter name."),
            _c("value", "float", "Central value."),
            _c(
                "low",
                "float",
                "Low end of the uncertainty range (blank: not uncertain).",
                required=False,
            ),
            _c(
                "high",
                "float",
                "High end of the uncertainty range (blank: not uncertain).",
                required=False,
            ),
            _c("unit", "str", "Unit."),
        ),
        ("name",),
        "default",
        required=True,
        extra_checks=("parameters_known", "low_mode_high"),
    ),
    Table(
        "labour_intensity",
        "Direct jobs per GWh/yr of capacity at full staffing, per segment (triangular: low, "
        "mode, high).",
        (
            _c("segment", "ref", "Segment.", ref_table="segments"),
            _c("mode", "float", "Most likely value, jobs per GWh/yr.", **INTENSITY),
            _c("low", "float", "Low end, jobs per GWh/yr.", **INTENSITY),
            _c("high", "float", "High end, jobs per GWh/yr.", **INTENSITY),
        ),
        ("segment",),
        "default",
        required=True,
        extra_checks=("low_mode_high",),
    ),
    Table(
        "ramp",
        "Staffing ramp: share of final staffing by year since start of production (year 1 is "
        "the first year of production); after the last year the share stays at the last value.",
        (
            _c("year_since_start", "int", "Year of production, 1 = first.", minimum=1, maximum=50),
            _c("share", "float", "Share of final staffing.", **PROB),
        ),
        ("year_since_start",),
        "default",
        required=True,
        extra_checks=("ramp_monotone",),
    ),
    Table(
        "role_mix",
        "Share of a facility's headcount in each role, per segment and phase (start-up years "
        "or mature operation).",
        (
            _c("segment", "ref", "Segment.", ref_table="segments"),
            _c("phase", "str", "startup or mature.", choices=PHASES),
            _c("role", "ref", "Role.", ref_table="roles"),
            _c("share", "float", "Share of headcount.", **PROB),
        ),
        ("segment", "phase", "role"),
        "default",
        required=True,
        sums=(SumRule(("segment", "phase"), "share"),),
        extra_checks=("role_mix_complete",),
    ),
    Table(
        "role_profile",
        "How a role's headcount splits over education levels and competence areas.",
        (
            _c("role", "ref", "Role.", ref_table="roles"),
            _c("level", "ref", "Education level.", ref_table="education_levels"),
            _c(
                "area",
                "ref",
                "Competence area (an area, not a group).",
                ref_table="competence_areas",
            ),
            _c("share", "float", "Share of the role's headcount.", **PROB),
        ),
        ("role", "level", "area"),
        "default",
        required=True,
        sums=(SumRule(("role",), "share"),),
        extra_checks=("leaf_area", "true_level", "role_profile_complete"),
    ),
    Table(
        "exit_rates",
        "Yearly exits per role: retirement, other exits from the occupation, and the share of "
        "start-up staff who are temporary specialists from abroad.",
        (
            _c("role", "ref", "Role.", ref_table="roles"),
            _c("retirement", "float", "Share of staff retiring per year.", **PROB),
            _c(
                "turnover",
                "float",
                "Share of staff leaving the occupation per year other than by retirement (net "
                "migration, moves into other occupations, mortality; Cedefop's replacement "
                "demand), not moves between employers within the occupation.",
                **PROB,
            ),
            _c(
                "expat_share_startup",
                "float",
                "Share of start-up staff who are temporary specialists from abroad.",
                **PROB,
            ),
        ),
        ("role",),
        "default",
        required=True,
    ),
    Table(
        "multipliers",
        "Indirect and induced jobs per direct job (triangular).",
        (
            _c("kind", "str", "indirect or induced.", choices=("indirect", "induced")),
            _c("mode", "float", "Most likely value.", **MULTIPLIER),
            _c("low", "float", "Low end.", **MULTIPLIER),
            _c("high", "float", "High end.", **MULTIPLIER),
        ),
        ("kind",),
        "default",
        required=True,
        extra_checks=("low_mode_high",),
    ),
    Table(
        "capture_share",
        "Share of an offer's graduates that the battery industry attracts, per level: the "
        "stated share (column mode) is the expected value and the default for offers that give "
        "none; low and high bound a triangle with that mean, which sets the uncertainty of every "
        "offer's share at that level (as ratios to the stated share).",
        (
            _c("level", "ref", "Education level.", ref_table="education_levels"),
            _c(
                "mode",
                "float",
                "The stated share: the expected value of the drawn share (not its peak).",
                **PROB,
            ),
            _c("low", "float", "Low end.", **PROB),
            _c("high", "float", "High end.", **PROB),
        ),
        ("level",),
        "default",
        required=True,
        extra_checks=("low_mode_high", "capture_mean"),
    ),
    Table(
        "offer_status",
        "Probability that an education offer of a given status delivers as registered.",
        (
            _c("status", "str", "Offer status.", choices=OFFER_STATUSES),
            _c("probability", "float", "Probability.", **PROB),
        ),
        ("status",),
        "default",
        required=True,
    ),
    Table(
        "facility_status",
        "Default realisation risk of a facility by its status (and segment, where the evidence "
        "allows): the probability that any of the plan is built, the delay triangle, and the "
        "share of the planned capacity built when it is (low, mode, high). A facility's own "
        "values override these.",
        (
            _c("status", "str", "Facility status.", choices=STATUSES),
            _c(
                "segment",
                "ref",
                "Segment the row applies to (blank: every segment without a row of its own).",
                required=False,
                ref_table="segments",
            ),
            _c(
                "realisation_probability",
                "float",
                "Probability that the facility starts production at all.",
                **PROB,
            ),
            _c("delay_min", "int", "Shortest delay in years.", minimum=0, maximum=20),
            _c("delay_mode", "int", "Most likely delay in years.", minimum=0, maximum=20),
            _c("delay_max", "int", "Longest delay in years.", minimum=0, maximum=20),
            _c("share_low", "float", "Lowest share of the planned capacity built.", **PROB),
            _c("share_mode", "float", "Most likely share of the planned capacity built.", **PROB),
            _c("share_high", "float", "Highest share of the planned capacity built.", **PROB),
        ),
        ("status", "segment"),
        "default",
        required=True,
        extra_checks=("delay_order", "share_order"),
    ),
    Table(
        "source_occupations",
        "Occupations outside the battery industry with transferable competence (retraining "
        "pathways): STYRK-08 code, names and usual education level.",
        (
            _c("code", "code", "STYRK-08 occupation code (4 digits).", classification="styrk08"),
            _c("name_nb", "str", "Name in Norwegian bokmål."),
            _c("name_en", "str", "Name in English."),
            _c(
                "usual_level",
                "ref",
                "Usual education level of people in the occupation.",
                ref_table="education_levels",
            ),
        ),
        ("code",),
        "default",
        required=True,
    ),
    Table(
        "occupation_profile",
        "Competence profile of a source occupation: the share of its competence in each area "
        "(weights sum to 1 per occupation, like a role's shares in role_profile).",
        (
            _c("occupation", "ref", "Source occupation.", ref_table="source_occupations"),
            _c(
                "area",
                "ref",
                "Competence area (an area, not a group).",
                ref_table="competence_areas",
            ),
            _c("weight", "float", "Share of the occupation's competence in the area.", **PROB),
        ),
        ("occupation", "area"),
        "default",
        required=True,
        sums=(SumRule(("occupation",), "weight"),),
        extra_checks=("leaf_area",),
    ),
    Table(
        "recommendation_rules",
        "Rules that turn a significant gap into a recommended lever and commandment, tried in "
        "order of priority; the first rule whose conditions all hold applies.",
        (
            _c("id", "code", "Rule id."),
            _c(
                "priority",
                "int",
                "Order in which rules are tried (lowest first).",
                minimum=0,
                maximum=10000,
            ),
            _c(
                "horizons",
                "str",
                "Horizons of the gap the rule applies to, ';'-separated (none, short, medium, "
                "long); blank: any.",
                required=False,
            ),
            _c(
                "levels",
                "refs",
                "Education levels it applies to, ';'-separated; blank: any.",
                required=False,
                ref_table="education_levels",
            ),
            _c(
                "min_shortage",
                "float",
                "Least mean shortage (people a year) in the year the gap opens.",
                default="0",
                **NONNEG,
            ),
            _c(
                "min_share",
                "float",
                "Least share of that year's openings the shortage must be.",
                default="0",
                **PROB,
            ),
            _c("lever", "ref", "Lever recommended.", ref_table="levers"),
            _c(
                "commandment",
                "int",
                "Number of the commandment recommended (in commandments).",
                minimum=1,
                maximum=10,
            ),
            _c("reason_nb", "str", "Reason in bokmål, with {placeholders} filled from the gap."),
            _c("reason_en", "str", "Reason in English, with {placeholders} filled from the gap."),
        ),
        ("id",),
        "default",
        required=True,
        extra_checks=("known_commandment", "rule_horizons", "reason_placeholders"),
    ),
    Table(
        "bounds",
        "Plausible maximum of every quantity a user enters (capacity, jobs per GWh, people, "
        "places, weights): a larger value is refused as a typing or unit error. A bundle can "
        "raise a bound through overrides (table bounds, key <table>|<column>, column maximum) up "
        "to the column's hard limit.",
        (
            _c("table", "str", "Table of the bounded column."),
            _c("column", "str", "Bounded column."),
            _c("maximum", "float", "Plausible maximum.", minimum=0.0),
            _c("unit_en", "str", "Unit of the value, in English."),
            _c("unit_nb", "str", "Unit of the value, in bokmål."),
            _c("reason_en", "str", "Why a larger value is implausible, in English."),
            _c("reason_nb", "str", "Why a larger value is implausible, in bokmål."),
        ),
        ("table", "column"),
        "default",
        required=True,
        extra_checks=("bounds_known",),
    ),
    # ---------------------------------------------------------------- the input bundle
    Table(
        "organisations",
        "Organisations named elsewhere in the bundle (optional; for labels and coverage).",
        (
            _c("id", "code", "Organisation id used in the other tables."),
            _c("name", "str", "Name."),
            _c(
                "org_number",
                "str",
                "Norwegian organisation number (9 digits), if any.",
                required=False,
            ),
            _c(
                "kind",
                "str",
                "Kind of organisation.",
                choices=("company", "education", "research", "cluster", "union", "authority"),
            ),
            _c(
                "synthetic",
                "bool",
                "True if the organisation is fictional demo data.",
                default="false",
            ),
            _c(
                "parent",
                "code",
                "The organisation that answers the survey for this one (its parent company); "
                "blank: none. A parent's answer covers its whole group.",
                required=False,
            ),
            _c(
                "size",
                "float",
                "Staff in the battery value chain as registered (the survey frame's size); "
                "blank: not a unit of the frame.",
                required=False,
                **NONNEG,
            ),
            _c(
                "segment",
                "ref",
                "Value-chain segment of the unit (the survey's stratum); blank: that of its "
                "facilities or answers.",
                required=False,
                ref_table="segments",
            ),
        ),
        ("id",),
        "bundle",
        extra_checks=("org_number", "parent_known"),
    ),
    Table(
        "facilities",
        "Factories and plants with their status, start, realisation probability and delay.",
        (
            _c("id", "code", "Facility id."),
            _c("organisation", "code", "Owner organisation id."),
            _c("name", "str", "Name."),
            _c("segment", "ref", "Value-chain segment.", ref_table="segments"),
            _c("region", "ref", "Region.", ref_table="regions"),
            _c("status", "str", "Status.", choices=STATUSES),
            _c("start_year", "year", "Planned first year of production (ramp year 1)."),
            _c(
                "realisation_probability",
                "float",
                "Probability that the facility starts production at all (blank: the default of "
                "its status in facility_status).",
                required=False,
                **PROB,
            ),
            _c(
                "delay_min",
                "int",
                "Shortest delay in years (blank: the status default).",
                required=False,
                minimum=0,
                maximum=20,
            ),
            _c(
                "delay_mode",
                "int",
                "Most likely delay in years (blank: the status default).",
                required=False,
                minimum=0,
                maximum=20,
            ),
            _c(
                "delay_max",
                "int",
                "Longest delay in years (blank: the status default).",
                required=False,
                minimum=0,
                maximum=20,
            ),
            _c(
                "share_low",
                "float",
                "Lowest share of the planned capacity built if it starts (blank: the status "
                "default).",
                required=False,
                **PROB,
            ),
            _c(
                "share_mode",
                "float",
                "Most likely share of the planned capacity built (blank: the status default).",
                required=False,
                **PROB,
            ),
            _c(
                "share_high",
                "float",
                "Highest share of the planned capacity built (blank: the status default).",
                required=False,
                **PROB,
            ),
            _c(
                "ramp_offset",
                "int",
                "Staffing-ramp years a plant is ahead of the default ramp (small plants staff up "
                "faster than a gigafactory); 0 = the default ramp.",
                minimum=0,
                maximum=20,
                default="0",
            ),
            _c(
                "intensity",
                "float",
                "Jobs per GWh/yr at full staffing for this facility "
                "(blank: the segment's labour intensity); its uncertainty follows the segment's.",
                required=False,
                **INTENSITY,
            ),
            _c(
                "status_date",
                "str",
                "Date the status was last confirmed (YYYY-MM-DD).",
                required=False,
            ),
            _c(
                "announced_jobs",
                "float",
                "Direct jobs the owner announced for the full plan, if any (compared with the "
                "model's full staffing in the facilities frame; not used in the equations).",
                required=False,
                **NONNEG,
            ),
        ),
        ("id",),
        "bundle",
        extra_checks=("delay_order", "share_order", "status_default"),
    ),
    Table(
        "capacity_plans",
        "Planned capacity per facility and year on the undelayed timeline; capacity holds until "
        "the next planned year.",
        (
            _c("facility", "ref", "Facility id.", ref_table="facilities"),
            _c("year", "year", "Year."),
            _c("capacity", "float", "Capacity in GWh/yr (or GWh-eq/yr).", **_bounded(1e5)),
        ),
        ("facility", "year"),
        "bundle",
    ),
    Table(
        "survey_needs",
        "Survey answers: an organisation's needs per role, level, area and year.",
        (
            _c("organisation", "code", "Responding organisation id."),
            _c("segment", "ref", "Segment the need belongs to.", ref_table="segments"),
            _c("region", "ref", "Region of the workplace.", ref_table="regions"),
            _c("role", "ref", "Role.", ref_table="roles"),
            _c("level", "ref", "Education level.", ref_table="education_levels"),
            _c(
                "area",
                "ref",
                "Competence area (an area, not a group).",
                ref_table="competence_areas",
            ),
            _c("year", "year", "Year."),
            _c("new_hires", "float", "New hires needed in the year.", **PEOPLE),
            _c(
                "total_staff",
                "float",
                "Total staff in the role, level and area that year.",
                **PEOPLE,
            ),
            _c(
                "facility",
                "code",
                "The planned facility the answer is for (its row in facilities); blank: the "
                "organisation's existing operations. Answers for a facility that is not "
                "operating count at its realisation.",
                required=False,
            ),
        ),
        ("organisation", "segment", "region", "role", "level", "area", "year"),
        "bundle",
        extra_checks=("leaf_area", "true_level", "in_horizon"),
    ),
    Table(
        "education_offers",
        "Programmes, courses and modules and their intake or candidates.",
        (
            _c("id", "code", "Offer id."),
            _c("institution", "str", "Institution."),
            _c("name", "str", "Name of the programme, course or module."),
            _c("name_nb", "str", "Its name for readers, in bokmål.", required=False),
            _c("name_en", "str", "Its name for readers, in English.", required=False),
            _c(
                "kind",
                "str",
                "programme, course, module or bransjeprogram.",
                choices=("programme", "course", "module", "bransjeprogram"),
            ),
            _c("level", "ref", "Education level (or evu).", ref_table="education_levels"),
            _c("region", "ref", "Region of the institution.", ref_table="regions"),
            _c(
                "study_places",
                "float",
                "Intake per year (blank if candidates are given).",
                required=False,
                **PLACES,
            ),
            _c(
                "candidates",
                "float",
                "Graduates per year (overrides study places × completion).",
                required=False,
                **PLACES,
            ),
            _c("first_intake", "year", "First intake year."),
            _c(
                "duration_years",
                "float",
                "Duration in years (blank: the level's typical).",
                required=False,
                minimum=0.0,
                maximum=10.0,
            ),
            _c(
                "completion_rate",
                "float",
                "Share who complete (blank: the level's default).",
                required=False,
                **PROB,
            ),
            _c(
                "capture_share",
                "float",
                "Share of graduates the battery industry attracts (blank: the level's default).",
                required=False,
                **PROB,
            ),
            _c(
                "target_level",
                "ref",
                "For EVU and modules: the level the graduates count at (blank: the offer's level).",
                required=False,
                ref_table="education_levels",
            ),
            _c("status", "str", "exists, under_development or planned.", choices=OFFER_STATUSES),
        ),
        ("id",),
        "bundle",
        extra_checks=("places_or_candidates", "true_target_level"),
    ),
    Table(
        "offer_areas",
        "The competence areas an offer covers, with weights that sum to 1 per offer.",
        (
            _c("offer", "ref", "Offer id.", ref_table="education_offers"),
            _c(
                "area",
                "ref",
                "Competence area (an area, not a group).",
                ref_table="competence_areas",
            ),
            _c("weight", "float", "Weight.", **PROB),
        ),
        ("offer", "area"),
        "bundle",
        sums=(SumRule(("offer",), "weight"),),
        with_source=False,
        extra_checks=("leaf_area", "every_offer_has_areas"),
    ),
    Table(
        "retraining_pools",
        "Workforce pools with transferable competence that can be retrained.",
        (
            _c("id", "code", "Pool id."),
            _c("name", "str", "Name."),
            _c(
                "source_occupation",
                "str",
                "STYRK-08 code of the source occupation, if any.",
                required=False,
                classification="styrk08",
            ),
            _c("source_industry", "str", "Source industry (e.g. oil and gas).", required=False),
            _c("size", "float", "People in the pool.", **_bounded(1e8)),
            _c(
                "share_available",
                "float",
                "Share of the pool available for retraining per year.",
                **PROB,
            ),
            _c("first_year", "year", "First year people can start a course."),
        ),
        ("id",),
        "bundle",
    ),
    Table(
        "retraining_paths",
        "Where a pool's available people go: target role and level, share and course duration.",
        (
            _c("pool", "ref", "Pool id.", ref_table="retraining_pools"),
            _c("target_role", "ref", "Target role.", ref_table="roles"),
            _c(
                "level", "ref", "Level the retrained person works at.", ref_table="education_levels"
            ),
            _c(
                "share", "float", "Share of the pool's available people who take this path.", **PROB
            ),
            _c("duration_years", "float", "Course duration in years.", minimum=0.0, maximum=5.0),
        ),
        ("pool", "target_role", "level"),
        "bundle",
        sums=(SumRule(("pool",), "share", at_most=True),),
        with_source=False,
        extra_checks=("true_level",),
    ),
    Table(
        "recruitment_channels",
        "Recruitment from abroad: capped yearly flows per level (and optionally area).",
        (
            _c("id", "code", "Channel id."),
            _c("level", "ref", "Education level.", ref_table="education_levels"),
            _c(
                "area",
                "ref",
                "Competence area (blank: any area at the level).",
                required=False,
                ref_table="competence_areas",
            ),
            _c("cap_per_year", "float", "Most people recruited per year.", **PEOPLE),
            _c(
                "lead_time_months",
                "float",
                "Months from decision to start of work (permits, relocation).",
                minimum=0.0,
                maximum=120.0,
            ),
            _c("first_year", "year", "First year the channel is open."),
        ),
        ("id",),
        "bundle",
        extra_checks=("leaf_area", "true_level"),
    ),
    Table(
        "measures",
        "Agreed, running and proposed measures (tiltak): extra study places, course places or "
        "recruitment capacity; the model counts only agreed and running ones.",
        (
            _c("id", "code", "Measure id."),
            _c("name", "str", "Name of the measure."),
            _c("name_nb", "str", "Its name for readers, in bokmål.", required=False),
            _c("name_en", "str", "Its name for readers, in English.", required=False),
            _c("owner", "str", "Owner organisation name.", required=False),
            _c(
                "commandment",
                "int",
                "Number of the competence commandment it serves (in commandments).",
                minimum=1,
                maximum=10,
            ),
            _c(
                "lever",
                "ref",
                "How it adds supply: recruit_abroad, retrain, evu_module or educate.",
                ref_table="levers",
                choices=MEASURE_LEVERS,
            ),
            _c(
                "status",
                "str",
                "proposed, agreed, running, done or dropped (only agreed and running count).",
                choices=MEASURE_STATUSES,
            ),
            _c(
                "places_per_year",
                "float",
                "Extra study places (educate), course places (retrain, evu_module) or extra "
                "recruitment capacity (recruit_abroad) per year.",
                **PLACES,
            ),
            _c("start_year", "year", "First intake, or first year the capacity exists."),
            _c(
                "end_year",
                "year",
                "Last intake year, or last year of the capacity (blank: to the horizon).",
                required=False,
            ),
            _c(
                "duration_years",
                "float",
                "Programme or course duration (blank: the level's typical for educate, 0.5 for "
                "retrain and evu_module, 0 for recruit_abroad).",
                required=False,
                minimum=0.0,
                maximum=10.0,
            ),
            _c(
                "completion_rate",
                "float",
                "Share who complete (blank: the level's default for educate and evu_module, 1 "
                "for the others).",
                required=False,
                **PROB,
            ),
            _c(
                "cost_nok",
                "float",
                "Cost in NOK (for information).",
                required=False,
                **_bounded(1e15),
            ),
            _c("url", "str", "Web page of the measure.", required=False),
        ),
        ("id",),
        "bundle",
        extra_checks=("known_commandment", "measure_years", "counted_measure_has_targets"),
    ),
    Table(
        "measure_targets",
        "The cells a measure adds supply to (level × area), with weights that sum to 1 per "
        "measure.",
        (
            _c("measure", "ref", "Measure id.", ref_table="measures"),
            _c(
                "level",
                "ref",
                "Education level the supply counts at (a true level).",
                ref_table="education_levels",
            ),
            _c(
                "area",
                "ref",
                "Competence area (an area, not a group).",
                ref_table="competence_areas",
            ),
            _c("weight", "float", "Weight.", **PROB),
        ),
        ("measure", "level", "area"),
        "bundle",
        sums=(SumRule(("measure",), "weight"),),
        with_source=False,
        extra_checks=("leaf_area", "true_level"),
    ),
    Table(
        "scenarios",
        "Named scenarios with weights; each changes inputs through scenario_overrides.",
        (
            _c("name", "code", "Scenario name."),
            _c("title_nb", "str", "The scenario's title for readers, in bokmål.", required=False),
            _c("title_en", "str", "The scenario's title for readers, in English.", required=False),
            _c("weight", "float", "Weight in the weighted ensemble.", **_bounded(1e9)),
            _c("description", "str", "What the scenario assumes.", required=False),
        ),
        ("name",),
        "bundle",
        with_source=False,
    ),
    Table(
        "scenario_overrides",
        "Changes a scenario makes to any table cell: table, key of the row, column, new value.",
        (
            _c("scenario", "ref", "Scenario name.", ref_table="scenarios"),
            _c("table", "str", "Table name."),
            _c("key", "str", "Key of the row; key columns joined by '|'."),
            _c("column", "str", "Column to change."),
            _c("value", "str", "New value."),
        ),
        ("scenario", "table", "key", "column"),
        "bundle",
    ),
    Table(
        "overrides",
        "Changes to default parameters for every scenario of this bundle: table, key, column, "
        "value.",
        (
            _c("table", "str", "Table name."),
            _c("key", "str", "Key of the row; key columns joined by '|'."),
            _c("column", "str", "Column to change."),
            _c("value", "str", "New value."),
        ),
        ("table", "key", "column"),
        "bundle",
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
DEFAULT_TABLES: tuple[str, ...] = tuple(t.name for t in _TABLE_LIST if t.origin == "default")
BUNDLE_TABLES: tuple[str, ...] = tuple(t.name for t in _TABLE_LIST if t.origin == "bundle")

#: Scalar parameters the model knows, with what they mean. ``parameters.csv`` must define each.
KNOWN_PARAMETERS: dict[str, str] = {
    "base_year": "First year of the projection; the time squeeze counts lead times from here.",
    "end_year": "Last year of the projection.",
    "startup_years": "Years after start of production in which the start-up role mix applies.",
    "expat_stay_years": "Average stay of a temporary specialist from abroad, in years.",
    "exit_rate_factor": "Multiplier on all exit rates (uncertain: low–high).",
    "recruitment_cap_factor": "Multiplier on recruitment caps (uncertain: low–high).",
    "mix_concentration": "Dirichlet concentration of the role mix in Monte Carlo draws "
    "(higher = less spread).",
    "mix_concentration_startup": "Dirichlet concentration of the start-up role mix.",
    "common_shock_correlation": "Correlation, through one common market factor, of the latent "
    "variables that decide each facility's realisation, delay and built share (0: independent).",
    "common_shock_supply_correlation": "Correlation of the recruitment-cap and capture-share "
    "factors with the same common factor (0: independent of it).",
    "recommendation_min_shortage": "Least mean shortage (people a year) in a level × area cell "
    "that counts as a significant gap: its first such year is the year the gap opens.",
    "pathway_roles": "Most battery roles a retraining pool without explicit paths is spread over "
    "(its best-fitting roles by competence overlap).",
    "pathway_min_overlap": "Smallest competence overlap for a battery role to get derived "
    "retraining paths.",
    "pathway_missing_threshold": "Smallest shortfall (role weight minus source weight) for a "
    "competence area to count as missing on a retraining pathway.",
}

#: Hard ranges of the parameters (value, low and high): a value outside is refused, whatever the
#: bundle says, because the model's arrays and loops are sized from them.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "base_year": (MIN_YEAR, MAX_YEAR),
    "end_year": (MIN_YEAR, MAX_YEAR),
    "startup_years": (0, 50),
    "expat_stay_years": (0, 50),
    "exit_rate_factor": (0, 10),
    "recruitment_cap_factor": (0, 100),
    "mix_concentration": (1, 1e6),
    "mix_concentration_startup": (1, 1e6),
    "recommendation_min_shortage": (0, 1e9),
    "pathway_roles": (0, 1000),
    "pathway_min_overlap": (0, 1),
    "pathway_missing_threshold": (0, 1),
}


def bounded_columns() -> list[tuple[str, Column]]:
    """Every (table, column) with a plausible maximum in the ``bounds`` table."""
    return [(t.name, c) for t in _TABLE_LIST for c in t.columns if c.bounded]
