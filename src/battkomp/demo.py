"""The demo: ``battkomp demo`` and the ``load_demo`` command.

:func:`load_demo` fills the database from the demo bundle shipped with the engine: the real
Norwegian organisations, facilities and education offers, and a survey round whose answers come
from FICTIONAL companies (``Organisation.synthetic``), plus one demo account for every role. It
can run any number of times: everything is looked up by its natural key (an organisation's name,
a facility's or offer's code, the round's name, an account's e-mail) and only what is missing is
created.

:func:`run_demo` prepares an SQLite database in the data folder and serves the site with
gunicorn on 127.0.0.1 (through :mod:`battkomp.site.serving`, which also serves a real deployment).

Django is set up by the callers: nothing here imports a model at module level.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PASSWORD = "battkomp-demo-2026"
DEMO_ROUND_NAME = "BattKOMP demo 2026"
DEMO_ROUND_YEARS = (2026, 2030)


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: its role, e-mail and (for respondents and editors) organisation."""

    role: str
    email: str
    name: str
    title: str
    #: id of the organisation in the demo bundle's organisations, or an institution's name
    organisation: str | None = None


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "admin@battkomp.example", "Ada Admin", "Administrator"),
    DemoAccount("analyst", "analyst@battkomp.example", "Ane Analytiker", "Analyst (secretariat)"),
    DemoAccount(
        "respondent",
        "respondent@fjordcell.example",
        "Frida Fjord",
        "Company respondent",
        "demo_fjordcell",
    ),
    DemoAccount(
        "respondent",
        "respondent@anodia.example",
        "Anders Anode",
        "Company respondent",
        "demo_anodia",
    ),
    DemoAccount(
        "editor",
        "editor@fagskole.example",
        "Eli Editor",
        "Institution editor",
        "Illustrative fagskole (synthetic)",
    ),
    DemoAccount("handler", "handler@battkomp.example", "Hans Henvendelse", "Inquiry handler"),
)

#: The one fictional respondent that does not find access to competence a challenge, so that the
#: demo's headline share is below 100 % like BattKOMP's 92 % (DOMAIN.md §1).
_NOT_A_CHALLENGE = "demo_celletest"


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)
    #: (account, password, organisation name or "")
    accounts: list[tuple[DemoAccount, str, str]] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.created[kind] = self.created.get(kind, 0) + n

    def created_text(self) -> str:
        return ", ".join(f"{kind}: {n}" for kind, n in self.created.items())


# ------------------------------------------------------------------------------------- loading


def _county(region: str | None) -> str:
    """Counties are the numeric region codes; countries give no county."""
    return region if region and region.isdigit() else ""


def _organisation(name: str, data: dict[str, Any], synthetic: bool, summary: DemoSummary) -> Any:
    """The organisation of that name, created through the register's action if missing."""
    from battkomp.organisations.actions import do_save_organisation
    from battkomp.organisations.models import Organisation

    org = Organisation.objects.filter(name=name).order_by("pk").first()
    if org is None:
        org = do_save_organisation(None, {"name": name, **data}, synthetic=synthetic)
        summary.add("organisations")
    return org


def _organisations(inputs: Any, summary: DemoSummary) -> dict[str, Any]:
    facilities = inputs["facilities"]
    needs = inputs["survey_needs"]
    by_id: dict[str, Any] = {}
    for row in inputs["organisations"].iter_rows(named=True):
        own_fac = facilities.filter(facilities["organisation"] == row["id"])
        own_needs = needs.filter(needs["organisation"] == row["id"])
        segments = sorted(set(own_fac["segment"].to_list()) | set(own_needs["segment"].to_list()))
        regions = own_fac["region"].to_list() + own_needs["region"].to_list()
        data = {
            "kind": row["kind"],
            "org_number": row["org_number"] or "",
            "segments": segments,
            "county": _county(regions[0] if regions else None),
        }
        by_id[row["id"]] = _organisation(row["name"], data, bool(row["synthetic"]), summary)
    return by_id


