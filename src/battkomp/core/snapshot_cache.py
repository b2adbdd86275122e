"""The cache of published snapshots' pages, charts, downloads and reports.

A publication never changes once it is made (its tables cannot be altered or deleted), so what
is built from it can be kept for good, in the cache that every worker process shares (files in
the data folder by default, Redis when ``BATTKOMP_CACHE_URL`` is set; see settings.py). Keys
name the publication by its id *and* its publication time, so a database restored or rebuilt
with other snapshots under the same numbers never meets an old entry.

Pages are cached without the site's frame (header, menus, the language form and its CSRF token,
which differ per visitor): a view caches the HTML of its content and renders it into the frame
on every request, which costs little.

An anonymous visitor's page is cached whole, gzip-compressed once when it is stored, and sent
compressed to every client that accepts gzip (every browser): a cached dashboard is half a
megabyte of HTML (its charts are inline SVG), which the server would otherwise read back from
the cache and decompress on every request, and send ten times larger. Such a page is the same
for everyone and holds no secret (no CSRF token, no session), so compressing it gives nothing
away (BREACH needs a secret in a compressed response).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

T = TypeVar("T")

#: Bump when what is cached changes shape (a new release with other pages or tables).
VERSION = 6

#: A client that accepts gzip (as Django's GZipMiddleware reads ``Accept-Encoding``).
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def snapshot_key(publication: Any, kind: str, *parts: object) -> str:
    """A cache key for something built from ``publication``: its id and publication time, the
    kind of thing, the active language and ``parts`` (e.g. the query's filters). The release
    (battkomp's version) is part of it too, so a new release never serves an old page.

    ``publication`` may be None: a page that shows the latest snapshot, with none published
    yet (the home page)."""
    from battkomp import __version__

    pk = publication.pk if publication is not None else "none"
    published_at = publication.published_at if publication is not None else None
    stamp = published_at.timestamp() if published_at else 0
    raw = "\x1f".join(
        [str(VERSION), __version__, str(pk), f"{stamp:.6f}", kind, get_language() or ""]
        + [str(p) for p in parts]
    )
    return f"snapshot:{pk}:{kind}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def query_part(params: Iterable[tuple[str, Any]]) -> str:
    """A canonical form of query parameters (sorted, empty values left out)."""
    return "&".join(f"{k}={v}" for k, v in sorted(params) if v not in (None, ""))


def cached(key: str, build: Callable[[], T]) -> T:
    """The value under ``key``, built and stored (for good) on the first request."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=None)
    return value  # type: ignore[no-any-return]


#: The latest publication, as the home page names it (see :func:`latest_publication`).
LATEST_KEY = "site:latest-publication"
#: How long the latest publication is kept at most: a publication forgets it when it is saved
#: and committed, so this only bounds the rare case of a process that read the old one just
#: before a publication was committed and stored it just after.
LATEST_TIMEOUT = 60


def latest_publication(load: Callable[[], Any]) -> Any:
    """The latest publication (or None), from the shared cache, ``load()``-ed from the database
    on a miss. Saving a publication forgets it (:func:`forget_latest_publication`), so a page
    that shows the latest publication changes the moment one is published, and a cached
    anonymous page costs no database query at all."""
    stored = cache.get(LATEST_KEY)
    if stored is None:
        found = load()
        cache.set(LATEST_KEY, (found,), timeout=LATEST_TIMEOUT)
        return found
    return stored[0]


def forget_latest_publication() -> None:
    cache.delete(LATEST_KEY)


def publication(version: int, load: Callable[[], Any]) -> Any:
    """The publication with this version, from the shared cache (``load()``-ed on a miss; an
    exception from ``load``, e.g. 404, is not cached). A publication is immutable, so the only
    way to change what a version names is to restore another database: kept for
    :data:`LATEST_TIMEOUT` seconds, so such a change shows within a minute."""
    key = f"site:publication:{version}"
    stored = cache.get(key)
    if stored is None:
        found = load()
        cache.set(key, (found,), timeout=LATEST_TIMEOUT)
        return found
    return stored[0]


def anonymous(request: Any) -> bool:
    """A visitor without a session (no session cookie, so no database look-up): the pages such
    a visitor gets are the same for everyone and may be cached whole."""
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def cached_page(request: Any, publication: Any, kind: str, path: str | None = None) -> Any:
    """The cached whole page for an anonymous visitor, or None (not anonymous, or not yet):
    gzip-compressed for a client that accepts it, else as it is (a second entry, made from the
    first the first time such a client asks). ``path``: what names the page in the key (default
    the full path with its query; a page that ignores its query passes ``request.path``, so
    made-up queries cannot fill the cache)."""
    from django.http import HttpResponse

    if not anonymous(request):
        return None
    path = request.get_full_path() if path is None else path
    key = snapshot_key(publication, "page", kind, path)
    gzipped = bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    stored = cache.get(key if gzipped else f"{key}:identity")
    if stored is None and not gzipped:
        compressed = cache.get(key)
        if compressed is not None:
            stored = (gzip.decompress(compressed[0]), compressed[1])
            cache.set(f"{key}:identity", stored, timeout=None)
    if stored is None:
        return None
    content, content_type = stored
    response = HttpResponse(content, content_type=content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def whole_page(
    request: Any, publication: Any, kind: str, build: Callable[[], Any], path: str | None = None
) -> Any:
    """For an anonymous visitor, the page (status 200 only) from the cache, built with ``build``
    (a response) the first time and stored gzip-compressed; for everyone else, ``build()``.
    ``path`` as for :func:`cached_page`."""
    if not anonymous(request):
        return build()
    path = request.get_full_path() if path is None else path
    hit = cached_page(request, publication, kind, path)
    if hit is not None:
        return hit
    key = snapshot_key(publication, "page", kind, path)
    response = build()
    if response.status_code == 200 and not response.cookies:
        compressed = gzip.compress(response.content, compresslevel=6, mtime=0)
        cache.set(key, (compressed, response["Content-Type"]), timeout=None)
        return cached_page(request, publication, kind, path) or response
    return response


def warm_pages(paths: Iterable[str]) -> dict[str, int]:
    """Request ``paths`` as an anonymous visitor would, through the site's whole middleware
    stack but without a network, so that each page is built and stored in the cache before the
    first real visitor asks for it (:func:`whole_page`): a cold dashboard takes seconds to build,
    over 30 s under load. Each path carries its language (``/en/...``), as the visitor's does.
    Returns each path's status (200 when it is now cached). The active language is kept."""
    import io
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.core.handlers.base import BaseHandler
    from django.core.handlers.wsgi import WSGIRequest
    from django.utils import translation

    site = urlsplit(settings.SITE_URL)
    scheme = site.scheme or "http"
    host = site.hostname or "127.0.0.1"
    port = str(site.port or (443 if scheme == "https" else 80))
    handler = BaseHandler()
    handler.load_middleware()
    statuses: dict[str, int] = {}
    with translation.override(get_language()):  # the handler activates each page's language
        for path in paths:
            request = WSGIRequest(
                {
                    "REQUEST_METHOD": "GET",
                    "PATH_INFO": path,
                    "SCRIPT_NAME": "",
                    "QUERY_STRING": "",
                    "SERVER_NAME": host,
                    "SERVER_PORT": port,
                    "SERVER_PROTOCOL": "HTTP/1.1",
                    "HTTP_HOST": site.netloc or host,
                    "HTTP_ACCEPT_ENCODING": "gzip",
                    "REMOTE_ADDR": "127.0.0.1",
                    "wsgi.url_scheme": scheme,
                    "wsgi.input": io.BytesIO(b""),
                    "wsgi.errors": io.StringIO(),
                }
            )
            # not response.close(): it sends request_finished, which would close the caller's
            # database connection (the publish task's, or a test's transaction)
            statuses[path] = handler.get_response(request).status_code
    return statuses
