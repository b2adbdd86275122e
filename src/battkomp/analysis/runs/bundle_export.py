"""The model on the platform's data: an engine input bundle built from the database.

:func:`build_bundle` writes the bundle tables (``docs/bundle.md``) as CSV files: the register's
organisations, facilities (current status, current capacity plan version), the education offers
with their competence areas, and the need lines of the SUBMITTED responses of one survey round.
The scenarios and their overrides are the platform's own (``analysis.models.Scenario``) when
any exist; a facility a scenario leaves out becomes the override ``realisation_probability = 0``.
The tables the platform does not hold yet (retraining pools and paths, recruitment channels,
overrides, and the scenarios while there are none in the database) are copied from the demo
bundle shipped with the engine, so that the result runs with ``battkomp model run --bundle
FOLDER`` and :func:`battkomp.engine.run_model` as it is.

A bundle holds company answers: whoever passes ``user`` gets one access-log entry per
organisation whose answers are in it (analysts only; see ``accounts.actions.log_access``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from battkomp import __version__
from battkomp.accounts.actions import log_access
from battkomp.core.users import UserLike
from battkomp.core.validators import org_number_ok
from battkomp.engine.bundle import demo_bundle_path, load_inputs
from battkomp.engine.schema import BUNDLE_TABLES, DEFAULT_TABLES, TABLES
from battkomp.offers.models import Offer
from battkomp.organisations.models import Facility, Organisation
from battkomp.survey.models import ParticipantStatus, Round, RoundStatus

__all__ = [
    "DEMO_TABLES",
    "SCENARIO_TABLES",
    "BundleContents",
    "ScenarioSpec",
    "build_bundle",
    "collect_bundle",
    "latest_round",
    "write_xlsx",
    "write_zip",
]

#: Bundle tables the platform has no data of its own for: copied from the shipped demo bundle.
DEMO_TABLES: tuple[str, ...] = (
    "retraining_pools",
    "retraining_paths",
    "recruitment_channels",
    "scenarios",
    "scenario_overrides",
    "overrides",
)

#: Tables written from the platform's scenarios when any exist (else copied from the demo bundle).
SCENARIO_TABLES: tuple[str, ...] = ("scenarios", "scenario_overrides")
#: The source of the override that leaves a facility out of a scenario.
EXCLUDED_SOURCE = "battkomp platform: facility left out of this scenario"

#: Tables built from the database, in the order of docs/bundle.md. The measures (battkomp.measures)
#: are written once the engine's schema knows their tables.
MEASURE_TABLES: tuple[str, ...] = (
    ("measures", "measure_targets") if {"measures", "measure_targets"} <= set(TABLES) else ()
)
DATABASE_TABLES: tuple[str, ...] = (
    "organisations",
    "facilities",
    "capacity_plans",
    "survey_needs",
    "education_offers",
    "offer_areas",
    *MEASURE_TABLES,
)

README_NAME = "README.txt"
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: Text cells that start like a formula are escaped in CSV files (spreadsheet injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = dict[str, Any]


@dataclass
class BundleContents:
    """The bundle's rows per table (Python values), where they come from and what was left out."""

    tables: dict[str, list[Row]]
    round: Round | None
    #: organisations whose submitted answers are in ``survey_needs``, with their response
    respondents: list[tuple[Organisation, Any]] = field(default_factory=list)
    from_demo: tuple[str, ...] = DEMO_TABLES
    notes: list[str] = field(default_factory=list)
    created_at: str = ""

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass
class ScenarioSpec:
    """A scenario as written to the bundle: saved (:meth:`of`) or a candidate being checked."""

    name: str
    weight: float
    description: str = ""
    title_nb: str = ""
    title_en: str = ""
    #: override rows: table, key, column, value, source
    overrides: list[Row] = field(default_factory=list)
    excluded: list[Facility] = field(default_factory=list)

    @classmethod
    def of(cls, scenario: Any) -> ScenarioSpec:
        return cls(
            name=scenario.name,
            weight=scenario.weight,
            description=scenario.description,
            title_nb=scenario.title_nb,
            title_en=scenario.title_en,
            overrides=[
                {
                    "table": o.table,
                    "key": o.key,
                    "column": o.column,
                    "value": o.value,
                    "source": o.source,
                }
                for o in scenario.overrides.order_by("position", "pk")
            ],
            excluded=list(scenario.excluded_facilities.order_by("pk")),
        )


