"""URL routes: each app owns its own prefix. Bokmål pages live at /, English ones at /en/."""

from urllib.parse import urlsplit

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import get_language_from_path, override
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from battkomp.site import views


@csrf_exempt
def set_language_from_any_page(request: HttpRequest) -> HttpResponse:
    """Django's set_language, run in the language of the page the visitor comes from.

    Without a CSRF token: the language form is on every page, and a page an anonymous visitor
    gets must be the same for everyone so that it can be cached whole (a forged request could at
    most switch someone's language; ``next`` is still checked to stay on this site).

    /i18n/setlang/ has no language prefix, so Django would handle it in bokmål and could not
    translate an /en/... address back to bokmål; resolving it in the page's own language can.
    """
    next_url = request.POST.get("next", request.GET.get("next", "")) or "/"
    with override(get_language_from_path(urlsplit(next_url).path) or settings.LANGUAGE_CODE):
        return set_language(request)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for by themselves where a page names no icon (the PDF
    report in their PDF viewer): the site's icon among the static files (``tools/favicon.py``)."""
    response = HttpResponseRedirect(static("battkomp/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/setlang/", set_language_from_any_page, name="set_language"),
    path("api/", include("battkomp.api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("battkomp.accounts.urls")),
    path("organisations/", include("battkomp.organisations.urls")),
    path("survey/", include("battkomp.survey.urls")),
    path("offers/", include("battkomp.offers.urls")),
    path("analysis/", include("battkomp.analysis.urls")),
    path("workbooks/", include("battkomp.workbooks.urls")),
    path("published/", include("battkomp.analysis.publishing.urls")),
    path("measures/", include("battkomp.measures.urls")),
    path("infrastructure/", include("battkomp.measures.infrastructure.urls")),
    path("contact/", include("battkomp.contact.urls")),
    path("pathways/", include("battkomp.pathways.urls")),
    path("glossary/", views.glossary, name="glossary"),
    path("", views.home, name="home"),
    prefix_default_language=False,
)
