"""The API never answers 500 to bad input and never answers a status it does not declare.

schemathesis generates requests from /api/openapi.json (a bounded, seeded number of examples per
operation, both requests that fit the schema and requests that break it: values out of range,
wrong types, missing fields) and sends them through
the WSGI application, once anonymously and once with an analyst's bearer token. The gate: no
response with a 5xx status, and every status is one the operation declares.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from battkomp.api.actions import do_create_token
from battkomp.site.wsgi import application

#: Examples per operation and persona: enough to reach the edges of each parameter (hypothesis
#: tries boundary values first), few enough to keep the two runs short.
EXAMPLES = 6


@pytest.fixture
def data(world) -> dict[str, Any]:
    """Something of each kind for the operations to find: a round with a participant."""
    from battkomp.survey.actions import do_create_round, do_invite_organisations, do_open_round

    round_ = do_create_round(
        None,
        name="Fuzz round",
        first_year=2026,
        last_year=2028,
        opens_on=dt.date(2026, 1, 5),
        deadline=dt.date(2026, 3, 1),
    )
    do_open_round(round_, None)
    do_invite_organisations(round_, [world.company_a], None)
    return {"round": round_}


def _fuzz(headers: dict[str, str]) -> list[str]:
    # As Django's test client does: the test's database connection must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        problems: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 20
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _check_operation(operation, mode, headers, problems)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return sorted(set(problems))


def _content_type(response: Any) -> str:
    headers = {k.lower(): v for k, v in response.headers.items()}
    value = headers.get("content-type", "")
    return str(value[0] if isinstance(value, list | tuple) else value)


def _check_operation(
    operation: Any, mode: GenerationMode, headers: dict[str, str], problems: list[str]
) -> None:
    declared = set(operation.definition.raw["responses"])
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        where = f"{case.method} {case.formatted_path} {case.query or ''}"
        if response.status_code >= 500:
            problems.append(f"{response.status_code} on {where}")
        elif str(response.status_code) not in declared and "default" not in declared:
            problems.append(
                f"undeclared {response.status_code} on {where} (declared: {sorted(declared)})"
            )
        elif response.status_code >= 400 and not _content_type(response).startswith(
            "application/json"
        ):
            problems.append(f"non-JSON error {response.status_code} on {where}")

    try:
        check()
    except Unsatisfiable:
        # nothing in this operation can be made invalid (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE


def test_anonymous_callers_get_no_server_errors_and_no_undeclared_statuses(data) -> None:
    assert _fuzz({}) == []


def test_a_token_holder_gets_no_server_errors_and_no_undeclared_statuses(world, data) -> None:
    _token, key = do_create_token(world.users["analyst"], "fuzz")
    assert _fuzz({"Authorization": f"Bearer {key}"}) == []
