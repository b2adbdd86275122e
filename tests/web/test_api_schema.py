"""The API's OpenAPI schema, its server-rendered docs page, and docs/api.md: every operation is
in the schema, on the page and in the documentation, and nothing loads from the network."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"

OPERATIONS = {
    ("GET", "/api/organisations"),
    ("GET", "/api/organisations/{organisation_id}"),
    ("GET", "/api/facilities"),
    ("GET", "/api/facilities/{facility_id}"),
    ("POST", "/api/facilities/{facility_id}/plans"),
    ("GET", "/api/rounds"),
    ("GET", "/api/rounds/{round_id}/participants"),
    ("GET", "/api/responses/{participant_id}"),
    ("PUT", "/api/responses/{participant_id}"),
    ("POST", "/api/responses/{participant_id}/submit"),
    ("GET", "/api/offers"),
    ("POST", "/api/offers"),
    ("GET", "/api/offers/{offer_id}"),
    ("PUT", "/api/offers/{offer_id}"),
    ("DELETE", "/api/offers/{offer_id}"),
    ("GET", "/api/publications"),
    ("GET", "/api/publications/{version}"),
    ("GET", "/api/publications/{version}/tables/{name}"),
    ("GET", "/api/pathways"),
    ("GET", "/api/pathways/{code}"),
    ("GET", "/api/measures"),
    ("POST", "/api/measures"),
    ("GET", "/api/measures/{measure_id}"),
    ("POST", "/api/measures/{measure_id}/status"),
    ("GET", "/api/infrastructure"),
}
PUBLIC = {
    ("GET", "/api/offers"),
    ("GET", "/api/offers/{offer_id}"),
    ("GET", "/api/publications"),
    ("GET", "/api/publications/{version}"),
    ("GET", "/api/publications/{version}/tables/{name}"),
    ("GET", "/api/pathways"),
    ("GET", "/api/pathways/{code}"),
    ("GET", "/api/measures"),
    ("GET", "/api/infrastructure"),
}


@pytest.fixture
def schema(db, client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def operations_of(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_the_schema_is_openapi_3_with_every_operation(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "battkomp API"
    assert operations_of(schema) == OPERATIONS


def test_every_reference_in_the_schema_resolves(schema):
    components = schema["components"]["schemas"]
    for ref in refs(schema):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[-1] in components, ref


def test_every_operation_has_a_unique_id_a_summary_and_responses(schema):
    seen = set()
    for item in schema["paths"].values():
        for op in item.values():
            assert op["operationId"] not in seen
            seen.add(op["operationId"])
            assert op["summary"]
            assert op["description"]
            assert op["responses"]


def test_only_the_offer_and_snapshot_reads_are_public_and_the_rest_accept_token_or_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    assert schemes["SessionAuth"]["in"] == "cookie"
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if (method.upper(), path) in PUBLIC:
                assert "security" not in op
            else:
                assert op["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
                assert "401" in op["responses"]
                assert "404" in op["responses"]


def test_writes_document_their_validation_errors(schema):
    for method, path in OPERATIONS:
        if method in {"POST", "PUT"}:
            assert "422" in schema["paths"][path][method.lower()]["responses"], (method, path)


def test_the_docs_page_lists_every_operation_without_loading_anything_from_outside(
    db, client, schema
):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    for method, path in OPERATIONS:
        assert f"{method} {path}" in html
    assert "<script" not in html
    # Every stylesheet, script or image is served by the site itself.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    assert "/api/openapi.json" in html


def test_the_docs_page_is_in_the_visitors_language(db, client):
    html = client.get("/api/docs", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Endpoints" in html


def test_docs_api_md_documents_every_operation(schema):
    """Fails when an API path is added without documentation (as datasette does)."""
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(
        f"{method} {path}"
        for method, path in operations_of(schema)
        if f"`{method} {path}`" not in text
    )
    assert not missing, f"docs/api.md does not document: {missing}"


def test_docs_api_md_documents_the_token_page_and_the_schema(db):
    text = DOC.read_text(encoding="utf-8")
    for needle in ("/api/tokens/", "/api/openapi.json", "/api/docs", "Authorization: Bearer"):
        assert needle in text


def test_openapi_json_is_the_bytes_ninjas_own_view_would_send(client) -> None:
    """The schema is encoded once per process; what is served is what ninja would encode."""
    from ninja.responses import Response

    from battkomp.api.api import api

    first = client.get("/api/openapi.json")
    second = client.get("/api/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/json"
    assert first.content == second.content
    assert first.content == Response(api.get_openapi_schema(path_params={})).content


#: Properties of the public answers that hold a code (a level, area, status ...): each has a
#: ``<property>_name`` beside it; a list of codes has its list of names.
CODE_PROPERTIES = {
    "level",
    "target_level",
    "usual_level",
    "area",
    "region",
    "kind",
    "mode",
    "status",
    "lever",
    "horizon",
    "commandment",
}
CODE_LISTS = {"areas": "area_names", "covers": "covers_names", "uncovered": "uncovered_names"}


def response_models(schema: dict[str, Any], node: Any, seen: set[str]) -> list[str]:
    """The names of the component schemas ``node`` refers to, and theirs in turn."""
    found: list[str] = []
    for ref in refs(node):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            found.append(name)
            found += response_models(schema, schema["components"]["schemas"][name], seen)
    return found


def test_every_code_in_a_public_answer_has_its_name_beside_it(schema):
    """The public reads (offers, measures, infrastructure, publications, pathways) name every
    code in the caller's language, next to the code (docs/api.md, "Names beside codes")."""
    seen: set[str] = set()
    models = []
    for method, path in PUBLIC:
        responses = schema["paths"][path][method.lower()]["responses"]
        models += response_models(schema, responses.get("200", {}), seen)
    assert {"OfferOut", "MeasureOut", "InfrastructureOut", "PathwayOut"} <= set(models)
    problems = []
    for name in models:
        properties = schema["components"]["schemas"][name].get("properties", {})
        for prop in properties:
            if prop in CODE_PROPERTIES and f"{prop}_name" not in properties:
                problems.append(f"{name}.{prop} has no {prop}_name")
            codes = properties[prop].get("items", {}).get("type") == "string"
            if prop in CODE_LISTS and codes and CODE_LISTS[prop] not in properties:
                problems.append(f"{name}.{prop} has no {CODE_LISTS[prop]}")
            if prop.endswith("_name") and prop.removesuffix("_name") in CODE_PROPERTIES:
                assert "language" in properties[prop].get("description", ""), (name, prop)
    assert not problems, problems
    assert "Names beside codes" in DOC.read_text(encoding="utf-8")
