"""The language of a request outside the pages' language prefixes.

Pages live under ``i18n_patterns``: bokmål at ``/...``, English at ``/en/...``. With
``prefix_default_language=False`` Django gives every address without a language prefix the
default language, also the addresses outside ``i18n_patterns`` (the API under ``/api/``, its
documentation, ``/i18n/setlang/``), so an API client asking for English with ``Accept-Language``
would get bokmål. :class:`LocaleMiddleware` lets the visitor choose there: the language cookie,
then ``Accept-Language``, then bokmål. Pages under ``i18n_patterns`` behave exactly as before.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation


def outside_i18n_patterns(path: str, urlconf: str | None = None) -> bool:
    """True when ``path`` belongs to a route outside ``i18n_patterns`` (e.g. ``/api/...``)."""
    rest = path.lstrip("/")
    for pattern in get_resolver(urlconf).url_patterns:
        if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern):
            continue
        if pattern.pattern.match(rest):
            return True
    return False


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's middleware, but addresses outside ``i18n_patterns`` follow the visitor."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if translation.get_language_from_path(request.path_info) is None and (
            outside_i18n_patterns(request.path_info, urlconf)
        ):
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
