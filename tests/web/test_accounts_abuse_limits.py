"""Per-address limits behind a reverse proxy, and the rate limit on password-reset e-mails."""

from __future__ import annotations

from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from battkomp.accounts.models import ResetRequest
from battkomp.core.client import client_ip


def _request(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(_request("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


@override_settings(BATTKOMP_TRUSTED_PROXIES=["10.0.0.1", "10.0.0.2"])
def test_behind_a_trusted_proxy_the_forwarded_client_counts():
    assert client_ip(_request("10.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # the right-most address that is not a proxy: what the client wrote itself is ignored
    assert client_ip(_request("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"
    # only proxies in the chain, or no header: the proxy itself
    assert client_ip(_request("10.0.0.1", "10.0.0.2")) == "10.0.0.1"
    assert client_ip(_request("10.0.0.1")) == "10.0.0.1"
    # a malformed header is not guessed from
    assert client_ip(_request("10.0.0.1", "not-an-ip")) == "10.0.0.1"
    # a direct connection from elsewhere: its own address, whatever the header says
    assert client_ip(_request("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


@override_settings(BATTKOMP_TRUSTED_PROXIES=["10.0.0.1"], BATTKOMP_LOGIN_ATTEMPTS=2)
def test_the_login_throttle_counts_each_visitor_behind_the_proxy(world):
    url = reverse("accounts:login")
    for email in ("x1@x.test", "x2@x.test"):
        Client().post(
            url,
            {"email": email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    blocked = Client().post(
        url,
        {"email": "x3@x.test", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert blocked.status_code == 429
    other = Client().post(
        url,
        {"email": "x4@x.test", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert other.status_code == 200


@override_settings(BATTKOMP_RESET_PER_EMAIL=2)
def test_reset_mails_to_one_address_are_limited_without_revealing_it(world, mailoutbox):
    url = reverse("accounts:password_reset")
    for n in range(4):
        response = Client().post(url, {"email": "a@cellco.test"}, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 2
    assert ResetRequest.objects.filter(email="a@cellco.test").count() == 4


@override_settings(BATTKOMP_RESET_PER_ADDRESS=3)
def test_too_many_resets_from_one_address_are_refused_in_the_visitors_language(world, mailoutbox):
    url = reverse("accounts:password_reset")
    for n in range(3):
        Client().post(url, {"email": f"p{n}@x.test"}, REMOTE_ADDR="192.0.2.9")
    refused = Client().post(url, {"email": "a@cellco.test"}, REMOTE_ADDR="192.0.2.9")
    assert refused.status_code == 429
    assert "For mange forespørsler" in refused.content.decode()
    assert mailoutbox == []
    english = Client().post("/en" + url, {"email": "a@cellco.test"}, REMOTE_ADDR="192.0.2.9")
    assert english.status_code == 429
    assert "Too many requests from your address" in english.content.decode()
    # another address is not affected
    ok = Client().post(url, {"email": "a@cellco.test"}, REMOTE_ADDR="192.0.2.10")
    assert ok.status_code == 302
    assert len(mailoutbox) == 1
