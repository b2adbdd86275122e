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

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from battkomp.analysis.publishing.api import router as publications_router
from battkomp.api.auth import AUTH
from battkomp.api.common import Forbidden, problems
from battkomp.api.docs import ServerRenderedDocs
from battkomp.measures.api import infrastructure_router, measures_router
from battkomp.offers.api import offers_router
from battkomp.organisations.api import facilities_router, organisations_router
from battkomp.pathways.api import router as pathways_router
from battkomp.survey.api import responses_router, rounds_router


class BattkompAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """Short ids (``list_offers``) for generated clients, not module paths."""
        return str(operation.view_func.__name__)


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


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": problems(exc, ("body",))}, status=422)


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
