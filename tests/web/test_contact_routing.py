"""The routing table: each kind of condition, keywords as whole words in any case, priority, the
default rule, inactive rules and owners, unrouted inquiries, reassignment, and the rule form."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from battkomp.accounts.actions import do_create_user
from battkomp.contact.actions import do_assign, do_save_rule, do_submit_inquiry
from battkomp.contact.models import EventAction, Inquiry, InquiryStatus, RoutingRule
from battkomp.contact.routing import keyword_phrases, phrase_in, words
from battkomp.core.users import Role
from web.contact_support import rule, second_handler


def submit(message: str = "Et spørsmål.", **kw) -> Inquiry:
    values = {"name": "Kari", "email": "kari@example.org", "topic": "other", "message": message}
    values.update(kw)
    return do_submit_inquiry(**values)


@pytest.fixture
def people(world):
    return {"handler": world.users["handler"], "other": second_handler(), **world.users}


def test_a_topic_rule_routes_its_topic_only(people):
    r = rule(people["handler"], topic="press")
    press = submit(topic="press")
    other = submit(topic="education")
    assert (press.owner, press.rule, press.status) == (people["handler"], r, "assigned")
    assert (other.owner, other.status) == (None, InquiryStatus.NEW)


def test_a_segment_rule(people):
    rule(people["handler"], segment="recycling")
    assert submit(segment="recycling").owner == people["handler"]
    assert submit(segment="cell_manufacturing").owner is None
    assert submit().owner is None


def test_a_region_rule(people):
    rule(people["handler"], region="42")
    assert submit(region="42").owner == people["handler"]
    assert submit(region="SE").owner is None


def test_keywords_match_whole_words_in_any_case(people):
    rule(people["handler"], keywords="fagskole, bransjeprogram")
    assert submit("Vi lurer på FAGSKOLE-tilbudet i Agder.").owner == people["handler"]
    assert submit("Bransjeprogram? Hvordan søker vi").owner == people["handler"]
    # Part of a word is not the word.
    assert submit("Fagskolene er mange.").owner is None
    assert submit("Hva med bransjeprogrammet").owner is None


def test_a_keyword_with_a_star_matches_the_beginning_of_words_and_phrases_match_in_order(people):
    rule(people["handler"], keywords="batteri*, cell design")
    assert submit("Batteriene våre").owner == people["handler"]
    assert submit("Questions about CELL   design.").owner == people["handler"]
    assert submit("Design of the cell").owner is None
    assert submit("Litium og elbil").owner is None


def test_keyword_parsing():
    assert keyword_phrases(" Fagskole ,cell  design;\nbatteri*,, ") == [
        ("fagskole",),
        ("cell", "design"),
        ("batteri*",),
    ]
    assert words("Æøå-ÆØÅ, 42 GWh!") == ["æøå", "æøå", "42", "gwh"]
    assert phrase_in(("cell", "design"), words("a cell design b"))
    assert not phrase_in(("cell", "design"), words("cell"))


def test_every_condition_of_a_rule_must_hold(people):
    rule(people["handler"], topic="education", region="42", keywords="fagskole")
    assert submit("fagskole", topic="education", region="42").owner == people["handler"]
    assert submit("fagskole", topic="education", region="40").owner is None
    assert submit("universitet", topic="education", region="42").owner is None
    assert submit("fagskole", topic="press", region="42").owner is None


def test_the_lowest_priority_number_wins_and_ties_go_to_the_oldest_rule(people):
    rule(people["other"], name="late", priority=50, topic="education")
    rule(people["handler"], name="early", priority=10, keywords="fagskole")
    inquiry = submit("fagskole", topic="education")
    assert (inquiry.owner, inquiry.rule.name) == (people["handler"], "early")
    rule(people["analyst"], name="tie", priority=50, topic="press")
    rule(people["admin"], name="tie-later", priority=50, topic="press")
    assert submit(topic="press").rule.name == "tie"


def test_the_default_rule_takes_what_nothing_else_matches_whatever_its_priority(people):
    rule(people["other"], name="default", priority=0, is_default=True)
    rule(people["handler"], name="press", priority=100, topic="press")
    assert submit(topic="press").owner == people["handler"]
    inquiry = submit(topic="other")
    assert (inquiry.owner, inquiry.rule.name) == (people["other"], "default")
    assert inquiry.events.get(action=EventAction.ROUTED).note == "default"


def test_inactive_rules_and_rules_of_inactive_people_are_skipped(people):
    rule(people["handler"], name="off", priority=1, topic="press", active=False)
    gone = rule(people["other"], name="gone", priority=2, topic="press")
    rule(people["analyst"], name="default", is_default=True)
    gone.owner.is_active = False
    gone.owner.save()
    assert submit(topic="press").rule.name == "default"


def test_a_rule_owner_who_lost_the_staff_role_is_skipped(people):
    respondent = do_create_user(
        "x@cellco.test",
        "x-long-password-1",
        Role.RESPONDENT,
        people["company_a"].profile.organisation,
    )
    rule(respondent, name="wrong", topic="press")
    assert submit(topic="press").owner is None


def test_unrouted_inquiries_stay_new_and_every_handler_is_told(people):
    inquiry = submit(topic="other")
    assert (inquiry.status, inquiry.owner) == (InquiryStatus.NEW, None)
    assert inquiry.events.filter(action=EventAction.UNROUTED).count() == 1
    notices = sorted(m.to[0] for m in mail.outbox if m.to != ["kari@example.org"])
    assert notices == ["handler2@battkomp.test", "handler@battkomp.test"]


def test_the_owner_is_told_in_their_language_and_the_sender_gets_an_acknowledgement(people):
    english = do_create_user("en@battkomp.test", "x-long-password-1", Role.HANDLER, language="en")
    rule(english, topic="press")
    inquiry = submit(topic="press")
    ack, notice = mail.outbox
    assert ack.to == ["kari@example.org"]
    assert f"{inquiry.pk}" in ack.subject
    with translation.override("nb"):  # the sender wrote from the bokmål page
        assert ack.subject == gettext("We have received your inquiry (no. %(n)s)") % {
            "n": inquiry.pk
        }
    assert inquiry.message not in ack.body  # never echo what anyone can type to anyone
    assert notice.to == ["en@battkomp.test"]
    assert f"/en/contact/inquiries/{inquiry.pk}/" in notice.body
    assert notice.reply_to == ["kari@example.org"]
    assert inquiry.message in notice.body


def test_reassignment_to_another_handler(people):
    rule(people["handler"], topic="press")
    inquiry = submit(topic="press")
    mail.outbox.clear()
    do_assign(inquiry, people["handler"], people["other"], "Du kan dette best.")
    inquiry.refresh_from_db()
    assert (inquiry.owner, inquiry.status) == (people["other"], InquiryStatus.ASSIGNED)
    event = inquiry.events.get(action=EventAction.ASSIGNED)
    assert (event.actor, event.from_owner, event.to_owner) == (
        people["handler"],
        people["handler"],
        people["other"],
    )
    assert event.note == "Du kan dette best."
    assert [m.to for m in mail.outbox] == [["handler2@battkomp.test"]]
    assert "Du kan dette best." in mail.outbox[0].body
    # The first handler no longer sees it; the second one does and may pass it back.
    with pytest.raises(PermissionError):
        do_assign(inquiry, people["handler"], people["handler"])
    do_assign(inquiry, people["other"], people["handler"])
    inquiry.refresh_from_db()
    assert inquiry.owner == people["handler"]


def test_reassignment_only_to_staff_and_not_to_the_same_person(people, world):
    rule(people["handler"], topic="press")
    inquiry = submit(topic="press")
    with pytest.raises(ValidationError) as refused:
        do_assign(inquiry, people["handler"], people["company_a"])
    assert list(refused.value.message_dict) == ["owner"]
    response = world.client("handler").post(
        reverse("contact:assign", args=[inquiry.pk]), {"owner": people["handler"].pk}
    )
    assert response.status_code == 400
    with translation.override("nb"):
        assert gettext("The inquiry is already assigned to this person.") in (
            response.content.decode()
        )
    inquiry.refresh_from_db()
    assert inquiry.events.filter(action=EventAction.ASSIGNED).count() == 0


def test_a_handler_who_gives_an_inquiry_away_lands_on_the_queue(people, world):
    rule(people["handler"], topic="press")
    inquiry = submit(topic="press")
    response = world.client("handler").post(
        reverse("contact:assign", args=[inquiry.pk]), {"owner": people["other"].pk}
    )
    assert response["Location"] == reverse("contact:queue")


# --- the rule table on the platform -------------------------------------------------------


def test_analysts_keep_the_rules_through_the_page(world, people):
    client = world.client("analyst")
    response = client.post(
        reverse("contact:rule_new"),
        {
            "name_nb": "Fagskoler i Agder",
            "priority": "5",
            "topic": "education",
            "region": "42",
            "keywords": "Fagskole, batteri*",
            "owner": people["handler"].pk,
            "active": "on",
        },
    )
    assert response.status_code == 302
    saved = RoutingRule.objects.get()
    assert (saved.topic, saved.region, saved.keywords) == ("education", "42", "fagskole, batteri*")
    assert submit("Om batteriet", topic="education", region="42").rule == saved
    response = client.post(
        reverse("contact:rule_edit", args=[saved.pk]),
        {"name_nb": "Fagskoler", "priority": "5", "owner": people["other"].pk, "keywords": "x"},
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.owner, saved.active, saved.topic) == (people["other"], False, "")


def test_the_rule_form_explains_what_is_wrong(world, people):
    client = world.client("analyst")
    url = reverse("contact:rule_new")
    no_condition = client.post(
        url, {"name_nb": "x", "priority": "1", "owner": people["handler"].pk}
    )
    assert no_condition.status_code == 200
    with translation.override("nb"):
        expected = gettext(
            "Set at least one condition (topic, segment, region or keywords), or make this "
            "the default rule."
        )
    assert no_condition.context["form"].non_field_errors() == [expected]
    bad_owner = client.post(
        url, {"name_nb": "x", "priority": "1", "topic": "press", "owner": people["company_a"].pk}
    )
    assert "owner" in bad_owner.context["form"].errors
    default_with_condition = client.post(
        url,
        {
            "name_nb": "d",
            "priority": "1",
            "topic": "press",
            "owner": people["handler"].pk,
            "is_default": "on",
        },
    )
    assert "is_default" in default_with_condition.context["form"].errors
    assert not RoutingRule.objects.exists()


def test_there_is_one_default_rule_at_most(world, people):
    do_save_rule(
        people["analyst"], None, name="d1", priority=1, owner=people["handler"], is_default=True
    )
    response = world.client("analyst").post(
        reverse("contact:rule_new"),
        {"name_nb": "d2", "priority": "1", "owner": people["other"].pk, "is_default": "on"},
    )
    assert "d1" in str(response.context["form"].errors["is_default"])
    assert RoutingRule.objects.count() == 1
    with pytest.raises(PermissionError):
        do_save_rule(
            people["handler"], None, name="h", priority=1, owner=people["handler"], topic="press"
        )


def test_analysts_can_try_the_table_without_storing_anything(world, people):
    rule(people["handler"], name="Fagskole", keywords="fagskole")
    client = world.client("analyst")
    url = reverse("contact:rules")
    hit = client.get(url, {"topic": "other", "message": "Om FAGSKOLE", "segment": "", "region": ""})
    assert hit.context["tried"]["rule"].name == "Fagskole"
    assert 'id="tried"' in hit.content.decode()
    miss = client.get(url, {"topic": "other", "message": "Om universitet"})
    assert miss.context["tried"]["rule"] is None
    assert client.get(url).context["tried"] is None
    assert not Inquiry.objects.exists()
    assert mail.outbox == []
