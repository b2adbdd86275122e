"""Survey rounds (BattKOMP phase 1, made continuous): who is asked, their answers and revisions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from battkomp.core.validators import validate_area, validate_level, validate_role


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Round(models.Model):
    name = models.CharField(_("name"), max_length=200)
    first_year = models.PositiveSmallIntegerField(
        _("first year asked about"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    last_year = models.PositiveSmallIntegerField(
        _("last year asked about"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    opens_on = models.DateField(_("opens on"))
    deadline = models.DateField(_("deadline"))
    questionnaire_version = models.CharField(_("questionnaire version"), max_length=20, default="1")
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class ParticipantStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    OPENED = "opened", _("Opened")
    IN_PROGRESS = "in_progress", _("In progress")
    REMINDED = "reminded", _("Reminded")
    SUBMITTED = "submitted", _("Submitted")


class Participant(models.Model):
    """An organisation invited to a round, and how far it has come."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(
        "actors.Organisation", on_delete=models.PROTECT, related_name="participations"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.INVITED,
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation"], name="unique_participant"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.round}"


class Response(models.Model):
    """An organisation's answer to a round: general questions plus need lines."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="response"
    )
    access_is_challenge = models.BooleanField(
        _("Is access to battery competence a challenge for you?"), null=True, blank=True
    )
    comments = models.TextField(_("comments"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return str(self.participant)

    def submitted_revision(self) -> Revision | None:
        """The latest submission: what the organisation has actually handed in. Changes saved
        after it are a revision in progress until submitted again (the status stays submitted),
        so readers of submitted answers take the snapshot, not the live lines."""
        return self.revisions.filter(kind=RevisionKind.SUBMIT).order_by("-number").first()


class NeedLine(models.Model):
    """Need for one role × education level × competence area × year."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="lines")
    role = models.CharField(_("role"), max_length=40, validators=[validate_role])
    level = models.CharField(_("education level"), max_length=10, validators=[validate_level])
    area = models.CharField(_("competence area"), max_length=40, validators=[validate_area])
    year = models.PositiveSmallIntegerField(_("year"))
    # Blank while a response is saved partially; submitting requires both for every year.
    new_hires = models.PositiveIntegerField(_("new hires needed"), null=True, blank=True)
    total_staff = models.PositiveIntegerField(_("total staff"), null=True, blank=True)
    recruit_difficulty = models.PositiveSmallIntegerField(
        _("how hard to recruit (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    share_abroad = models.FloatField(
        _("share expected from abroad"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    critical_competences = models.TextField(_("critical competences"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # The planned plant the answer is for (blank: the organisation as a whole). An answer for a
    # facility that is not operating counts at its realisation (docs/model.md 4.3). Only a
    # facility of the answering organisation or its subsidiaries (checked by the actions).
    facility = models.ForeignKey(
        "actors.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="need_lines",
    )

    class Meta:
        ordering = ["year", "role", "level", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "role", "level", "area", "year"], name="unique_need_line"
            ),
        ]


class RevisionKind(models.TextChoices):
    SAVE = "save", _("Saved")
    SUBMIT = "submit", _("Submitted")
    IMPORT = "import", _("Imported")


class Revision(models.Model):
    """A snapshot of a response each time it is saved, imported or submitted; never changed."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=RevisionKind.choices)
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["response", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="unique_revision"),
        ]


class InterviewNote(models.Model):
    """An analyst's note from an interview; only analysts see these."""

    organisation = models.ForeignKey(
        "actors.Organisation", on_delete=models.CASCADE, related_name="interview_notes"
    )
    round = models.ForeignKey(
        Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="interview_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    areas = models.JSONField(_("competence areas"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