def org_id(org: Organisation) -> str:
    """The stable id of an organisation in a bundle."""
    return f"org-{org.pk}"


def facility_id(fac: Facility) -> str:
    """The id of a facility in a bundle: its code (or ``facility-<pk>`` if it is no code)."""
    return bundle_code(fac.code, f"facility-{fac.pk}")


def bundle_code(value: str, fallback: str) -> str:
    """A record's id in a bundle: its own code if it is a valid bundle code, else ``fallback``."""
    return value if value and _CODE_RE.match(value) else fallback


def latest_round() -> Round | None:
    """The newest round that has opened (open or closed); a draft only if there is nothing else."""
    ordered = Round.objects.order_by("-opens_on", "-id")
    return ordered.exclude(status=RoundStatus.DRAFT).first() or ordered.first()


def _resolve_round(value: Round | int | str | None) -> Round | None:
    if value is None:
        return latest_round()
    if isinstance(value, Round):
        return value
    return Round.objects.get(pk=int(value))


def _demo_rows(name: str) -> list[Row]:
    path = demo_bundle_path() / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [dict(r) for r in csv.DictReader(f)]


def _horizon(overrides: Iterable[Row]) -> tuple[int, int]:
    """base_year..end_year of the defaults, after the copied ``overrides``."""
    defaults = load_inputs(None)
    years = {
        "base_year": int(defaults.parameter("base_year")),
        "end_year": int(defaults.parameter("end_year")),
    }
    for row in overrides:
        is_year = row.get("table") == "parameters" and row.get("key") in years
        if is_year and row.get("column") == "value":
            years[str(row["key"])] = int(float(str(row["value"])))
    return years["base_year"], years["end_year"]


def _key(table: str, row: Mapping[str, Any]) -> str:
    return "|".join(_text(row.get(k)) for k in TABLES[table].key)


def _text(value: Any) -> str:
    """A cell as the engine reads it back from CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _organisations(notes: list[str]) -> list[Row]:
    rows = []
    for org in Organisation.objects.select_related("parent").order_by("pk"):
        number = org.org_number if org.org_number and org_number_ok(org.org_number) else ""
        if org.org_number and not number:
            notes.append(
                _(
                    "Organisation %(name)s: the organisation number %(number)s is not valid and "
                    "was left out."
                )
                % {"name": org.name, "number": org.org_number}
            )
        rows.append(
            {
                "id": org_id(org),
                "name": org.name,
                "org_number": number,
                "kind": org.kind,
                "synthetic": org.synthetic,
                # the survey's frame: who answers for it, its size and its stratum
                "parent": org_id(org.parent) if org.parent is not None else "",
                "size": org.battery_staff,
                "segment": org.segments[0] if org.segments else "",
                "source": (
                    "synthetic demo data: fictional organisation"
                    if org.synthetic
                    else "battkomp register of organisations"
                ),
            }
        )
    return rows


def _with_model_fields(table: str, row: Row, obj: Any) -> Row:
    """Bundle columns the code above does not fill, taken from a model field of the same name
    where the model has one (so a column added to both is exported without more code)."""
    for column in TABLES[table].column_names:
        if column not in row and hasattr(obj, column):
            row[column] = getattr(obj, column)
    return row


def _facilities(notes: list[str]) -> tuple[list[Row], list[Row]]:
    facilities: list[Row] = []
    plans: list[Row] = []
    query = Facility.objects.select_related("organisation").prefetch_related("statuses", "plans")
    for fac in query.order_by("pk"):
        fid = facility_id(fac)
        status = max(fac.statuses.all(), key=lambda s: (s.date, s.pk), default=None)
        if status is None:
            notes.append(
                _("Facility %(name)s has no status; it is exported as announced.")
                % {"name": fac.name}
            )
        row = {
            "id": fid,
            "organisation": org_id(fac.organisation),
            "name": fac.name,
            "segment": fac.segment,
            "region": fac.region,
            "status": status.status if status else "announced",
            "start_year": fac.start_year,
            "realisation_probability": fac.realisation_probability,
            "delay_min": fac.delay_min,
            "delay_mode": fac.delay_mode,
            "delay_max": fac.delay_max,
            "ramp_offset": fac.ramp_offset,
            "intensity": fac.intensity,
            "status_date": status.date.isoformat() if status else "",
            "source": fac.source,
        }
        facilities.append(_with_model_fields("facilities", row, fac))
        plan = max(fac.plans.all(), key=lambda p: p.version, default=None)
        if plan is None:
            continue
        label = f"battkomp capacity plan version {plan.version}"
        if plan.note:
            label += f": {plan.note}"
        for year in plan.years.order_by("year"):
            plans.append(
                {"facility": fid, "year": year.year, "capacity": year.capacity, "source": label}
            )
    return facilities, plans


def segment_and_region(org: Organisation) -> tuple[str, str]:
    """Where an organisation's needs count: its first segment and its county, else its first
    facility's."""
    segment = org.segments[0] if org.segments else ""
    region = org.county or ""
    if not segment or not region:
        first = org.facilities.order_by("pk").first()
        if first is not None:
            segment = segment or first.segment
            region = region or first.region
    return segment, region


