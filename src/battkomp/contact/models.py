"""Inquiries from the contact form, the routing table that gives each one an owner, the audit
trail of every step, the answers, and the outbox of e-mails (so no e-mail is lost when sending
fails)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from battkomp.core.bilingual import Bilingual, one_required_constraint, require_one

# Size limits of the contact form's fields (characters).
NAME_MAX = 200
EMAIL_MAX = 254
ORGANISATION_MAX = 200
MESSAGE_MAX = 5000
ANSWER_MAX = 10000
KEYWORDS_MAX = 1000


class Topic(models.TextChoices):
    SURVEY = "survey", _("The needs survey and our answers")
    EDUCATION = "education", _("Education offers and study places")
    RESULTS = "results", _("Published results, data and the model")
    COOPERATION = "cooperation", _("Cooperation and membership")
    PRESS = "press", _("Press and media")
    ACCOUNT = "account", _("Account and login")
    OTHER = "other", _("Something else")


class InquiryStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (InquiryStatus.NEW, InquiryStatus.ASSIGNED)


class RoutingRule(models.Model):
    """One row of the routing table: who owns the inquiries that match.

    A rule matches when every condition it sets holds: the topic, the segment and the region are
    equal, and any one of the keywords occurs in the message as a whole word (or phrase) in any
    case. Rules are tried by priority (lowest number first, then oldest first). The default rule
    sets no condition and takes what nothing else matched.
    """

    name_nb = models.CharField(_("name (bokmål)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    priority = models.PositiveIntegerField(
        _("priority"),
        default=100,
        help_text=_("Rules are tried from the lowest number up; the first that matches wins."),
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, blank=True)
    segment = models.CharField(_("value-chain segment"), max_length=40, blank=True)
    region = models.CharField(_("region"), max_length=10, blank=True)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "Words or phrases, separated by commas. One of them must occur in the message as a "
            "whole word, in any case. End a word with * to match its beginning "
            "(batteri* matches batteriet and batterier)."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="inquiry_rules",
        verbose_name=_("responsible person"),
    )
    is_default = models.BooleanField(
        _("default rule"),
        default=False,
        help_text=_("Takes every inquiry no other rule matches. There is at most one."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["is_default", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="inquiries_one_default_rule",
            ),
            one_required_constraint("name", "inquiries_rule_has_name"),
        ]

    name = Bilingual()

    def __str__(self) -> str:
        return str(self.name)

    def clean(self) -> None:
        require_one(self, "name", _("Give the rule a name (in bokmål or English)."))

    @property
    def both_names(self) -> str:
        """Both names, "bokmål / English" (one when they are the same or one is missing), as
        the inquiry's history keeps them."""
        names = [n for n in (self.name_nb, self.name_en) if n]
        return " / ".join(dict.fromkeys(names))


class Inquiry(models.Model):
    """A message sent with the contact form. Stored before anything else happens."""

    name = models.CharField(_("name"), max_length=NAME_MAX)
    email = models.EmailField(_("e-mail"), max_length=EMAIL_MAX)
    organisation = models.CharField(_("organisation"), max_length=ORGANISATION_MAX, blank=True)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    segment = models.CharField(_("value-chain segment"), max_length=40, blank=True)
    region = models.CharField(_("region"), max_length=10, blank=True)
    message = models.TextField(_("message"))
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="nb"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inquiries",
        verbose_name=_("responsible person"),
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="inquiries"
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.email}"


class EventAction(models.TextChoices):
    RECEIVED = "received", _("received")
    ROUTED = "routed", _("routed")
    UNROUTED = "unrouted", _("no rule matched")
    ASSIGNED = "assigned", _("reassigned")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")
    REOPENED = "reopened", _("reopened")


class InquiryEvent(models.Model):
    """The audit trail: who (nobody for the system), when, what, and from what to what."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20, choices=EventAction.choices)
    from_status = models.CharField(max_length=20, choices=InquiryStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=InquiryStatus.choices, blank=True)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Answer(models.Model):
    """An answer to the sender, as it was e-mailed."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("answer"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class MailKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement to the sender")
    NOTIFICATION = "notification", _("notice to the responsible person")
    ANSWER = "answer", _("answer to the sender")


class MailStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutgoingMail(models.Model):
    """The outbox: every e-mail is stored, rendered in its reader's language, before it is sent.

    A failed attempt leaves it ``failed`` with the error; ``send_inquiry_mail`` tries again.
    """

    inquiry = models.ForeignKey(
        Inquiry, on_delete=models.CASCADE, null=True, blank=True, related_name="mails"
    )
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    to = models.EmailField(max_length=EMAIL_MAX)
    reply_to = models.EmailField(max_length=EMAIL_MAX, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="nb")
    status = models.CharField(
        max_length=20, choices=MailStatus.choices, default=MailStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