def _facilities(inputs: Any, orgs: Mapping[str, Any], today: date, summary: DemoSummary) -> None:
    from battkomp.organisations.actions import (
        do_add_status,
        do_save_capacity_plan,
        do_save_facility,
    )
    from battkomp.organisations.models import Facility

    model_fields = {f.name for f in Facility._meta.get_fields()}
    plans = inputs["capacity_plans"]
    for row in inputs["facilities"].iter_rows(named=True):
        if Facility.objects.filter(code=row["id"]).exists():
            continue
        data = {
            k: v
            for k, v in row.items()
            if k in model_fields and k not in {"id", "organisation", "status", "status_date"}
        }
        data.update(code=row["id"], source=row["source"] or "")
        facility = do_save_facility(orgs[row["organisation"]], None, data)
        status_date = date.fromisoformat(row["status_date"]) if row["status_date"] else today
        note = "Demo data: the status of the demo bundle."
        if not row["status_date"]:
            note += " Its date is not confirmed; set to the day the demo was loaded."
        do_add_status(facility, None, row["status"], status_date, note)
        years = plans.filter(plans["facility"] == row["id"]).sort("year")
        if years.height:
            do_save_capacity_plan(
                facility,
                None,
                [(y["year"], y["capacity"]) for y in years.iter_rows(named=True)],
                "Demo data: the capacity plan of the demo bundle.",
            )
        summary.add("facilities")


def _offer_rows(inputs: Any) -> dict[str, list[dict[str, Any]]]:
    """Offers per institution name, as dicts of Offer fields plus their areas."""
    from battkomp.core.bilingual import guess_language
    from battkomp.offers.actions import OFFER_FIELDS

    areas = inputs["offer_areas"]
    by_institution: dict[str, list[dict[str, Any]]] = {}
    for row in inputs["education_offers"].iter_rows(named=True):
        own = areas.filter(areas["offer"] == row["id"])
        offer = {k: v for k, v in row.items() if k in OFFER_FIELDS}
        offer["code"] = row["id"]
        if not (offer.get("name_nb") or offer.get("name_en")):  # a bundle with one name column
            offer[f"name_{guess_language(row['name'])}"] = row["name"]
        for field_name in ("study_places", "candidates"):
            if offer.get(field_name) is not None:
                offer[field_name] = round(offer[field_name])
        offer["areas"] = [(a["area"], a["weight"]) for a in own.iter_rows(named=True)]
        by_institution.setdefault(row["institution"], []).append(offer)
    return by_institution


def _institutions(inputs: Any, summary: DemoSummary) -> dict[str, Any]:
    """Education institutions, one organisation per institution name of the offers."""
    from battkomp.organisations.models import OrganisationKind

    institutions: dict[str, Any] = {}
    for row in inputs["education_offers"].iter_rows(named=True):
        name = row["institution"]
        if name not in institutions:
            data = {"kind": OrganisationKind.EDUCATION, "county": _county(row["region"])}
            institutions[name] = _organisation(name, data, "synthetic" in name.lower(), summary)
    return institutions


def _offers(inputs: Any, institutions: Mapping[str, Any], user: User, summary: DemoSummary) -> None:
    from battkomp.offers.actions import do_upsert_offers
    from battkomp.offers.models import Offer

    for name, rows in _offer_rows(inputs).items():
        # Only offers that are missing: an offer edited since the demo was loaded stays as it is.
        missing = [r for r in rows if not Offer.objects.filter(code=r["code"]).exists()]
        if missing:
            counts = do_upsert_offers(institutions[name], user, missing)
            summary.add("offers", counts["created"])


def _accounts(
    orgs: Mapping[str, Any], institutions: Mapping[str, Any], summary: DemoSummary
) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from battkomp.accounts.actions import do_create_user

    User = get_user_model()
    users: dict[str, Any] = {}
    for account in DEMO_ACCOUNTS:
        org = None
        if account.organisation:
            org = orgs.get(account.organisation) or institutions.get(account.organisation)
        user = User.objects.filter(username=account.email).first()
        if user is None:
            user = do_create_user(
                account.email, DEMO_PASSWORD, account.role, org, name=account.name, language="nb"
            )
            summary.add("accounts")
        users[account.email] = user
        summary.accounts.append((account, DEMO_PASSWORD, org.name if org else ""))
    return users


