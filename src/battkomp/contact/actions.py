"""State changes of inquiries. Views, the retry command and tests call these ``do_*`` functions.

An inquiry is stored in a transaction of its own before anything else happens; acknowledging it,
routing it and e-mailing come after, each in its own transaction, so a failure there never loses
it. E-mails go through an outbox (:class:`~battkomp.contact.models.OutgoingMail`): stored first,
then sent; a failed attempt stays in the outbox for ``send_inquiry_mail`` to retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from battkomp.contact import conf
from battkomp.contact.access import can_see_inquiry, is_inquiry_staff, possible_owners
from battkomp.contact.models import (
    ANSWER_MAX,
    EMAIL_MAX,
    KEYWORDS_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    OPEN_STATUSES,
    ORGANISATION_MAX,
    Answer,
    EventAction,
    Inquiry,
    InquiryEvent,
    InquiryStatus,
    MailKind,
    MailStatus,
    OutgoingMail,
    RoutingRule,
    Topic,
)
from battkomp.contact.routing import choose_rule, has_conditions, keyword_phrases
from battkomp.contact.workdays import add_working_days
from battkomp.core.bilingual import legacy_values
from battkomp.core.codes import codes, label
from battkomp.core.users import Role, UserLike, account_of, is_analyst, profile_of, signed_in

logger = logging.getLogger(__name__)
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)
# A mail left "sending" this long (its process died mid-send) may be claimed again.
STALE_SENDING = dt.timedelta(minutes=15)


def person_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email or user.get_username()


# --- rate limiting ------------------------------------------------------------------------------


def rate_limited(email: str, client_ip: str | None, now: dt.datetime | None = None) -> bool:
    """Whether this sender address or this client address has sent the allowed number of
    inquiries within the window (``BATTKOMP_INQUIRY_RATE_LIMIT`` per
    ``BATTKOMP_INQUIRY_RATE_WINDOW_SECONDS``).

    Counted from the stored inquiries themselves, in the database, like the login throttle: the
    count holds across all the server's worker processes and restarts.
    """
    since = (now or timezone.now()) - dt.timedelta(seconds=conf.rate_window_seconds())
    recent = Inquiry.objects.filter(created_at__gte=since)
    limit = conf.rate_limit()
    if email and recent.filter(email__iexact=email.strip()).count() >= limit:
        return True
    return bool(client_ip) and recent.filter(client_ip=client_ip).count() >= limit


# --- retention of client addresses --------------------------------------------------------------


def client_address_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Inquiries received before this moment no longer keep their client address."""
    return (now or timezone.now()) - conf.ip_retention()


