"""The address a request comes from, for per-address limits (login, password reset, inquiries).

``REMOTE_ADDR`` is the peer that opened the connection. Behind a reverse proxy that is the proxy,
so every visitor would share one address and one limit. The proxy puts the real peer into
``X-Forwarded-For``, but a client can write anything into that header itself, so it is only read
when the connection comes from a proxy listed in ``BATTKOMP_TRUSTED_PROXIES``: then the address
is the right-most entry of the header that is not itself a trusted proxy (the left-most entries
are whatever the client claimed).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def trusted_proxies() -> frozenset[str]:
    return frozenset(
        a for a in (_valid(p) for p in getattr(settings, "BATTKOMP_TRUSTED_PROXIES", ())) if a
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, from a trusted proxy, the forwarded one."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    proxies = trusted_proxies()
    if remote is None or remote not in proxies:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        address = _valid(hop)
        if address is None:
            return remote  # a malformed header: do not guess
        if address not in proxies:
            return address
    return remote