def _survey(
    inputs: Any,
    orgs: Mapping[str, Any],
    users: Mapping[str, Any],
    today: date,
    summary: DemoSummary,
) -> None:
    from battkomp.survey.actions import (
        do_create_round,
        do_invite_organisations,
        do_open_round,
        do_save_response,
        do_submit_response,
    )
    from battkomp.survey.models import Participant, ParticipantStatus, Round, RoundStatus

    analyst = users["analyst@battkomp.example"]
    first, last = DEMO_ROUND_YEARS
    rnd = Round.objects.filter(name=DEMO_ROUND_NAME).order_by("pk").first()
    if rnd is None:
        rnd = do_create_round(
            analyst,
            name=DEMO_ROUND_NAME,
            first_year=first,
            last_year=last,
            opens_on=today - timedelta(days=30),
            deadline=today + timedelta(days=90),
        )
        do_open_round(rnd, analyst)
        summary.add("survey rounds")
    if rnd.status != RoundStatus.OPEN:
        return  # an analyst has closed the demo round since: its answers stay as they are
    needs = inputs["survey_needs"]
    codes = sorted(set(needs["organisation"].to_list()))
    invited = do_invite_organisations(rnd, [orgs[c] for c in codes], analyst)
    summary.add("participants", len(invited))
    respondent_of = {
        a.organisation: users[a.email] for a in DEMO_ACCOUNTS if a.role == "respondent"
    }
    for code in codes:
        participant = Participant.objects.get(round=rnd, organisation=orgs[code])
        if participant.status == ParticipantStatus.SUBMITTED:
            continue
        own = needs.filter(needs["organisation"] == code).sort("year", "role", "level", "area")
        lines = [
            {
                "role": r["role"],
                "level": r["level"],
                "area": r["area"],
                "year": r["year"],
                "new_hires": round(r["new_hires"]),
                "total_staff": round(r["total_staff"]),
                "facility": r.get("facility") or None,
            }
            for r in own.iter_rows(named=True)
            if first <= r["year"] <= last
        ]
        general = {
            "access_is_challenge": code != _NOT_A_CHALLENGE,
            "comments": "Synthetic demo answer from a fictional company.",
        }
        # Who answers: the company's demo respondent, else the secretariat on its behalf. As a
        # person would: the first year, then everything, then submit (three revisions).
        user = respondent_of.get(code, analyst)
        first_year = [line for line in lines if line["year"] == first]
        do_save_response(participant, user, lines=first_year, general=general)
        do_save_response(participant, user, lines=lines, general=general)
        do_submit_response(participant, user)
        summary.add("submitted responses")


def load_demo(today: date | None = None) -> DemoSummary:
    """Fill the database with the demo data and accounts; safe to run again (adds what is missing).

    Returns what was created this time and the demo logins.
    """
    from django.db import transaction
    from django.utils import timezone

    from battkomp.engine.bundle import demo_bundle_path, load_inputs

    day = today or timezone.localdate()
    inputs = load_inputs(demo_bundle_path(), scenario=None)
    summary = DemoSummary()
    with transaction.atomic():
        orgs = _organisations(inputs, summary)
        _facilities(inputs, orgs, day, summary)
        institutions = _institutions(inputs, summary)
        users = _accounts(orgs, institutions, summary)
        _offers(inputs, institutions, users[DEMO_ACCOUNTS[0].email], summary)
        _survey(inputs, orgs, users, day, summary)
        _scenarios(summary)
        _measures(inputs, summary)
        _routing(users, summary)
    return summary


def _routing(users: dict[str, Any], summary: DemoSummary) -> None:
    """A small routing table for the contact form: survey and results questions to the analyst,
    everything else to the inquiry handler (the default rule)."""
    from battkomp.contact.models import RoutingRule, Topic

    analyst = users["analyst@battkomp.example"]
    handler = users["handler@battkomp.example"]
    rules = (
        ("Spørsmål om kartleggingen", "Survey questions", 10, Topic.SURVEY, "", analyst, False),
        (
            "Resultater, data og modellen",
            "Results, data and the model",
            20,
            Topic.RESULTS,
            "",
            analyst,
            False,
        ),
        ("Utdanningstilbud", "Education offers", 30, Topic.EDUCATION, "", handler, False),
        ("Alt annet", "Everything else", 100, "", "", handler, True),
    )
    for name_nb, name_en, priority, topic, keywords, owner, is_default in rules:
        _rule, created = RoutingRule.objects.get_or_create(
            name_en=name_en,
            defaults={
                "name_nb": name_nb,
                "priority": priority,
                "topic": topic,
                "keywords": keywords,
                "owner": owner,
                "is_default": is_default,
            },
        )
        summary.add("routing rules", int(created))


