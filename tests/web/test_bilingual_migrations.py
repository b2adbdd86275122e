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
