"""What the API answers when its schema refuses a request (issue 15): 422 with pydantic's
machine-readable ``type`` and ``loc``, and a ``msg`` naming where the problem is, in the caller's
language; a body that is not JSON is 400, also in that language, with the line and column."""

from __future__ import annotations

import json
from typing import Any

import pytest

from battkomp.measures.models import Measure
from battkomp.offers.models import Offer
from battkomp.survey.models import Response

from .test_api_write import COMPLETE, line, offer_body, open_participants
from .test_measures_api import BODY as MEASURE


def post(client: Any, method: str, path: str, text: str, lang: str) -> Any:
    """``text`` as the body, as it is (Python's json.dumps writes NaN and Infinity)."""
    return getattr(client, method)(
        path, data=text, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
    )


def only_problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    (problem,) = response.json()["detail"]
    return problem


OFFER_CASES = [
    # (field, value, type, English, bokmål)
    ("first_intake", "2024", "int_type", "first_intake: Enter a whole number", "Oppgi et heltall"),
    ("ects", True, "float_type", "ects: Enter a number", "Oppgi et tall"),
    (
        "completion_rate",
        float("nan"),
        "finite_number",
        "completion_rate: Enter a finite number",
        "Oppgi et endelig tall",
    ),
    ("capture_share", float("inf"), "finite_number", "Enter a finite number", "endelig tall"),
    (
        "completion_rate",
        1.5,
        "less_than_equal",
        "completion_rate: Enter a number no greater than 1.",
        "ikke er større enn 1.",
    ),
    ("capture_share", -0.5, "greater_than_equal", "no less than 0.", "ikke er mindre enn 0."),
    ("name", 5, "string_type", "name: Enter text", "Oppgi tekst"),
    ("areas", "all", "list_type", "areas: Enter a list", "Oppgi en liste"),
]


@pytest.mark.parametrize("lang", ["en", "nb"])
@pytest.mark.parametrize(("field", "value", "kind", "english", "bokmal"), OFFER_CASES)
def test_an_offer_refused_by_the_schema_says_where_and_why_in_the_callers_language(
    world, field, value, kind, english, bokmal, lang
):
    text = json.dumps(offer_body(**{field: value}))
    response = post(world.client("institution"), "post", "/api/offers", text, lang)
    problem = only_problem(response)
    assert problem["type"] == kind
    assert problem["loc"] == ["body", "payload", field]
    assert (english if lang == "en" else bokmal) in problem["msg"]
    assert problem["msg"].startswith(f"{field}: ")
    assert "Input should" not in problem["msg"]
    assert not Offer.objects.exists()


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "lines[0].share_abroad: Enter a finite number"), ("nb", "Oppgi et endelig tall")],
)
def test_a_nan_share_is_not_a_number_above_1(world, lang, words):
    """NaN once read "less than or equal to 1"."""
    participant = open_participants(world)[0]
    body = {**COMPLETE, "lines": [line(2026, share_abroad=float("nan"))]}
    path = f"/api/responses/{participant.pk}"
    response = post(world.client("company_a"), "put", path, json.dumps(body), lang)
    problem = only_problem(response)
    assert problem["type"] == "finite_number"
    assert problem["loc"] == ["body", "payload", "lines", 0, "share_abroad"]
    assert words in problem["msg"]
    assert "less than" not in problem["msg"]
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Query parameter limit: Enter a whole number."),
        ("nb", "Spørreparameteren limit: Oppgi et heltall."),
    ],
)
@pytest.mark.parametrize("path", ["/api/offers", "/api/measures"])
def test_a_query_parameter_that_is_not_a_number(world, path, lang, words):
    response = world.client("anonymous").get(f"{path}?limit=many", HTTP_ACCEPT_LANGUAGE=lang)
    problem = only_problem(response)
    assert problem == {"type": "int_parsing", "loc": ["query", "limit"], "msg": words}


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "title: Enter at most 200 characters."), ("nb", "title: Oppgi høyst 200 tegn.")],
)
def test_a_measure_title_too_long(world, lang, words):
    text = json.dumps({**MEASURE, "title": "x" * 201})
    problem = only_problem(post(world.client("analyst"), "post", "/api/measures", text, lang))
    assert problem["type"] == "string_too_long"
    assert problem["loc"] == ["body", "payload", "title"]
    assert problem["ctx"] == {"max_length": 200}
    assert problem["msg"] == words
    assert not Measure.objects.exists()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "The body is not valid JSON (line 2, column 3)."),
        ("nb", "Forespørselens innhold er ikke gyldig JSON (linje 2, kolonne 3)."),
    ],
)
@pytest.mark.parametrize("path", ["/api/offers", "/api/measures"])
def test_a_body_that_is_not_json_is_400_saying_where(world, path, lang, words):
    response = post(world.client("analyst"), "post", path, '{"name":\n  oops}', lang)
    assert response.status_code == 400
    assert response.json() == {"detail": words}


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "The body must be a JSON object"), ("nb", "må være et JSON-objekt")],
)
@pytest.mark.parametrize("text", ["[]", '"offer"', "12"])
def test_a_body_that_is_not_an_object_is_one_problem_not_every_field_missing(
    world, text, lang, words
):
    problem = only_problem(post(world.client("institution"), "post", "/api/offers", text, lang))
    assert problem["type"] == "model_type"
    assert problem["loc"] == ["body", "payload"]
    assert words in problem["msg"]


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "areas[0].weight: This field is required."), ("nb", "Feltet er påkrevet.")],
)
def test_a_missing_field_in_a_list_is_named_by_its_path(world, lang, words):
    text = json.dumps(offer_body(areas=[{"area": "cell_assembly"}]))
    problem = only_problem(post(world.client("institution"), "post", "/api/offers", text, lang))
    assert problem["type"] == "missing"
    assert problem["loc"] == ["body", "payload", "areas", 0, "weight"]
    assert problem["msg"].startswith("areas[0].weight: ")
    assert words in problem["msg"]


def test_an_empty_body_asks_for_one(world):
    response = post(world.client("institution"), "post", "/api/offers", "", "nb")
    problem = only_problem(response)
    assert problem["type"] == "missing"
    assert problem["loc"] == ["body", "payload"]
    assert "JSON" in problem["msg"]


@pytest.mark.parametrize(("lang", "words"), [("en", "Give the id"), ("nb", "Oppgi id-en")])
def test_the_apis_own_refusals_pass_unchanged(world, lang, words):
    """A refusal the view or an action made is already in the caller's language."""
    text = json.dumps(offer_body())
    problem = only_problem(post(world.client("analyst"), "post", "/api/offers", text, lang))
    assert problem["loc"] == ["body", "institution"]
    assert problem["msg"].startswith(words)
