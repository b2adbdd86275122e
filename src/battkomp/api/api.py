"""The OpenAPI 3 API under /api/ (django-ninja): one NinjaAPI, its authentication, its error
answers and its documentation, mounting each app's router (``organisations.api``, ``survey.api``,
``offers.api``, ``analysis.publishing.api``, ``measures.api``, ``pathways.api``).

Every operation reads through the apps' ``access_*`` functions and writes through their ``do_*``
actions, exactly as the web pages do, so the API can never show or change more than the pages.
Anonymous callers may only read education offers, published snapshots, retraining pathways, public
measures and the research-infrastructure register (401 elsewhere); an object outside the caller's
access is 404, never 403, so a request cannot learn that it exists.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import NinjaJSONEncoder

from battkomp.analysis.publishing.api import router as publications_router
from battkomp.api.auth import AUTH
from battkomp.api.common import Forbidden, Refused, problems
from battkomp.api.docs import ServerRenderedDocs
from battkomp.api.errors import json_problem, translated
from battkomp.measures.api import infrastructure_router, measures_router
from battkomp.offers.api import offers_router
from battkomp.organisations.api import facilities_router, organisations_router
from battkomp.pathways.api import router as pathways_router
from battkomp.survey.api import responses_router, rounds_router


class BattkompAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """Short ids (``list_offers``) for generated clients, not module paths."""
        return str(operation.view_func.__name__)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        """The schema, built once per process (it is the same for every request: rebuilding it
        cost 60 to 100 ms of CPU a request), with every status an operation can answer
        declared (see :func:`declare_statuses`)."""
        key = (path_prefix, repr(sorted((path_params or {}).items())))
        cached = self._schema_cache.get(key) if hasattr(self, "_schema_cache") else None
        if cached is None:
            schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
            cached = declare_statuses(schema)
            self._schema_cache = {**getattr(self, "_schema_cache", {}), key: cached}
        return cached

    def openapi_bytes(self, path_params: Any = None) -> bytes:
        """``openapi.json`` as the bytes ninja's view would send, encoded once per process
        (encoding the 78 kB schema on every request cost more CPU than serving a cached
        dashboard; docs/performance.md)."""
        key = repr(sorted((path_params or {}).items()))
        encoded: dict[str, bytes] = self.__dict__.setdefault("_openapi_bytes", {})
        if key not in encoded:
            schema = self.get_openapi_schema(path_params=path_params)
            encoded[key] = json.dumps(schema, cls=NinjaJSONEncoder).encode()
        return encoded[key]


def declare_statuses(schema: Any) -> Any:
    """Declare on every operation the statuses the framework answers besides its own: 422 where
    there are parameters or a body (a value out of range or of the wrong type), 400 where there
    is a body (not JSON), 404 where the path names an object."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    from battkomp.api import schemas as s

    for model in (s.Message, s.ValidationErrorOut):
        components.setdefault(
            model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        for name, sub in components[model.__name__].pop("$defs", {}).items():
            components.setdefault(name, sub)
    message = {"$ref": "#/components/schemas/Message"}
    problems = {"$ref": "#/components/schemas/ValidationErrorOut"}

    def declared(description: str, ref: dict[str, str]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": ref}}}

    for path, methods in schema.get("paths", {}).items():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if operation.get("parameters") or "requestBody" in operation:
                responses.setdefault("422", declared("Invalid parameters or body", problems))
            if "requestBody" in operation:
                responses.setdefault("400", declared("The body is not valid JSON", message))
            if "{" in path:
                responses.setdefault("404", declared("Not found", message))
    return schema


api = BattkompAPI(
    title="battkomp API",
    version="1",
    description=(
        gettext_noop(
            "Organisations, facilities, survey rounds, needs, education offers, published "
            "snapshots, retraining pathways, measures and research infrastructure of the "
            "battkomp platform. Machine clients authenticate with `Authorization: Bearer <key>` "
            "(keys are made on /api/tokens/); browsers use their session and send the CSRF "
            "token on unsafe methods. Anonymous callers may only read education offers, "
            "published snapshots, retraining pathways, public measures and the "
            "research-infrastructure register. An object outside the caller's access is 404."
        )
    ),
    urls_namespace="api",
    auth=AUTH,
    docs=ServerRenderedDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

# --- errors --------------------------------------------------------------------------------


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """The schema refused a value: 422 listing each problem with pydantic's ``loc`` and ``type``
    and a ``msg`` in the caller's language naming where (see :mod:`battkomp.api.errors`). The
    API's own refusals (:class:`battkomp.api.common.Refused`) are in that language already."""
    errors = exc.errors if isinstance(exc, Refused) else translated(request, exc.errors)
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals; a body that is not JSON is 400 in the caller's language."""
    detail = str(exc)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        detail = json_problem(exc.__cause__)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": problems(exc, ("body",))}, status=422)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """An id beyond what the database holds names nothing: 404, as for any unknown object."""
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(PermissionError)
def _not_now(request: HttpRequest, exc: PermissionError) -> HttpResponse:
    """An action refused a change the caller may see (e.g. the round is not open): 409."""
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": _("Authentication required: a bearer token or a session.")}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="battkomp"'
    return response


@api.exception_handler(Forbidden)
def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


api.add_router("/organisations", organisations_router)
api.add_router("/facilities", facilities_router)
api.add_router("/rounds", rounds_router)
api.add_router("/responses", responses_router)
api.add_router("/offers", offers_router)
api.add_router("/publications", publications_router)
api.add_router("/measures", measures_router)
api.add_router("/infrastructure", infrastructure_router)
api.add_router("/pathways", pathways_router)
