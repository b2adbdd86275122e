"""Personas for the platform's tests: two companies, an institution, the secretariat, an admin,
an inquiry handler and an anonymous visitor, each with a logged-in test client."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from battkomp.accounts.actions import do_create_user
from battkomp.accounts.models import Role
from battkomp.actors.models import Organisation, OrganisationKind

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    company_a: Organisation
    company_b: Organisation
    institution: Organisation
    users: dict[str, object]
    clients: dict[str, Client]

    def client(self, persona: str) -> Client:
        return self.clients[persona]


PERSONAS = ("company_a", "company_b", "institution", "analyst", "admin", "anonymous")


@pytest.fixture
def world(db: None) -> World:
    a = Organisation.objects.create(
        name="Cellco AS",
        kind=OrganisationKind.COMPANY,
        segments=["cell_manufacturing"],
        county="42",
    )
    b = Organisation.objects.create(
        name="Anodeco AS", kind=OrganisationKind.COMPANY, segments=["active_materials"], county="40"
    )
    inst = Organisation.objects.create(
        name="Fagskolen Demo", kind=OrganisationKind.EDUCATION, county="32"
    )
    users = {
        "company_a": do_create_user("a@cellco.test", PASSWORD, Role.RESPONDENT, a),
        "company_b": do_create_user("b@anodeco.test", PASSWORD, Role.RESPONDENT, b),
        "institution": do_create_user("editor@fagskolen.test", PASSWORD, Role.EDITOR, inst),
        "analyst": do_create_user("analyst@battkomp.test", PASSWORD, Role.ANALYST),
        "admin": do_create_user("admin@battkomp.test", PASSWORD, Role.ADMIN),
        "handler": do_create_user("handler@battkomp.test", PASSWORD, Role.HANDLER),
    }
    clients: dict[str, Client] = {}
    for name, user in users.items():
        c = Client()
        c.force_login(user)  # type: ignore[arg-type]
        clients[name] = c
    clients["anonymous"] = Client()
    return World(a, b, inst, users, clients)


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs in tests: the same algorithm (hashes still start with "argon2"), a
    fraction of the time (Django's defaults take ~0.1-0.5 s per hash, six per `world`)."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    monkeypatch.setattr(Argon2PasswordHasher, "time_cost", 1)
    monkeypatch.setattr(Argon2PasswordHasher, "memory_cost", 64)
    monkeypatch.setattr(Argon2PasswordHasher, "parallelism", 1)


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Start every test in bokmål: a request to /en/... leaves English active in the thread, and
    reverse() in the next test would then give /en/ addresses."""
    from django.utils import translation

    translation.activate("nb")
