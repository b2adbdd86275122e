"""URL routes: each app owns its own prefix."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("battkomp.api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("battkomp.accounts.urls")),
    path("organisations/", include("battkomp.actors.urls")),
    path("survey/", include("battkomp.survey.urls")),
    path("offers/", include("battkomp.offers.urls")),
    path("analysis/", include("battkomp.analysis.urls")),
    path("exchange/", include("battkomp.exchange.urls")),
    path("", include("battkomp.public.urls")),
    prefix_default_language=False,
)
