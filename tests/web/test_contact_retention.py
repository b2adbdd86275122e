"""Client addresses are kept only as long as the retention says (never shorter than the
rate-limit window): ``purge_inquiry_addresses`` and every run of ``send_inquiry_mail`` clear the
older ones, the inquiries stay, and the rate limit keeps working."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from battkomp.contact import conf
from battkomp.contact.actions import do_purge_client_addresses, do_submit_inquiry
from battkomp.contact.models import Inquiry
from web.contact_support import contact_data


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def inquiry(days_old: float, ip: str | None = "192.0.2.10", **kw) -> Inquiry:
    made = do_submit_inquiry(
        name="Kari",
        email=kw.pop("email", "kari@example.org"),
        topic="other",
        message="Hei!",
        client_ip=ip,
        send=False,
    )
    when = timezone.now() - dt.timedelta(days=days_old)
    Inquiry.objects.filter(pk=made.pk).update(created_at=when)
    made.refresh_from_db()
    return made


def addresses() -> dict[int, str | None]:
    return dict(Inquiry.objects.values_list("pk", "client_ip"))


def test_an_old_inquiry_s_address_is_cleared_and_a_recent_one_kept(world):
    old = inquiry(31)
    recent = inquiry(29, ip="2001:db8::1")
    out = run("purge_inquiry_addresses")
    assert "cleared 1 client address(es)" in out
    assert addresses() == {old.pk: None, recent.pk: "2001:db8::1"}
    # The inquiry itself stays, untouched otherwise.
    old.refresh_from_db()
    assert (old.email, old.message) == ("kari@example.org", "Hei!")
    # Idempotent: nothing more to clear.
    assert "cleared 0 client address(es)" in run("purge_inquiry_addresses")
    assert addresses() == {old.pk: None, recent.pk: "2001:db8::1"}


def test_the_retention_setting_decides(world, settings):
    settings.BATTKOMP_INQUIRY_IP_RETENTION_DAYS = 7
    week_old, day_old = inquiry(8), inquiry(1)
    assert do_purge_client_addresses() == 1
    assert addresses() == {week_old.pk: None, day_old.pk: "192.0.2.10"}


def test_a_dry_run_changes_nothing(world):
    old = inquiry(60)
    out = run("purge_inquiry_addresses", "--dry-run")
    assert "dry run: 1 client address(es)" in out
    assert "nothing changed" in out
    assert do_purge_client_addresses(dry_run=True) == 1
    assert addresses() == {old.pk: "192.0.2.10"}


def test_contact_without_an_address_are_not_counted(world):
    inquiry(60, ip=None)
    assert do_purge_client_addresses() == 0


def test_send_inquiry_mail_clears_old_addresses_too(world):
    old, recent = inquiry(45), inquiry(2)
    out = run("send_inquiry_mail", "--dry-run")
    assert "would clear 1 client address(es)" in out
    assert addresses()[old.pk] == "192.0.2.10"
    out = run("send_inquiry_mail")
    assert "cleared 1 client address(es)" in out
    assert addresses() == {old.pk: None, recent.pk: "192.0.2.10"}
    assert "client address" not in run("send_inquiry_mail")  # quiet when nothing is left


@pytest.mark.parametrize(
    ("days", "window", "expected"),
    [
        (30, 3600, dt.timedelta(days=30)),  # the defaults
        (0, 3600, dt.timedelta(hours=1)),  # never shorter than the window ...
        (-5, 7200, dt.timedelta(hours=2)),
        (1, 3 * 86400, dt.timedelta(days=3)),  # ... however long the window is
        (3, 3 * 86400, dt.timedelta(days=3)),
    ],
)
def test_the_retention_is_never_shorter_than_the_rate_limit_window(
    settings, days, window, expected
):
    settings.BATTKOMP_INQUIRY_IP_RETENTION_DAYS = days
    settings.BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = window
    assert conf.ip_retention() == expected


def test_the_default_retention_is_30_days(settings):
    del settings.BATTKOMP_INQUIRY_IP_RETENTION_DAYS  # as in settings.py without the variable
    settings.BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = 3600
    assert conf.ip_retention() == dt.timedelta(days=30)


def test_the_rate_limit_still_works_for_recent_submissions(world, settings):
    settings.BATTKOMP_INQUIRY_IP_RETENTION_DAYS = 0  # as short as allowed: the window
    settings.BATTKOMP_INQUIRY_RATE_LIMIT = 2
    settings.BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = 3600
    client = world.client("anonymous")
    with translation.override("nb"):
        url = reverse("contact:contact")
    for n in range(2):
        data = contact_data(email=f"s{n}@example.org")
        assert client.post(url, data, REMOTE_ADDR="192.0.2.10").status_code == 302
    older = inquiry(2, ip="192.0.2.10", email="old@example.org")
    assert do_purge_client_addresses() == 1  # only the one outside the window
    assert Inquiry.objects.filter(client_ip="192.0.2.10").count() == 2
    older.refresh_from_db()
    assert older.client_ip is None
    third = contact_data(email="s9@example.org")
    assert client.post(url, third, REMOTE_ADDR="192.0.2.10").status_code == 429
    assert client.post(url, third, REMOTE_ADDR="198.51.100.7").status_code == 302
