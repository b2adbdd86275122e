"""The back office for inquiries: every model is listed; the audit trail and the inquiries are
read-only; rules keep the site's rules; failed e-mails can be queued again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from battkomp.contact.actions import do_answer, do_submit_inquiry
from battkomp.contact.models import MailStatus, OutgoingMail, RoutingRule
from web.contact_support import rule


@pytest.fixture
def records(world):
    r = rule(world.users["handler"], topic="press")
    inquiry = do_submit_inquiry(
        name="Kari", email="kari@example.org", topic="press", message="Intervju?"
    )
    answer = do_answer(inquiry, world.users["handler"], "Ja.")
    return {
        "inquiry": inquiry,
        "routingrule": r,
        "inquiryevent": inquiry.events.first(),
        "outgoingmail": inquiry.mails.first(),
        "answer": answer,
    }


@pytest.mark.parametrize("model", ["inquiry", "routingrule", "inquiryevent", "outgoingmail"])
def test_the_admin_lists_and_shows_each_model(world, records, model):
    client = world.client("admin")
    assert client.get(reverse(f"admin:inquiries_{model}_changelist")).status_code == 200
    obj = records[model]
    assert client.get(reverse(f"admin:inquiries_{model}_change", args=[obj.pk])).status_code == 200


def test_the_audit_trail_cannot_be_changed_or_deleted(world, records):
    client = world.client("admin")
    event = records["inquiryevent"]
    response = client.post(
        reverse("admin:inquiries_inquiryevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert type(event).objects.filter(pk=event.pk).exists()


def test_a_rule_made_in_the_admin_obeys_the_site_rules(world, records):
    response = world.client("admin").post(
        reverse("admin:inquiries_routingrule_add"),
        {
            "name_nb": "catch-all",
            "priority": "1",
            "owner": world.users["company_a"].pk,
            "keywords": "",
            "active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert RoutingRule.objects.count() == 1


def test_failed_mails_can_be_queued_again(world, records):
    mail = records["outgoingmail"]
    OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED, attempts=8)
    response = world.client("admin").post(
        reverse("admin:inquiries_outgoingmail_changelist"),
        {"action": "retry", "_selected_action": [mail.pk]},
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.PENDING, 0)