def _survey_needs(
    rnd: Round | None, horizon: tuple[int, int], notes: list[str]
) -> tuple[list[Row], list[tuple[Organisation, Any]]]:
    if rnd is None:
        return [], []
    rows: list[Row] = []
    respondents: list[tuple[Organisation, Any]] = []
    participants = (
        rnd.participants.filter(status=ParticipantStatus.SUBMITTED, response__isnull=False)
        .select_related("organisation", "response")
        .order_by("organisation__name", "pk")
    )
    base, end = horizon
    # A line names its facility by code (as the revision kept it); the bundle by facility_id.
    by_code = {fac.code: fac for fac in Facility.objects.all()}
    for participant in participants:
        org = participant.organisation
        segment, region = segment_and_region(org)
        if not segment or not region:
            notes.append(
                _(
                    "The answers of %(name)s were left out: the organisation has no segment or "
                    "county (and no facility to take them from)."
                )
                % {"name": org.name}
            )
            continue
        source = (
            f"synthetic demo data: fictional company; survey round {rnd.name}"
            if org.synthetic
            else f"battkomp survey round {rnd.name}, submitted response"
        )
        # What the organisation handed in: its last submitted revision, not the live lines,
        # which may hold changes saved since (possibly with numbers still blank).
        revision = participant.response.submitted_revision()
        if revision is None:
            continue
        lines = sorted(
            revision.snapshot["lines"],
            key=lambda n: (n["year"], n["role"], n["level"], n["area"]),
        )
        outside = 0
        count = 0
        lost: set[str] = set()
        for line in lines:
            if not base <= line["year"] <= end:
                outside += 1
                continue
            if line["new_hires"] is None or line["total_staff"] is None:
                continue
            count += 1
            facility = ""
            code = line.get("facility")
            if code:
                fac = by_code.get(code)
                if fac is None:
                    lost.add(code)
                else:
                    facility = facility_id(fac)
            rows.append(
                {
                    "organisation": org_id(org),
                    "segment": segment,
                    "region": region,
                    "role": line["role"],
                    "level": line["level"],
                    "area": line["area"],
                    "year": line["year"],
                    "new_hires": float(line["new_hires"]),
                    "total_staff": float(line["total_staff"]),
                    "facility": facility,
                    "source": source,
                }
            )
        if lost:
            notes.append(
                _(
                    "Answers of %(name)s name facilities that are no longer registered "
                    "(%(codes)s): they count for the organisation as a whole."
                )
                % {"name": org.name, "codes": ", ".join(sorted(lost))}
            )
        if outside:
            notes.append(
                _(
                    "%(count)s need lines of %(name)s lie outside the model's years "
                    "%(base)s–%(end)s and were left out."
                )
                % {"count": outside, "name": org.name, "base": base, "end": end}
            )
        respondents.append((org, participant.response))
    return rows, respondents


