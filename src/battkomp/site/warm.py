"""What a server process loads once, done before it takes its first request.

Django loads much of a site lazily, on the first request a process serves: the URL
configuration (and with it the API's modules, its pydantic schemas and django-ninja's routers),
each language's translation catalogues and the URL patterns' reverse tables. Measured on a
gunicorn worker: the first request, even a page served whole from the cache, took 0.5 s of CPU
(0.9 s in a test-client process), the next ones 1-2 ms. After a server (re)start every worker
paid that on a visitor's request, and the load benchmark charged it to whichever case came
first, the home page (docs/performance.md). :func:`warm_process` does it when the WSGI
application is loaded (:mod:`battkomp.site.wsgi`), so in each worker before it accepts a
connection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.urls import get_resolver, resolve, reverse
from django.utils import translation


def warm_process() -> None:
    """Import the URL configuration and load, for every language, its catalogues and the
    reverse tables; no database query, no request."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URL configuration (the API with it)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            # any lookup loads the language's catalogues; a variable, not a literal, so that
            # the catalogue gets no message of its own for it
            translation.gettext(code)
            home = reverse("home")  # builds the language's reverse tables
            resolve(home)
    # nothing above should have opened a connection; if something did, the worker's request
    # threads open their own
    connections.close_all()
