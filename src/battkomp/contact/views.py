"""Inquiry pages: the public contact form, the handlers' queue and an inquiry's page, and the
analysts' routing table.

Every read of an inquiry or rule goes through :mod:`battkomp.contact.access`; an outsider gets
404 and an anonymous visitor is sent to the login page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from battkomp.contact import actions, conf
from battkomp.contact.access import (
    access_inquiry_for_user,
    access_rule_for_user,
    can_see_inquiry,
    inquiries_for_user,
    rules_for_user,
)
from battkomp.contact.forms import (
    AnswerForm,
    AssignForm,
    CloseForm,
    ContactForm,
    ReopenForm,
    RuleForm,
    TryRulesForm,
)
from battkomp.contact.models import (
    OPEN_STATUSES,
    Inquiry,
    InquiryStatus,
    MailStatus,
    OutgoingMail,
    RoutingRule,
    Topic,
)
from battkomp.contact.routing import choose_rule, keyword_phrases
from battkomp.core.client import client_ip
from battkomp.core.codes import label
from battkomp.core.users import account_of, is_analyst

logger = logging.getLogger(__name__)


def _client_ip(request: HttpRequest) -> str | None:
    # As for the login throttle: X-Forwarded-For only from a trusted proxy (battkomp.core.client).
    return client_ip(request)


# --- the public contact form --------------------------------------------------------------------


def contact(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.user.is_authenticated:  # a signed-in person need not type who they are
        initial = {"name": request.user.get_full_name(), "email": request.user.email}
    form = ContactForm(request.POST or None, initial=initial)
    throttled = False
    status = 200
    if request.method == "POST":
        if form.is_bot():
            # A bot filled in the hidden field: it sees the same thanks page, and nothing is
            # stored or sent.
            logger.info("inquiry honeypot filled from %s; ignored", _client_ip(request))
            return redirect("contact:sent")
        if form.is_valid():
            data = form.cleaned_data
            ip = _client_ip(request)
            if actions.rate_limited(data["email"], ip):
                throttled = True
                status = 429
            else:
                try:
                    actions.do_submit_inquiry(
                        name=data["name"],
                        email=data["email"],
                        organisation=data["organisation"],
                        topic=data["topic"],
                        message=data["message"],
                        segment=data["segment"],
                        region=data["region"],
                        language=translation.get_language() or "nb",
                        client_ip=ip,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return redirect("contact:sent")
    return render(
        request,
        "contact/contact.html",
        {
            "form": form,
            "throttled": throttled,
            "minutes": math.ceil(conf.rate_window_seconds() / 60),
            "days": conf.overdue_days(),
        },
        status=status,
    )


def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "contact/sent.html", {"days": conf.overdue_days()})


# --- handlers: the queue and an inquiry ---------------------------------------------------------

STATUS_FILTERS = ("open", "answered", "closed", "all")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    qs = inquiries_for_user(request.user)
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    whose = request.GET.get("whose", "")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if whose == "mine":
        qs = qs.filter(owner=account_of(request.user))
    elif whose == "unassigned":
        qs = qs.filter(owner__isnull=True)
    else:
        whose = ""
    now = timezone.now()
    rows = [
        {
            "inquiry": inquiry,
            "due": actions.due_on(inquiry),
            "overdue": actions.is_overdue(inquiry, now),
            "owner_name": actions.person_name(inquiry.owner),
        }
        for inquiry in qs.order_by("created_at", "id")
    ]
    rows.sort(key=lambda r: not r["overdue"])  # overdue first, then oldest first
    return render(
        request,
        "contact/queue.html",
        {
            "rows": rows,
            "status": status,
            "whose": whose,
            "overdue_count": sum(r["overdue"] for r in rows),
            "days": conf.overdue_days(),
            "sees_all": is_analyst(request.user),
            "failed_mails": (
                OutgoingMail.objects.filter(status=MailStatus.FAILED).count()
                if is_analyst(request.user)
                else 0
            ),
            "status_filters": [
                ("open", _("Open")),
                ("answered", InquiryStatus.ANSWERED.label),
                ("closed", InquiryStatus.CLOSED.label),
                ("all", _("All")),
            ],
        },
    )


def _detail(request: HttpRequest, inquiry: Any, **forms: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "inquiry": inquiry,
        "topic_label": Topic(inquiry.topic).label,
        "segment_label": label("segment", inquiry.segment),
        "region_label": label("region", inquiry.region),
        "owner_name": actions.person_name(inquiry.owner),
        "due": actions.due_on(inquiry),
        "overdue": actions.is_overdue(inquiry),
        "events": inquiry.events.select_related("actor", "from_owner", "to_owner"),
        "answers": inquiry.answers.select_related("author"),
        "mails": inquiry.mails.all(),
        "is_open": inquiry.status != InquiryStatus.CLOSED,
        "assign_form": forms.get("assign_form") or AssignForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
    }
    status = 400 if forms else 200
    return render(request, "contact/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = access_inquiry_for_user(request.user, pk)
    return _detail(request, inquiry)


def _after_change(request: HttpRequest, inquiry: Any) -> HttpResponse:
    # A handler who gave the inquiry away no longer sees it: back to the queue.
    if can_see_inquiry(request.user, inquiry):
        return redirect("contact:detail", inquiry.pk)
    return redirect("contact:queue")


def _inquiry_action(
    request: HttpRequest,
    pk: int,
    form_class: type[Form],
    form_name: str,
    act: Callable[[Inquiry, dict[str, Any]], object],
    success: str | Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """The shape every handler action shares (each view is login-only and POST-only): find the
    inquiry through the access rules (404 for anyone who may not see it), validate the form, run
    the action with the form's data, and go back with the success message (or the message made from
    the form's data); a refusal shows the inquiry's page again (400) with the error on the form
    named ``form_name``."""
    inquiry = access_inquiry_for_user(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(inquiry, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            message = success(form.cleaned_data) if callable(success) else success
            messages.success(request, message)
            return _after_change(request, inquiry)
    return _detail(request, inquiry, **{form_name: form})


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _inquiry_action(
        request,
        pk,
        AssignForm,
        "assign_form",
        lambda inquiry, data: actions.do_assign(inquiry, request.user, data["owner"], data["note"]),
        lambda data: (
            _("The inquiry is now with %(name)s.") % {"name": actions.person_name(data["owner"])}
        ),
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _inquiry_action(
        request,
        pk,
        AnswerForm,
        "answer_form",
        lambda inquiry, data: actions.do_answer(inquiry, request.user, data["text"]),
        _("The answer is saved and e-mailed to the sender."),
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _inquiry_action(
        request,
        pk,
        CloseForm,
        "close_form",
        lambda inquiry, data: actions.do_close(inquiry, request.user, data["note"]),
        _("The inquiry is closed."),
    )


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _inquiry_action(
        request,
        pk,
        ReopenForm,
        "reopen_form",
        lambda inquiry, data: actions.do_reopen(inquiry, request.user, data["note"]),
        _("The inquiry is reopened."),
    )


# --- analysts: the routing table ----------------------------------------------------------------


def _rule_rows(rules: Any) -> list[dict[str, Any]]:
    return [
        {
            "rule": rule,
            "topic_label": Topic(rule.topic).label if rule.topic else "",
            "segment_label": label("segment", rule.segment),
            "region_label": label("region", rule.region),
            "keywords": [" ".join(p) for p in keyword_phrases(rule.keywords)],
            "owner_name": actions.person_name(rule.owner),
        }
        for rule in rules
    ]


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    table = list(rules_for_user(request.user))
    # "Try the table": which rule would a made-up inquiry go to? Nothing is stored.
    trial = TryRulesForm(request.GET if "message" in request.GET else None)
    tried = None
    if trial.is_valid():
        probe = Inquiry(
            topic=trial.cleaned_data["topic"],
            segment=trial.cleaned_data["segment"],
            region=trial.cleaned_data["region"],
            message=trial.cleaned_data["message"],
        )
        chosen = choose_rule(probe, table)
        tried = {
            "rule": chosen,
            "owner_name": actions.person_name(chosen.owner if chosen else None),
        }
    return render(
        request,
        "contact/rules.html",
        {
            "rows": _rule_rows(table),
            "has_default": any(r.is_default and r.active for r in table),
            "trial": trial,
            "tried": tried,
        },
    )


def _rule_form(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    form = RuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_save_rule(request.user, rule, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The routing rule is saved."))
            return redirect("contact:rules")
    return render(request, "contact/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_new(request: HttpRequest) -> HttpResponse:
    rules_for_user(request.user)  # 404 for anyone but analysts and administrators
    return _rule_form(request, None)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, access_rule_for_user(request.user, pk))


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = access_rule_for_user(request.user, pk)
    actions.do_delete_rule(request.user, rule)
    messages.success(request, _("The routing rule is deleted."))
    return redirect("contact:rules")
