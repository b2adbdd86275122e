"""Organisations and facilities, with dated status history and versioned capacity plans."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from battkomp.core.terms import STATUSES
from battkomp.core.validators import (
    validate_county,
    validate_org_number,
    validate_region,
    validate_segment,
)


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    EDUCATION = "education", _("Education institution")
    RESEARCH = "research", _("Research institute")
    CLUSTER = "cluster", _("Cluster")
    UNION = "union", _("Union")
    AUTHORITY = "authority", _("Authority")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"), max_length=9, blank=True, validators=[validate_org_number]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    segments = models.JSONField(_("value-chain segments"), default=list, blank=True)
    county = models.CharField(_("county"), max_length=8, blank=True, validators=[validate_county])
    synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        help_text=_(
            "The organisation that answers the survey for this one, e.g. its parent company. "
            "A parent's answer covers its whole group, so nothing is counted twice."
        ),
    )
    battery_staff = models.PositiveIntegerField(
        _("staff in the battery value chain"),
        null=True,
        blank=True,
        help_text=_(
            "Registered staff in the battery value chain: the organisation's size in the "
            "survey's frame. Non-respondents are imputed from respondents of the same segment "
            "and size. Leave blank if all its battery activity is in subsidiaries."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_number"], condition=~models.Q(org_number=""), name="unique_org_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_institution(self) -> bool:
        return self.kind == OrganisationKind.EDUCATION


class FacilityStatusChoice(models.TextChoices):
    # names from the terminology source (core/terms.py)
    ANNOUNCED = "announced", STATUSES["facility_status"]["announced"][0]
    FID = "fid", STATUSES["facility_status"]["fid"][0]
    CONSTRUCTION = "construction", STATUSES["facility_status"]["construction"][0]
    OPERATING = "operating", STATUSES["facility_status"]["operating"][0]
    PAUSED = "paused", STATUSES["facility_status"]["paused"][0]
    CANCELLED = "cancelled", STATUSES["facility_status"]["cancelled"][0]


class Facility(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    segment = models.CharField(_("segment"), max_length=40, validators=[validate_segment])
    region = models.CharField(_("region"), max_length=8, validators=[validate_region])
    start_year = models.PositiveSmallIntegerField(
        _("planned start of production"),
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    # blank: the default of the facility's status (the engine's facility_status table)
    realisation_probability = models.FloatField(
        _("realisation probability"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    delay_min = models.PositiveSmallIntegerField(_("shortest delay (years)"), null=True, blank=True)
    delay_mode = models.PositiveSmallIntegerField(
        _("most likely delay (years)"), null=True, blank=True
    )
    delay_max = models.PositiveSmallIntegerField(_("longest delay (years)"), null=True, blank=True)
    # the share of the planned capacity built if the plant goes ahead (blank: the status default)
    share_low = models.FloatField(
        _("lowest share of the plan built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    share_mode = models.FloatField(
        _("most likely share of the plan built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    share_high = models.FloatField(
        _("highest share of the plan built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    ramp_offset = models.PositiveSmallIntegerField(
        _("staffing-ramp years ahead of the default ramp"),
        default=0,
        validators=[MaxValueValidator(20)],
    )
    intensity = models.FloatField(
        _("jobs per GWh (blank: segment default)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0)],
    )
    # what the owner announced, compared with the model's full staffing (not in the equations)
    announced_jobs = models.FloatField(
        _("direct jobs announced for the full plan"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0)],
    )
    source = models.TextField(_("source"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name

    def current_status(self) -> FacilityStatus | None:
        return self.statuses.order_by("-date", "-id").first()

    def current_plan(self) -> CapacityPlan | None:
        return self.plans.order_by("-version").first()


class FacilityStatus(models.Model):
    """One dated status; the history is never edited, only added to."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("status"), max_length=20, choices=FacilityStatusChoice.choices)
    date = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility", "-date", "-id"]


class CapacityPlan(models.Model):
    """A version of a facility's capacity plan; editing a plan adds a version."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField()
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "version"], name="unique_plan_version"),
        ]


class CapacityPlanYear(models.Model):
    plan = models.ForeignKey(CapacityPlan, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    capacity = models.FloatField(validators=[MinValueValidator(0.0)])

    class Meta:
        ordering = ["plan", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="unique_plan_year"),
        ]
