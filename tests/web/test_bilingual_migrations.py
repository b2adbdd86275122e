"""The migrations that made names bilingual carry existing rows over: a single name becomes the
language it is in (``core.bilingual.guess_language``; bokmål when nothing says English), and
going back puts it in the single field again. Run on SQLite and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migrate() -> Iterator[Callable[[str, str], Any]]:
    """Move one app to a migration; gives the historical apps there. Back to the latest after."""

    def to(app: str, name: str) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate([(app, name)])
        executor.loader.build_graph()
        return executor.loader.project_state([(app, name)]).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_publication_titles_and_notes_move_to_their_language(migrate: Any) -> None:
    old = migrate("analysis", "0003_run_worker_and_inputs")
    run = old.get_model("analysis", "ModelRun").objects.create(scenario_name="mid", draws=1)
    publication = old.get_model("analysis", "Publication")
    now = timezone.now()
    publication.objects.create(run=run, version=1, title="Behov 2026", note="", published_at=now)
    publication.objects.create(
        run=run,
        version=2,
        title="Competence needs in the battery industry",
        note="The first snapshot of the round.",
        published_at=now,
    )
    new = migrate("analysis", "0004_bilingual_titles")
    rows = new.get_model("analysis", "Publication").objects.order_by("version")
    got = [(p.title_nb, p.title_en, p.note_nb, p.note_en) for p in rows]
    assert got == [
        ("Behov 2026", "", "", ""),
        ("", "Competence needs in the battery industry", "", "The first snapshot of the round."),
    ]
    back = migrate("analysis", "0003_run_worker_and_inputs")
    rows = back.get_model("analysis", "Publication").objects.order_by("version")
    assert [(p.title, p.note) for p in rows] == [
        ("Behov 2026", ""),
        ("Competence needs in the battery industry", "The first snapshot of the round."),
    ]


def test_measures_and_infrastructure_move_their_texts_to_their_language(migrate: Any) -> None:
    old = migrate("measures", "0002_horizon_names")
    measure = old.get_model("measures", "Measure")
    common = {"commandment": 4, "horizon": "long", "lever": "educate", "start_year": 2027}
    measure.objects.create(title="Flere fagskoleplasser", description="Fra 2027.", **common)
    measure.objects.create(
        title="Extra places in cell assembly", description="From 2027 on.", **common
    )
    lab = old.get_model("measures", "Infrastructure")
    lab.objects.create(
        name="SINTEF Battery Lab",
        kind="lab",
        region="50",
        description="Opened in 2023 with a dry room for the cells.",
        access_terms="By agreement with SINTEF.",
    )
    new = migrate("measures", "0003_bilingual_names")
    got = [
        (m.title_nb, m.title_en, m.description_nb, m.description_en)
        for m in new.get_model("measures", "Measure").objects.order_by("pk")
    ]
    assert got == [
        ("Flere fagskoleplasser", "", "Fra 2027.", ""),
        ("", "Extra places in cell assembly", "", "From 2027 on."),
    ]
    row = new.get_model("measures", "Infrastructure").objects.get()
    assert (row.name_nb, row.name_en) == ("", "SINTEF Battery Lab")
    assert (row.description_en, row.access_terms_en) == (
        "Opened in 2023 with a dry room for the cells.",
        "By agreement with SINTEF.",
    )
    back = migrate("measures", "0002_horizon_names")
    titles = [m.title for m in back.get_model("measures", "Measure").objects.order_by("pk")]
    assert titles == ["Flere fagskoleplasser", "Extra places in cell assembly"]
    assert back.get_model("measures", "Infrastructure").objects.get().name == "SINTEF Battery Lab"


def test_offer_and_routing_rule_names_move_to_their_language(migrate: Any, world: Any) -> None:
    old = migrate("offers", "0002_offer_version")
    offer = old.get_model("offers", "Offer")
    common = {"kind": "programme", "level": "nkr5", "first_intake": 2024, "region": "32"}
    offer.objects.create(
        institution_id=world.institution.pk, code="a", name="Fagskole i batteriproduksjon", **common
    )
    offer.objects.create(
        institution_id=world.institution.pk,
        code="b",
        name="Bachelor of Engineering, Chemistry (Trondheim)",
        **common,
    )
    new = migrate("offers", "0003_bilingual_names")
    rows = new.get_model("offers", "Offer").objects.order_by("code")
    assert [(o.name_nb, o.name_en) for o in rows] == [
        ("Fagskole i batteriproduksjon", ""),
        ("", "Bachelor of Engineering, Chemistry (Trondheim)"),
    ]
    old = migrate("inquiries", "0002_alter_inquiryevent_action")
    rule = old.get_model("inquiries", "RoutingRule")
    rule.objects.create(name="Everything else", owner_id=world.users["handler"].pk)
    new = migrate("inquiries", "0003_bilingual_rule_names")
    got = new.get_model("inquiries", "RoutingRule").objects.get()
    assert (got.name_nb, got.name_en) == ("", "Everything else")
    back = migrate("inquiries", "0002_alter_inquiryevent_action")
    assert back.get_model("inquiries", "RoutingRule").objects.get().name == "Everything else"
