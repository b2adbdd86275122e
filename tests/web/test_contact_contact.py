"""The public contact form: what is stored and sent, the sender's language, size limits with
clear errors, the honeypot, and rate limiting per sender address and per client address."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from battkomp.contact import actions
from battkomp.contact.models import (
    MESSAGE_MAX,
    NAME_MAX,
    EventAction,
    Inquiry,
    InquiryStatus,
    MailKind,
    MailStatus,
    OutgoingMail,
)
from web.contact_support import contact_data, rule


def post(client, data, language="nb", ip="192.0.2.10"):
    with translation.override(language):
        url = reverse("contact:contact")
    return client.post(url, data, REMOTE_ADDR=ip)


def test_an_inquiry_is_stored_acknowledged_routed_and_the_owner_told(world):
    rule(world.users["handler"], topic="education", keywords="fagskole*")
    response = post(
        world.client("anonymous"), contact_data(segment="cell_manufacturing", region="42")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("contact:sent")
    inquiry = Inquiry.objects.get()
    assert (inquiry.name, inquiry.email, inquiry.organisation) == (
        "Ola Nordmann",
        "ola@example.org",
        "Nordmann AS",
    )
    assert (inquiry.segment, inquiry.region, inquiry.language) == ("cell_manufacturing", "42", "nb")
    assert (inquiry.status, inquiry.owner) == (InquiryStatus.ASSIGNED, world.users["handler"])
    assert inquiry.client_ip == "192.0.2.10"
    assert [e.action for e in inquiry.events.all()] == [EventAction.RECEIVED, EventAction.ROUTED]
    assert sorted(m.to[0] for m in mail.outbox) == ["handler@battkomp.test", "ola@example.org"]
    assert set(inquiry.mails.values_list("status", flat=True)) == {MailStatus.SENT}
    page = world.client("anonymous").get(response["Location"])
    assert page.status_code == 200


def test_an_inquiry_from_the_english_page_is_answered_in_english(world):
    rule(world.users["handler"], topic="education")
    response = post(world.client("anonymous"), contact_data(), language="en")
    assert response["Location"] == "/en/contact/sent/"
    inquiry = Inquiry.objects.get()
    assert inquiry.language == "en"
    ack = OutgoingMail.objects.get(kind=MailKind.ACKNOWLEDGEMENT)
    assert ack.language == "en"
    with translation.override("en"):
        assert ack.subject == gettext("We have received your inquiry (no. %(n)s)") % {
            "n": inquiry.pk
        }
    # The handler reads the notice in their own language (bokmål), with a bokmål link.
    notice = OutgoingMail.objects.get(kind=MailKind.NOTIFICATION)
    assert notice.language == "nb"
    assert f"/contact/inquiries/{inquiry.pk}/" in notice.body
    assert "/en/contact/" not in notice.body


def test_the_segment_and_region_are_optional_but_must_be_codes(world):
    response = post(world.client("anonymous"), contact_data(segment="dilithium", region="99"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"segment", "region"}
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * (NAME_MAX + 1)),
        ("message", "y" * (MESSAGE_MAX + 1)),
        ("organisation", "z" * 201),
        ("email", "a" * 250 + "@example.org"),
    ],
)
def test_too_long_fields_get_a_clear_error_naming_the_field(world, field, value):
    response = post(world.client("anonymous"), contact_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    message = errors[field][0]
    assert str(len(value)) in message  # says how long it is ...
    assert f'id="id_{field}_errors"' in response.content.decode()  # ... next to the field
    assert not Inquiry.objects.exists()
    assert mail.outbox == []


def test_the_size_limit_error_is_in_the_visitors_language(world):
    for language in ("nb", "en"):
        response = post(
            world.client("anonymous"), contact_data(message="y" * (MESSAGE_MAX + 1)), language
        )
        with translation.override(language):
            expected = gettext(
                "The message can be at most %(limit_value)d characters "
                "(it has %(show_value)d). Shorten it, or send the rest in a second inquiry."
            ) % {"limit_value": MESSAGE_MAX, "show_value": MESSAGE_MAX + 1}
        assert response.context["form"].errors["message"] == [expected]
        assert response.context["LANGUAGE_CODE"] == language


def test_required_fields(world):
    response = post(world.client("anonymous"), contact_data(name=" ", email="", message=""))
    assert set(response.context["form"].errors) == {"name", "email", "message"}
    bad = post(world.client("anonymous"), contact_data(email="not-an-address", topic="weather"))
    assert set(bad.context["form"].errors) == {"email", "topic"}
    assert not Inquiry.objects.exists()


def test_a_filled_honeypot_pretends_success_and_stores_nothing(world):
    response = post(world.client("anonymous"), contact_data(website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == reverse("contact:sent")
    assert not Inquiry.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_the_honeypot_is_hidden_from_people(world):
    html = world.client("anonymous").get(reverse("contact:contact")).content.decode()
    start = html.index('<div class="honeypot" hidden>')
    assert 'name="website"' in html[start : start + 400]
    assert 'tabindex="-1"' in html[start : start + 400]


def test_rate_limit_per_sender_address(world, settings):
    settings.BATTKOMP_INQUIRY_RATE_LIMIT = 2
    client = world.client("anonymous")
    for n in range(2):
        assert post(client, contact_data(), ip=f"192.0.2.{n}").status_code == 302
    # A third from a new address, but the same sender (in another case): refused.
    response = post(client, contact_data(email="OLA@example.org"), ip="192.0.2.99")
    assert response.status_code == 429
    assert response.context["throttled"]
    assert response.context["form"]["message"].value() == contact_data()["message"]  # kept
    assert Inquiry.objects.count() == 2
    # Another sender is still welcome.
    assert post(client, contact_data(email="kari@example.org"), ip="192.0.2.98").status_code == 302


def test_rate_limit_per_client_address(world, settings):
    settings.BATTKOMP_INQUIRY_RATE_LIMIT = 2
    client = world.client("anonymous")
    for n in range(2):
        assert post(client, contact_data(email=f"s{n}@example.org")).status_code == 302
    response = post(client, contact_data(email="s9@example.org"))
    assert response.status_code == 429
    assert Inquiry.objects.count() == 2
    assert post(client, contact_data(email="s9@example.org"), ip="198.51.100.7").status_code == 302


def test_the_rate_limit_window_passes(world, settings):
    settings.BATTKOMP_INQUIRY_RATE_LIMIT = 1
    settings.BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS = 600
    assert post(world.client("anonymous"), contact_data()).status_code == 302
    assert actions.rate_limited("ola@example.org", None)
    Inquiry.objects.update(created_at=Inquiry.objects.get().created_at.replace(year=2020))
    assert not actions.rate_limited("ola@example.org", "192.0.2.10")
    assert post(world.client("anonymous"), contact_data()).status_code == 302


def test_the_inquiry_survives_a_routing_failure(world, monkeypatch):
    def broken(inquiry):
        raise RuntimeError("routing table unreadable")

    monkeypatch.setattr(actions, "choose_rule", broken)
    response = post(world.client("anonymous"), contact_data())
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert (inquiry.status, inquiry.owner) == (InquiryStatus.NEW, None)
    assert [m.to for m in mail.outbox] == [["ola@example.org"]]  # still acknowledged


def test_a_signed_in_person_finds_their_name_and_address_filled_in(world):
    response = world.client("analyst").get(reverse("contact:contact"))
    assert response.context["form"]["email"].value() == "analyst@battkomp.test"
