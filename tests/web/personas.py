"""The personas of the platform's tests, in one place.

``world`` (a fixture, registered by ``conftest.py``) makes two companies, an education institution,
the secretariat (an analyst and an administrator), an inquiry handler and an anonymous visitor,
each with a logged-in test client. The tuples name them for ``pytest.mark.parametrize``:

- ``PERSONAS``: everyone, the anonymous visitor included;
- ``LOGGED_IN``: everyone with an account;
- ``SECRETARIAT``: the analyst and the administrator, who see every organisation's data;
- ``OUTSIDERS``: the logged-in people who are not the secretariat (company respondents, the
  institution's editor, the inquiry handler).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from battkomp.accounts.actions import do_create_user
from battkomp.core.users import Role
from battkomp.organisations.models import Organisation, OrganisationKind

PASSWORD = "correct-horse-battery-staple"

PERSONAS = ("company_a", "company_b", "institution", "analyst", "admin", "handler", "anonymous")
LOGGED_IN = tuple(p for p in PERSONAS if p != "anonymous")
SECRETARIAT = ("analyst", "admin")
OUTSIDERS = tuple(p for p in LOGGED_IN if p not in SECRETARIAT)


@dataclass
class World:
    company_a: Organisation
    company_b: Organisation
    institution: Organisation
    users: dict[str, object]
    clients: dict[str, Client]

    def client(self, persona: str) -> Client:
        return self.clients[persona]


def make_world() -> World:
    """The organisations and people of the personas, each logged in with a client of their own."""
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
    assert set(users) == set(LOGGED_IN)
    clients: dict[str, Client] = {}
    for name, user in users.items():
        c = Client()
        c.force_login(user)  # type: ignore[arg-type]
        clients[name] = c
    clients["anonymous"] = Client()
    return World(a, b, inst, users, clients)


@pytest.fixture
def world(db: None) -> World:
    return make_world()
