"""Persona matrix for every inquiry page: the contact form is public; the queue and an inquiry's
page are for handlers (their own and unassigned inquiries), analysts and administrators (all);
the routing table is for analysts and administrators. Everyone else gets 404; anonymous visitors
are sent to the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from battkomp.contact.actions import do_close, do_submit_inquiry
from battkomp.contact.models import EventAction, Inquiry, InquiryStatus, RoutingRule
from web.contact_support import rule, second_handler
from web.personas import PERSONAS

STAFF = {"analyst", "admin", "handler"}
ANALYSTS = {"analyst", "admin"}


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login") + "?next="
    )


def submit(**kw) -> Inquiry:
    values = {
        "name": "Kari",
        "email": "kari@example.org",
        "topic": "other",
        "message": "Hei! Et spørsmål.",
    }
    values.update(kw)
    return do_submit_inquiry(**values)


@pytest.fixture
def inquiries(world) -> dict[str, Inquiry]:
    """One inquiry routed to the handler, one to another handler, one unassigned."""
    other = second_handler()
    rule(world.users["handler"], name="press", topic="press")
    rule(other, name="results", topic="results")
    return {
        "mine": submit(topic="press"),
        "other": submit(topic="results"),
        "unassigned": submit(topic="other"),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_form_is_public(world, persona):
    response = world.client(persona).get(reverse("contact:contact"))
    assert response.status_code == 200
    assert b'name="website"' in response.content  # the honeypot is there, hidden
    assert reverse("contact:contact").encode() in response.content  # the nav link


@pytest.mark.parametrize("persona", PERSONAS)
def test_sent_page_is_public(world, persona):
    assert world.client(persona).get(reverse("contact:sent")).status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_queue(world, persona, inquiries):
    response = world.client(persona).get(reverse("contact:queue") + "?status=all")
    if persona == "anonymous":
        assert goes_to_login(response)
        return
    if persona not in STAFF:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    shown = {row["inquiry"].pk for row in response.context["rows"]}
    if persona in ANALYSTS:
        assert shown == {i.pk for i in inquiries.values()}
    else:
        assert shown == {inquiries["mine"].pk, inquiries["unassigned"].pk}
    assert reverse("contact:queue").encode() in response.content  # the nav link


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["mine", "other", "unassigned"])
def test_inquiry_page(world, persona, inquiries, which):
    inquiry = inquiries[which]
    response = world.client(persona).get(reverse("contact:detail", args=[inquiry.pk]))
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in ANALYSTS or (persona == "handler" and which != "other"):
        assert response.status_code == 200
        assert inquiry.message.encode() in response.content
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_unknown_inquiry_is_404_for_staff(world, persona):
    response = world.client(persona).get(reverse("contact:detail", args=[99999]))
    assert goes_to_login(response) if persona == "anonymous" else response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_answer(world, persona, inquiries):
    inquiry = inquiries["other"]
    response = world.client(persona).post(
        reverse("contact:answer", args=[inquiry.pk]), {"text": "Svar."}
    )
    inquiry.refresh_from_db()
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in ANALYSTS:
        assert response.status_code == 302
        assert inquiry.status == InquiryStatus.ANSWERED
        return
    else:
        assert response.status_code == 404  # the handler does not see another's inquiry
    assert inquiry.status == InquiryStatus.ASSIGNED
    assert not inquiry.answers.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_assign(world, persona, inquiries):
    inquiry = inquiries["unassigned"]
    target = world.users["analyst"]
    response = world.client(persona).post(
        reverse("contact:assign", args=[inquiry.pk]), {"owner": target.pk}
    )
    inquiry.refresh_from_db()
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in STAFF:
        assert response.status_code == 302
        assert inquiry.owner == target
        return
    else:
        assert response.status_code == 404
    assert inquiry.owner is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_close(world, persona, inquiries):
    inquiry = inquiries["mine"]
    response = world.client(persona).post(reverse("contact:close", args=[inquiry.pk]))
    inquiry.refresh_from_db()
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in STAFF:
        assert response.status_code == 302
        assert inquiry.status == InquiryStatus.CLOSED
        return
    else:
        assert response.status_code == 404
    assert inquiry.status == InquiryStatus.ASSIGNED


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["mine", "other"])
def test_reopen(world, persona, inquiries, which):
    inquiry = inquiries[which]
    do_close(inquiry, inquiry.owner)
    response = world.client(persona).post(reverse("contact:reopen", args=[inquiry.pk]))
    inquiry.refresh_from_db()
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in ANALYSTS or (persona == "handler" and which == "mine"):
        assert response.status_code == 302
        assert inquiry.status == InquiryStatus.ASSIGNED
        event = inquiry.events.get(action=EventAction.REOPENED)
        assert (event.actor, event.from_status, event.to_status) == (
            world.users[persona],
            InquiryStatus.CLOSED,
            InquiryStatus.ASSIGNED,
        )
        return
    else:
        assert response.status_code == 404  # outsiders, and a handler for another's inquiry
    assert inquiry.status == InquiryStatus.CLOSED
    assert not inquiry.events.filter(action=EventAction.REOPENED).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_routing_rules_page(world, persona, inquiries):
    response = world.client(persona).get(reverse("contact:rules"))
    if persona == "anonymous":
        assert goes_to_login(response)
    elif persona in ANALYSTS:
        assert response.status_code == 200
        assert b"press" in response.content
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_rule(world, persona):
    url = reverse("contact:rule_new")
    data = {
        "name_nb": "Agder",
        "priority": "10",
        "region": "42",
        "owner": world.users["handler"].pk,
    }
    assert (
        goes_to_login(world.client(persona).get(url))
        if persona == "anonymous"
        else world.client(persona).get(url).status_code == (200 if persona in ANALYSTS else 404)
    )
    response = world.client(persona).post(url, {**data, "active": "on"})
    if persona in ANALYSTS:
        assert response.status_code == 302
        assert RoutingRule.objects.get(name_nb="Agder").updated_by == world.users[persona]
    else:
        assert goes_to_login(response) if persona == "anonymous" else response.status_code == 404
        assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_and_delete_rule(world, persona, inquiries):
    press = RoutingRule.objects.get(name_nb="press")
    edit = reverse("contact:rule_edit", args=[press.pk])
    delete = reverse("contact:rule_delete", args=[press.pk])
    client = world.client(persona)
    if persona == "anonymous":
        assert goes_to_login(client.get(edit))
        assert goes_to_login(client.post(delete))
    elif persona in ANALYSTS:
        assert client.get(edit).status_code == 200
        assert client.post(delete).status_code == 302
        assert not RoutingRule.objects.filter(pk=press.pk).exists()
        inquiries["mine"].refresh_from_db()
        assert inquiries["mine"].owner == world.users["handler"]  # the owner stays
        return
    else:
        assert client.get(edit).status_code == 404
        assert client.post(delete).status_code == 404
    assert RoutingRule.objects.filter(pk=press.pk).exists()