def _measures(inputs: Any, summary: DemoSummary) -> None:
    """The demo bundle's fictional measures and real research and test infrastructure."""
    from battkomp.measures.demo import load_demo_infrastructure, load_demo_measures

    summary.add("measures", load_demo_measures(inputs))
    summary.add("infrastructure", load_demo_infrastructure())


def _scenarios(summary: DemoSummary) -> None:
    """The demo bundle's low / mid / high scenarios on the platform, if it has none yet."""
    from battkomp.analysis.runs.actions import do_load_demo_scenarios

    summary.add("scenarios", do_load_demo_scenarios())


def publish_demo_snapshot(summary: DemoSummary) -> None:
    """A first published snapshot (scenario mid, 200 draws), so the public pages, the dashboard
    and the report of ``battkomp demo`` have something to show; only if nothing is published
    yet. (Not part of :func:`load_demo`, which leaves the run history empty.)"""
    from django.contrib.auth import get_user_model

    from battkomp.analysis.models import Publication, RunStatus, Scenario
    from battkomp.analysis.publishing.actions import do_publish_run
    from battkomp.analysis.runs.actions import do_create_run, do_execute_run

    if Publication.objects.exists():
        return
    analyst = get_user_model().objects.get(username="analyst@battkomp.example")
    run = do_create_run(
        analyst, scenario=Scenario.objects.filter(name="mid").first(), draws=200, seed=0
    )
    run = do_execute_run(run)
    if run.status != RunStatus.DONE:
        return
    do_publish_run(
        run,
        analyst,
        title_nb="Kompetansebehov i batteriindustrien (demo, utbygging som planlagt)",
        title_en="Competence needs in the battery industry (demo, build-out as planned)",
        note_nb="Demodata: svarene i kartleggingen kommer fra oppdiktede bedrifter.",
        note_en="Demo data: the survey answers come from fictional companies.",
    )
    summary.add("publications")


def logins_text(summary: DemoSummary) -> str:
    lines = ["Demo logins (every password is the same):"]
    width = max((len(a.email) for a, _p, _o in summary.accounts), default=20)
    for account, password, organisation in summary.accounts:
        where = f"  ({organisation})" if organisation else ""
        lines.append(f"  {account.title:<22} {account.email:<{width}}  {password}{where}")
    return "\n".join(lines)


def run_demo(data_dir: Path | None, port: int, serve: bool) -> int:
    """``battkomp demo``: migrate the SQLite database in the data folder, load the demo, serve."""
    from battkomp.site.serving import default_workers, run_gunicorn, setup_django

    # The demo always uses the embedded database, whatever DATABASE_URL says.
    os.environ.pop("DATABASE_URL", None)
    # Links in e-mails (invitations, reminders, answers) point at the port served, unless the
    # site's address is set.
    os.environ.setdefault("BATTKOMP_SITE_URL", f"http://127.0.0.1:{port}")
    setup_django(data_dir, "development")
    from django.conf import settings
    from django.core.management import call_command

    click.echo(f"Database: {settings.DATABASES['default']['NAME']}")
    call_command("migrate", interactive=False, verbosity=0)
    summary = load_demo()
    publish_demo_snapshot(summary)
    created = summary.created_text()
    click.echo(f"Demo data: {'added ' + created if created else 'already loaded'}.")
    address = f"http://127.0.0.1:{port}/"
    click.echo("")
    click.echo(f"battkomp demo: {address}  (English: {address}en/, admin: {address}admin/)")
    click.echo(logins_text(summary))
    click.echo("The survey answers in the demo come from FICTIONAL companies.")
    if not serve:
        return 0
    from battkomp.worker.process import start_worker, stop_worker

    click.echo("Serving with gunicorn, with a task worker beside it; stop both with Ctrl-C.")
    sys.stdout.flush()
    worker = start_worker()
    try:
        return run_gunicorn(f"127.0.0.1:{port}", workers=default_workers())
    finally:
        stop_worker(worker)