def offer_rows(notes: list[str]) -> tuple[list[Row], list[Row]]:
    """The registered offers as bundle rows: ``education_offers`` and ``offer_areas``. Offers the
    bundle cannot take are left out with a note appended to ``notes``; the pathways page uses
    the same rows, so it sees the offers a model run sees."""
    offers: list[Row] = []
    areas: list[Row] = []
    query = Offer.objects.select_related("institution").prefetch_related("areas")
    for offer in query.order_by("pk"):
        oid = bundle_code(offer.code, f"offer-{offer.pk}")
        offer_areas = [(a.area, a.weight) for a in offer.areas.all() if a.weight > 0]
        total = sum(w for _a, w in offer_areas)
        problem = None
        if not offer_areas or total <= 0:
            problem = _("it covers no competence area")
        elif offer.study_places is None and offer.candidates is None:
            problem = _("it has neither study places nor candidates")
        elif offer.level == "evu" and not offer.target_level:
            problem = _("an EVU offer needs the level its graduates count at")
        if problem:
            notes.append(
                _("Offer %(name)s (%(institution)s) was left out: %(problem)s.")
                % {"name": offer.name, "institution": offer.institution.name, "problem": problem}
            )
            continue
        row = {
            "id": oid,
            "institution": offer.institution.name,
            "name": offer.name_en or offer.name_nb,
            "name_nb": offer.name_nb,
            "name_en": offer.name_en,
            "kind": offer.kind,
            "level": offer.level,
            "region": offer.region,
            "study_places": offer.study_places,
            "candidates": offer.candidates,
            "first_intake": offer.first_intake,
            "duration_years": offer.duration_years,
            "completion_rate": offer.completion_rate,
            "capture_share": offer.capture_share,
            "target_level": offer.target_level or "",
            "status": offer.status,
            "source": offer.source,
        }
        offers.append(_with_model_fields("education_offers", row, offer))
        if abs(total - 1.0) > 1e-9:
            notes.append(
                _("The area weights of offer %(name)s sum to %(total)s; they were scaled to 1.")
                % {"name": offer.name, "total": round(total, 6)}
            )
        for area, weight in offer_areas:
            areas.append({"offer": oid, "area": area, "weight": weight / total})
    return offers, areas


def _measures(notes: list[str]) -> tuple[list[Row], list[Row]]:
    """Every registered measure with its targets (``m<pk>``). The engine counts only agreed and
    running ones; proposed, done and dropped ones are written with their status and ignored."""
    from battkomp.measures.models import Measure

    measures: list[Row] = []
    targets: list[Row] = []
    query = Measure.objects.select_related("owner").prefetch_related("targets")
    for measure in query.order_by("pk"):
        own = [(t.level, t.area, t.weight) for t in measure.targets.all() if t.weight > 0]
        total = sum(w for _l, _a, w in own)
        if not own or total <= 0:
            notes.append(
                _("Measure %(name)s was left out: it targets no competence area and level.")
                % {"name": measure.title}
            )
            continue
        mid = measure.bundle_id
        source = measure.source or "battkomp register of measures"
        if measure.synthetic:
            source = f"synthetic demo data: illustrative measure; {source}"
        row = {
            "id": mid,
            "name": measure.title_en or measure.title_nb,
            "name_nb": measure.title_nb,
            "name_en": measure.title_en,
            "owner": measure.owner.name if measure.owner_id else "",
            "commandment": measure.commandment,
            "lever": measure.lever,
            "status": measure.status,
            "places_per_year": measure.places_per_year,
            "start_year": measure.start_year,
            "end_year": measure.end_year,
            "duration_years": measure.duration_years,
            "completion_rate": measure.completion_rate,
            "cost_nok": measure.cost_nok,
            "url": measure.url,
            "source": source,
        }
        measures.append(_with_model_fields("measures", row, measure))
        for level, area, weight in own:
            targets.append(
                {
                    "measure": mid,
                    "level": level,
                    "area": area,
                    "weight": weight / total,
                    "source": source,
                }
            )
    return measures, targets


def _filter_overrides(
    name: str, rows: list[Row], tables: Mapping[str, list[Row]], notes: list[str]
) -> list[Row]:
    """Keep the demo overrides whose target row exists in this bundle (or in the defaults)."""
    keys: dict[str, set[str]] = {
        t: {_key(t, r) for r in rs} for t, rs in tables.items() if t in BUNDLE_TABLES
    }
    kept, dropped = [], 0
    for row in rows:
        target = str(row.get("table", ""))
        own_row = target in keys and str(row.get("key", "")) in keys[target]
        if target in DEFAULT_TABLES or target in DEMO_TABLES or own_row:
            kept.append(row)
        else:
            dropped += 1
    if dropped:
        notes.append(
            _(
                "%(count)s rows of %(table)s (copied from the demo bundle) change rows this "
                "database does not have and were left out."
            )
            % {"count": dropped, "table": name}
        )
    return kept