def do_purge_client_addresses(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Clear the client address of every inquiry older than the retention
    (``BATTKOMP_INQUIRY_IP_RETENTION_DAYS``, never shorter than the rate-limit window, so
    :func:`rate_limited` still counts every address it needs). The inquiry itself is kept.

    Returns how many inquiries were cleared (with ``dry_run``: would be, and nothing changes).
    Idempotent: a second run finds nothing left to clear. ``purge_inquiry_addresses`` and every
    run of ``send_inquiry_mail`` call this.
    """
    stale = Inquiry.objects.filter(
        created_at__lt=client_address_cutoff(now), client_ip__isnull=False
    )
    return stale.count() if dry_run else stale.update(client_ip=None)


# --- overdue ------------------------------------------------------------------------------------


def due_on(inquiry: Inquiry) -> dt.date:
    """The last day of the first answer: ``BATTKOMP_INQUIRY_OVERDUE_DAYS`` working days after the
    day it was received (in the site's time zone)."""
    received = timezone.localtime(inquiry.created_at).date()
    return add_working_days(received, conf.overdue_days())


def is_overdue(inquiry: Inquiry, now: dt.datetime | None = None) -> bool:
    """Not answered (nor closed) and past its due day."""
    if inquiry.status not in OPEN_STATUSES or inquiry.answered_at is not None:
        return False
    today = timezone.localtime(now or timezone.now()).date()
    return today > due_on(inquiry)


# --- the outbox ---------------------------------------------------------------------------------


def _language(code: str | None) -> str:
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE


def _render(template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"contact/email/{template}_subject.txt", context)
        body = render_to_string(f"contact/email/{template}.txt", context)
    return " ".join(subject.split())[:300], body


def _inquiry_context(inquiry: Inquiry, language: str) -> dict[str, Any]:
    with translation.override(language):
        return {
            "inquiry": inquiry,
            "topic_label": str(Topic(inquiry.topic).label),
            "segment_label": label("segment", inquiry.segment),
            "region_label": label("region", inquiry.region),
            "link": settings.SITE_URL.rstrip("/") + reverse("contact:detail", args=[inquiry.pk]),
        }


def _queue(
    inquiry: Inquiry,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    reply_to: str = "",
) -> OutgoingMail:
    subject, body = _render(template, context, language)
    return OutgoingMail.objects.create(
        inquiry=inquiry,
        kind=kind,
        to=to,
        reply_to=reply_to,
        subject=subject,
        body=body,
        language=language,
    )


def _queue_acknowledgement(inquiry: Inquiry) -> OutgoingMail:
    language = _language(inquiry.language)
    context = _inquiry_context(inquiry, language)
    context["days"] = conf.overdue_days()
    return _queue(
        inquiry, MailKind.ACKNOWLEDGEMENT, inquiry.email, "acknowledgement", context, language
    )


def _queue_notification(
    inquiry: Inquiry, recipient: Any, *, assigned_by: Any = None, note: str = ""
) -> OutgoingMail | None:
    if not recipient.email:
        return None
    profile = profile_of(recipient)
    language = _language(profile.language if profile else None)
    context = _inquiry_context(inquiry, language)
    context.update(
        {
            "owner_name": person_name(recipient),
            "assigned_by": person_name(assigned_by),
            "note": note,
            "unassigned": inquiry.owner_id is None,
            "due": due_on(inquiry),
        }
    )
    return _queue(
        inquiry,
        MailKind.NOTIFICATION,
        recipient.email,
        "notification",
        context,
        language,
        reply_to=inquiry.email,
    )


def _claimable(now: dt.datetime, max_attempts: int | None) -> Q:
    q = Q(status__in=[MailStatus.PENDING, MailStatus.FAILED]) | Q(
        status=MailStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING
    )
    if max_attempts is not None:
        q &= Q(attempts__lt=max_attempts)
    return q


def deliver(mail: OutgoingMail, *, max_attempts: int | None = None) -> bool:
    """Try to send one stored e-mail; True when it went.

    The mail is claimed first (a conditional update), so two processes never send it twice. A
    failure of any kind is written to the mail (``failed``, the error, one more attempt) and
    never raised: the caller's work is already saved.
    """
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(_claimable(now, max_attempts), pk=mail.pk).update(
        status=MailStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        mail.refresh_from_db()
        return False
    message = EmailMessage(
        mail.subject,
        mail.body,
        settings.DEFAULT_FROM_EMAIL,
        [mail.to],
        reply_to=[mail.reply_to] if mail.reply_to else None,
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any backend error: keep the mail for a retry
        error = f"{type(exc).__name__}: {exc}"[:2000]
        OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED, last_error=error)
        logger.warning("inquiry mail %s to %s failed: %s", mail.pk, mail.to, error)
        mail.refresh_from_db()
        return False
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=MailStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    mail.refresh_from_db()
    return True


def _queue_delivery(mails: Iterable[OutgoingMail]) -> int:
    """Hand the mails to the task worker (never sent inside the request)."""
    from battkomp.contact.tasks import queue_delivery

    return queue_delivery(mails)


def deliver_all(mails: Iterable[OutgoingMail]) -> int:
    """Send these mails now (each on its own); the number that went."""
    return sum(deliver(m) for m in mails)


@dataclass
class Delivery:
    """What :func:`do_send_pending_mail` did (or would do) with one mail."""

    mail: OutgoingMail
    sent: bool = False


def mail_to_retry(max_attempts: int | None = None) -> list[OutgoingMail]:
    """Mails not yet sent that may be tried again, oldest first."""
    max_attempts = conf.mail_max_attempts() if max_attempts is None else max_attempts
    return list(
        OutgoingMail.objects.filter(_claimable(timezone.now(), max_attempts)).order_by(
            "created_at", "id"
        )
    )


def mail_given_up(max_attempts: int | None = None) -> list[OutgoingMail]:
    """Failed mails that have used all their attempts (they need a person to look at them)."""
    max_attempts = conf.mail_max_attempts() if max_attempts is None else max_attempts
    return list(
        OutgoingMail.objects.filter(status=MailStatus.FAILED, attempts__gte=max_attempts).order_by(
            "created_at", "id"
        )
    )


def do_send_pending_mail(
    *, max_attempts: int | None = None, dry_run: bool = False
) -> list[Delivery]:
    """Send every pending or failed inquiry e-mail that has attempts left."""
    max_attempts = conf.mail_max_attempts() if max_attempts is None else max_attempts
    results = []
    for mail in mail_to_retry(max_attempts):
        result = Delivery(mail)
        results.append(result)
        if not dry_run:
            result.sent = deliver(mail, max_attempts=max_attempts)
    return results


# --- receiving and routing ----------------------------------------------------------------------


def _event(
    inquiry: Inquiry,
    action: str,
    *,
    actor: Any = None,
    from_status: str = "",
    to_status: str = "",
    from_owner: Any = None,
    to_owner: Any = None,
    note: str = "",
) -> InquiryEvent:
    return InquiryEvent.objects.create(
        inquiry=inquiry,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        from_owner=from_owner,
        to_owner=to_owner,
        note=note[:300],
    )


def validate_inquiry(
    *,
    name: str,
    email: str,
    organisation: str,
    topic: str,
    message: str,
    segment: str,
    region: str,
) -> None:
    """Raise ValidationError keyed by field when the inquiry cannot be stored (the form says the
    same in the visitor's words; this guards every other caller)."""
    errors: dict[str, Any] = {}
    for field, value, limit in (
        ("name", name, NAME_MAX),
        ("email", email, EMAIL_MAX),
        ("organisation", organisation, ORGANISATION_MAX),
        ("message", message, MESSAGE_MAX),
    ):
        if len(value) > limit:
            errors[field] = _("At most %(limit)d characters.") % {"limit": limit}
    for field, value in (("name", name), ("email", email), ("message", message)):
        if not value.strip():
            errors[field] = _("This field is required.")
    if topic not in Topic.values:
        errors["topic"] = _("Choose a topic from the list.")
    if segment and segment not in codes("segment"):
        errors["segment"] = _("Choose a value-chain segment from the list.")
    if region and region not in codes("region"):
        errors["region"] = _("Choose a region from the list.")
    if errors:
        raise ValidationError(errors)


def do_submit_inquiry(
    *,
    name: str,
    email: str,
    topic: str,
    message: str,
    organisation: str = "",
    segment: str = "",
    region: str = "",
    language: str = "nb",
    client_ip: str | None = None,
    send: bool = True,
) -> Inquiry:
    """Receive an inquiry: store it, acknowledge it, route it, and send the e-mails.

    The inquiry is committed first, on its own. A failure while routing is logged and leaves it
    unassigned (handlers see unassigned inquiries); a failure while sending leaves the e-mails in
    the outbox.
    """
    values = {
        "name": " ".join(name.split()),
        "email": email.strip(),
        "organisation": " ".join(organisation.split()),
        "topic": topic,
        "message": message.strip(),
        "segment": segment or "",
        "region": region or "",
    }
    validate_inquiry(**values)
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            **values, language=_language(language), client_ip=client_ip or None
        )
        _event(inquiry, EventAction.RECEIVED, to_status=InquiryStatus.NEW)
    with transaction.atomic():
        _queue_acknowledgement(inquiry)
    try:
        with transaction.atomic():
            _route(inquiry)
    except Exception:  # the inquiry is saved; a person can still assign it
        logger.exception("routing inquiry %s failed; it stays unassigned", inquiry.pk)
        inquiry.refresh_from_db()
    if send:
        _queue_delivery(inquiry.mails.filter(status=MailStatus.PENDING))
    return inquiry


def _unrouted_recipients() -> list[Any]:
    """Who hears of an inquiry nothing routes: the handlers, or if there are none, the analysts
    and administrators (each sees unassigned inquiries in the queue)."""
    owners = list(possible_owners().exclude(email=""))
    handlers = [u for u in owners if u.profile.role == Role.HANDLER]
    return handlers or owners


def _route(inquiry: Inquiry) -> RoutingRule | None:
    rule = choose_rule(inquiry)
    if rule is None:
        _event(inquiry, EventAction.UNROUTED)
        for recipient in _unrouted_recipients():
            _queue_notification(inquiry, recipient)
        return None
    before = inquiry.status
    inquiry.owner = rule.owner
    inquiry.rule = rule
    inquiry.status = InquiryStatus.ASSIGNED
    inquiry.save(update_fields=["owner", "rule", "status"])
    _event(
        inquiry,
        EventAction.ROUTED,
        from_status=before,
        to_status=inquiry.status,
        to_owner=rule.owner,
        note=rule.both_names,
    )
    _queue_notification(inquiry, rule.owner)
    return rule


# --- handling -----------------------------------------------------------------------------------


def _locked(inquiry: Inquiry, by: UserLike, *, closed: bool = False) -> Inquiry:
    """The inquiry, locked for the change; it must be open (or, with ``closed``, closed)."""
    if not can_see_inquiry(by, inquiry):
        msg = "this person may not handle this inquiry"
        raise PermissionError(msg)
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if closed and locked.status != InquiryStatus.CLOSED:
        raise ValidationError(_("The inquiry is not closed."), code="open")
    if not closed and locked.status == InquiryStatus.CLOSED:
        raise ValidationError(_("The inquiry is closed."), code="closed")
    return locked


def _refresh(inquiry: Inquiry, locked: Inquiry) -> None:
    for field in ("status", "owner_id", "answered_at", "closed_at"):
        setattr(inquiry, field, getattr(locked, field))


def do_assign(inquiry: Inquiry, by: UserLike, new_owner: Any, note: str = "") -> Inquiry:
    """Give the inquiry to another handler, analyst or administrator (who is e-mailed, unless
    they assigned it to themselves). A new inquiry becomes assigned; others keep their status."""
    if not possible_owners().filter(pk=getattr(new_owner, "pk", None)).exists():
        raise ValidationError(
            {"owner": [_("Choose an active inquiry handler, analyst or administrator.")]}
        )
    with transaction.atomic():
        locked = _locked(inquiry, by)
        if locked.owner_id == new_owner.pk:
            raise ValidationError({"owner": [_("The inquiry is already assigned to this person.")]})
        before_status, before_owner = locked.status, locked.owner
        locked.owner = new_owner
        if locked.status == InquiryStatus.NEW:
            locked.status = InquiryStatus.ASSIGNED
        locked.save(update_fields=["owner", "status"])
        _event(
            locked,
            EventAction.ASSIGNED,
            actor=by,
            from_status=before_status,
            to_status=locked.status,
            from_owner=before_owner,
            to_owner=new_owner,
            note=note,
        )
        mail = (
            _queue_notification(locked, new_owner, assigned_by=by, note=note)
            if new_owner.pk != getattr(by, "pk", None)
            else None
        )
    _refresh(inquiry, locked)
    inquiry.owner = new_owner
    if mail is not None:
        _queue_delivery([mail])
    return inquiry


def do_answer(inquiry: Inquiry, by: UserLike, text: str) -> Answer:
    """Answer the sender: the answer is stored and e-mailed in the sender's language, with the
    person who answered as reply-to. An unassigned inquiry becomes the answerer's."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write the answer.")]})
    if len(text) > ANSWER_MAX:
        raise ValidationError(
            {"text": [_("The answer can be at most %(limit)d characters.") % {"limit": ANSWER_MAX}]}
        )
    with transaction.atomic():
        locked = _locked(inquiry, by)
        author = signed_in(by)  # _locked let only the inquiry's handlers through
        before_status, before_owner = locked.status, locked.owner
        answer = Answer.objects.create(inquiry=locked, author=author, text=text)
        if locked.owner_id is None and is_inquiry_staff(author):
            locked.owner = author
        locked.status = InquiryStatus.ANSWERED
        if locked.answered_at is None:
            locked.answered_at = answer.created_at
        locked.save(update_fields=["owner", "status", "answered_at"])
        _event(
            locked,
            EventAction.ANSWERED,
            actor=by,
            from_status=before_status,
            to_status=locked.status,
            from_owner=before_owner if before_owner != locked.owner else None,
            to_owner=locked.owner if before_owner != locked.owner else None,
        )
        language = _language(locked.language)
        context = _inquiry_context(locked, language)
        context.update(
            {
                "answer": answer,
                "author_name": person_name(author),
                "quoted": "\n".join(f"> {line}" for line in locked.message.splitlines()),
            }
        )
        mail = _queue(
            locked,
            MailKind.ANSWER,
            locked.email,
            "answer",
            context,
            language,
            reply_to=getattr(by, "email", "") or "",
        )
    _refresh(inquiry, locked)
    inquiry.owner = locked.owner
    _queue_delivery([mail])
    return answer


def do_close(inquiry: Inquiry, by: UserLike, note: str = "") -> Inquiry:
    """Close the inquiry (answered, or needing no answer); nothing more can be done with it."""
    return _close_or_reopen(inquiry, by, note, close=True)


def _close_or_reopen(inquiry: Inquiry, by: UserLike, note: str, *, close: bool) -> Inquiry:
    """Close an open inquiry, or reopen a closed one to :func:`reopened_status`; either way the
    status change is recorded with its note."""
    with transaction.atomic():
        locked = _locked(inquiry, by, closed=not close)
        before = locked.status
        locked.status = InquiryStatus.CLOSED if close else reopened_status(locked)
        locked.closed_at = timezone.now() if close else None
        locked.save(update_fields=["status", "closed_at"])
        _event(
            locked,
            EventAction.CLOSED if close else EventAction.REOPENED,
            actor=by,
            from_status=before,
            to_status=locked.status,
            note=note,
        )
    _refresh(inquiry, locked)
    return inquiry


def reopened_status(inquiry: Inquiry) -> str:
    """The status a closed inquiry reopens to: the one its own facts give, which is the status it
    had when it was closed. *Answered* once the sender has had an answer (the time of the first
    answer is kept, so reopening never makes it overdue); else *assigned* when someone is
    responsible; else *new*, and every handler sees it among the unassigned."""
    if inquiry.answered_at is not None:
        return InquiryStatus.ANSWERED
    if inquiry.owner_id is not None:
        return InquiryStatus.ASSIGNED
    return InquiryStatus.NEW


def do_reopen(inquiry: Inquiry, by: UserLike, note: str = "") -> Inquiry:
    """Reopen a closed inquiry (closed by mistake, or the sender wrote again), so it can be
    answered, reassigned or closed again. Whoever may close it may reopen it.

    It goes back to :func:`reopened_status` (answered, assigned or new) and keeps its responsible
    person; the time it was closed is cleared (the history keeps it). Raises ValidationError when
    the inquiry is not closed.
    """
    return _close_or_reopen(inquiry, by, note, close=False)


# --- the routing table --------------------------------------------------------------------------


def validate_rule(
    *,
    rule: RoutingRule | None,
    topic: str,
    segment: str,
    region: str,
    keywords: str,
    owner: Any,
    is_default: bool,
) -> None:
    """Raise ValidationError keyed by field when the rule cannot be saved."""
    errors: dict[str, list[Any]] = {}
    if topic and topic not in Topic.values:
        errors.setdefault("topic", []).append(_("Choose a topic from the list."))
    if segment and segment not in codes("segment"):
        errors.setdefault("segment", []).append(_("Choose a value-chain segment from the list."))
    if region and region not in codes("region"):
        errors.setdefault("region", []).append(_("Choose a region from the list."))
    if len(keywords) > KEYWORDS_MAX:
        errors.setdefault("keywords", []).append(
            _("At most %(limit)d characters.") % {"limit": KEYWORDS_MAX}
        )
    if owner is None or not possible_owners().filter(pk=owner.pk).exists():
        errors.setdefault("owner", []).append(
            _("Choose an active inquiry handler, analyst or administrator.")
        )
    probe = RoutingRule(topic=topic, segment=segment, region=region, keywords=keywords)
    if is_default:
        if has_conditions(probe):
            errors.setdefault("is_default", []).append(
                _(
                    "The default rule takes every inquiry no other rule matches: leave the "
                    "topic, segment, region and keywords empty."
                )
            )
        other = RoutingRule.objects.filter(is_default=True)
        if rule is not None and rule.pk:
            other = other.exclude(pk=rule.pk)
        existing = other.first()
        if existing is not None:
            errors.setdefault("is_default", []).append(
                _("There is already a default rule: %(name)s. Change that one instead.")
                % {"name": existing.name}
            )
    elif not has_conditions(probe):
        errors.setdefault("__all__", []).append(
            _(
                "Set at least one condition (topic, segment, region or keywords), or make this "
                "the default rule."
            )
        )
    if errors:
        raise ValidationError(errors)


def do_save_rule(
    by: UserLike,
    rule: RoutingRule | None,
    *,
    name: str = "",
    name_nb: str = "",
    name_en: str = "",
    priority: int,
    owner: Any,
    topic: str = "",
    segment: str = "",
    region: str = "",
    keywords: str = "",
    is_default: bool = False,
    active: bool = True,
) -> RoutingRule:
    """Create (``rule=None``) or change a routing rule. Analysts and administrators only.

    The rule's name is given in bokmål and English (``name_nb``, ``name_en``; one is enough); a
    single ``name`` is the name in the active language."""
    if not is_analyst(by):
        msg = "only analysts and administrators keep the routing table"
        raise PermissionError(msg)
    keywords = ", ".join(" ".join(p) for p in keyword_phrases(keywords))
    validate_rule(
        rule=rule,
        topic=topic,
        segment=segment,
        region=region,
        keywords=keywords,
        owner=owner,
        is_default=is_default,
    )
    names = legacy_values({"name_nb": name_nb, "name_en": name_en, "name": name}, "name")
    names = {k: " ".join(str(v or "").split())[:200] for k, v in names.items()}
    if not (names["name_nb"] or names["name_en"]):
        raise ValidationError({"name_nb": [_("Give the rule a name.")]})
    with transaction.atomic():
        rule = rule or RoutingRule()
        rule.name_nb, rule.name_en = names["name_nb"], names["name_en"]
        rule.priority = priority
        rule.owner = owner
        rule.topic, rule.segment, rule.region, rule.keywords = topic, segment, region, keywords
        rule.is_default = is_default
        rule.active = active
        rule.updated_by = account_of(by)
        rule.save()
    return rule


def do_delete_rule(by: UserLike, rule: RoutingRule) -> None:
    """Remove a rule; the inquiries it routed keep their owner."""
    if not is_analyst(by):
        msg = "only analysts and administrators keep the routing table"
        raise PermissionError(msg)
    rule.delete()
