"""/api/: the OpenAPI API (django-ninja), its schema and docs, and the token page.

The ninja API's own routes (operations, ``openapi-json``, ``openapi-view``) share the ``api``
namespace with the token page.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from battkomp.api import views
from battkomp.api.api import api


def openapi_json(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """``openapi.json``: what ninja's own view answers, from bytes encoded once per process."""
    return HttpResponse(api.openapi_bytes(path_params=kwargs), content_type="application/json")


app_name = "api"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="token_revoke"),
    path(api.openapi_url.lstrip("/"), openapi_json, name="openapi-json"),
    *[p for p in api.urls[0] if getattr(p, "name", None) != "openapi-json"],
]