def _saved_scenarios() -> list[ScenarioSpec]:
    from battkomp.analysis.models import Scenario

    return [ScenarioSpec.of(s) for s in Scenario.objects.order_by("pk")]


def scenario_tables(specs: Iterable[ScenarioSpec]) -> tuple[list[Row], list[Row]]:
    """The rows of ``scenarios`` and ``scenario_overrides`` for these scenarios: each one's own
    overrides in order, then one ``realisation_probability = 0`` per facility it leaves out."""
    scenarios: list[Row] = []
    overrides: list[Row] = []
    for spec in specs:
        scenarios.append(
            {
                "name": spec.name,
                "title_nb": spec.title_nb,
                "title_en": spec.title_en,
                "weight": spec.weight,
                "description": spec.description,
            }
        )
        for row in spec.overrides:
            overrides.append({"scenario": spec.name, **row})
        for fac in spec.excluded:
            overrides.append(
                {
                    "scenario": spec.name,
                    "table": "facilities",
                    "key": facility_id(fac),
                    "column": "realisation_probability",
                    "value": "0",
                    "source": EXCLUDED_SOURCE,
                }
            )
    return scenarios, overrides


def collect_bundle(
    round: Round | int | str | None = None,
    *,
    scenarios: Iterable[ScenarioSpec] | None = None,
) -> BundleContents:
    """Gather the bundle's rows from the database (nothing is written, nothing logged).

    ``scenarios``: the scenarios to write (``None``: the saved ones; the demo bundle's when
    there are none).
    """
    notes: list[str] = []
    rnd = _resolve_round(round)
    specs = _saved_scenarios() if scenarios is None else list(scenarios)
    own_scenarios = bool(specs) or scenarios is not None
    demo = {name: _demo_rows(name) for name in DEMO_TABLES}
    tables: dict[str, list[Row]] = {}
    tables["organisations"] = _organisations(notes)
    tables["facilities"], tables["capacity_plans"] = _facilities(notes)
    needs, respondents = _survey_needs(rnd, _horizon(demo["overrides"]), notes)
    tables["survey_needs"] = needs
    tables["education_offers"], tables["offer_areas"] = offer_rows(notes)
    if MEASURE_TABLES:
        tables["measures"], tables["measure_targets"] = _measures(notes)
    for name in DEMO_TABLES:
        if own_scenarios and name in SCENARIO_TABLES:
            continue
        rows = demo[name]
        if name in {"scenario_overrides", "overrides"}:
            rows = _filter_overrides(name, rows, tables, notes)
        tables[name] = rows
    if own_scenarios:
        tables["scenarios"], tables["scenario_overrides"] = scenario_tables(specs)
        tables = {name: tables[name] for name in (*DATABASE_TABLES, *DEMO_TABLES)}
    if rnd is None:
        notes.append(_("There is no survey round yet: the bundle has no survey answers."))
    from_demo = tuple(n for n in DEMO_TABLES if not (own_scenarios and n in SCENARIO_TABLES))
    return BundleContents(
        tables=tables,
        round=rnd,
        respondents=respondents,
        from_demo=from_demo,
        notes=notes,
        created_at=timezone.localtime().isoformat(timespec="seconds"),
    )


def log_bundle_access(user: UserLike, contents: BundleContents, detail: str = "") -> None:
    """One access-log entry per organisation whose answers the bundle holds."""
    rnd = contents.round
    where = f"round {rnd.pk}: {rnd.name}" if rnd else ""
    for org, response in contents.respondents:
        log_access(user, "export_bundle", response, org, " ".join(p for p in (where, detail) if p))


# ------------------------------------------------------------------------------------ writing


def _csv_cell(value: Any, kind: str) -> str:
    text = _text(value)
    if kind == "str" and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _kinds(name: str) -> dict[str, str]:
    spec = TABLES[name]
    kinds = {c.name: c.kind for c in spec.columns}
    if spec.with_source:
        kinds["source"] = "str"
    return kinds


