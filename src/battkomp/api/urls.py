"""/api/: the OpenAPI API (django-ninja), its schema and docs, and the token page.

The ninja API's own routes (operations, ``openapi-json``, ``openapi-view``) share the ``api``
namespace with the token page.
"""

from django.urls import path

from battkomp.api import views
from battkomp.api.api import api

app_name = "api"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="token_revoke"),
    *api.urls[0],
]