def table_csv(name: str, rows: list[Row]) -> str:
    """One table as CSV text, columns in the order of the schema."""
    spec = TABLES[name]
    kinds = _kinds(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(spec.column_names)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c), kinds[c]) for c in spec.column_names])
    return out.getvalue()


def readme_text(contents: BundleContents) -> str:
    """What the bundle holds and where it comes from (a file the engine ignores)."""
    rnd = contents.round
    lines = [
        "battkomp input bundle",
        "=====================",
        "",
        f"Written {contents.created_at} by battkomp {__version__} from the platform's database.",
        (
            f"Survey answers: submitted responses of round {rnd.pk} «{rnd.name}» "
            f"({rnd.first_year}–{rnd.last_year})."
            if rnd
            else "Survey answers: none (there is no survey round)."
        ),
        "CONFIDENTIAL: survey_needs.csv holds companies' answers.",
        "",
        "Rows per table:",
    ]
    for name, count in contents.counts().items():
        origin = "demo bundle" if name in contents.from_demo else "database"
        lines.append(f"  {name}: {count} ({origin})")
    lines += [
        "",
        "Tables marked 'demo bundle' are copied from the demo bundle shipped with battkomp",
        "(src/battkomp/engine/demo): the platform holds no data of its own for them yet.",
        "Run the model:  battkomp model run --bundle THIS_FOLDER --weighted",
        "The format of every table: docs/bundle.md.",
    ]
    if contents.notes:
        lines += ["", "Notes:", *[f"  - {n}" for n in contents.notes]]
    return "\n".join(lines) + "\n"


def write_folder(contents: BundleContents, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name, rows in contents.tables.items():
        (dest / f"{name}.csv").write_text(table_csv(name, rows), encoding="utf-8")
    (dest / README_NAME).write_text(readme_text(contents), encoding="utf-8")
    return dest


def write_zip(contents: BundleContents, folder_name: str = "battkomp-bundle") -> bytes:
    """The bundle as a .zip holding one folder of CSV files and the README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in contents.tables.items():
            zf.writestr(f"{folder_name}/{name}.csv", table_csv(name, rows))
        zf.writestr(f"{folder_name}/{README_NAME}", readme_text(contents))
    return buffer.getvalue()


def _xlsx_value(value: Any, kind: str) -> Any:
    """Numbers as numbers (the demo tables hold text read from CSV), booleans as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind in {"int", "year", "float"} and isinstance(value, str):
        try:
            number = float(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            return value
        return int(number) if kind != "float" and number.is_integer() else number
    return value


def write_xlsx(contents: BundleContents) -> bytes:
    """The bundle as one workbook, one sheet per table and a 'readme' sheet the engine skips."""
    import xlsxwriter

    buffer = io.BytesIO()
    # Text stays text: no formulas, no URLs, no numbers guessed from strings.
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = wb.add_format({"bold": True})
    readme = wb.add_worksheet("readme")
    for i, line in enumerate(readme_text(contents).splitlines()):
        readme.write_string(i, 0, line)
    readme.set_column(0, 0, 100)
    for name, rows in contents.tables.items():
        ws = wb.add_worksheet(name)
        spec = TABLES[name]
        kinds = _kinds(name)
        for c, column in enumerate(spec.column_names):
            ws.write_string(0, c, column, bold)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(spec.column_names):
                value = _xlsx_value(row.get(column), kinds[column])
                if value is None:
                    continue
                if isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
        ws.freeze_panes(1, 0)
    wb.close()
    return buffer.getvalue()


@transaction.atomic
def build_bundle(
    dest_folder: Path | str,
    *,
    round: Round | int | str | None = None,
    user: UserLike | None = None,
    scenarios: Iterable[ScenarioSpec] | None = None,
    detail: str = "bundle folder",
) -> Path:
    """Write the platform's data as an engine input bundle (a folder of CSV files).

    ``round``: the survey round whose SUBMITTED responses become ``survey_needs`` (a Round or
    its id; ``None``: the latest round). ``user``: an analyst's reads are logged, one entry per
    organisation whose answers are written (``detail`` says what for). ``scenarios``: see
    :func:`collect_bundle`. Returns the folder.
    """
    contents = collect_bundle(round, scenarios=scenarios)
    if user is not None:
        log_bundle_access(user, contents, detail)
    return write_folder(contents, Path(dest_folder))
