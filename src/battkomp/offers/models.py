"""Education offers (BattKOMP phase 2, made continuous): programmes, courses and modules."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from battkomp.core.bilingual import Bilingual, one_required_constraint, require_one
from battkomp.core.terms import STATUSES
from battkomp.core.validators import (
    validate_area,
    validate_level,
    validate_level_or_evu,
    validate_region,
)


class OfferKind(models.TextChoices):
    PROGRAMME = "programme", _("Programme")
    COURSE = "course", _("Course")
    MODULE = "module", _("Module")
    BRANSJEPROGRAM = "bransjeprogram", _("Bransjeprogram module")


class OfferMode(models.TextChoices):
    CAMPUS = "campus", _("Campus")
    ONLINE = "online", _("Online")
    GATHERINGS = "gatherings", _("Gatherings (samlingsbasert)")


class OfferStatus(models.TextChoices):
    EXISTS = "exists", STATUSES["offer_status"]["exists"][0]
    UNDER_DEVELOPMENT = "under_development", STATUSES["offer_status"]["under_development"][0]
    PLANNED = "planned", STATUSES["offer_status"]["planned"][0]


class Offer(models.Model):
    institution = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        related_name="offers",
        verbose_name=_("institution"),
    )
    code = models.SlugField(_("code"), max_length=80, unique=True)
    name_nb = models.CharField(_("name (bokmål)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    level = models.CharField(_("level"), max_length=10, validators=[validate_level_or_evu])
    target_level = models.CharField(
        _("counts at level (EVU and modules)"),
        max_length=10,
        blank=True,
        validators=[validate_level],
    )
    study_places = models.PositiveIntegerField(_("study places per year"), null=True, blank=True)
    candidates = models.PositiveIntegerField(_("candidates per year"), null=True, blank=True)
    first_intake = models.PositiveSmallIntegerField(
        _("first intake"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    duration_years = models.FloatField(
        _("duration (years)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(10.0)],
    )
    ects = models.FloatField(
        _("ECTS"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(600.0)],
    )
    region = models.CharField(_("location"), max_length=8, validators=[validate_region])
    mode = models.CharField(
        _("mode"), max_length=20, choices=OfferMode.choices, default=OfferMode.CAMPUS
    )
    status = models.CharField(_("status"), max_length=20, choices=OfferStatus.choices)
    completion_rate = models.FloatField(
        _("completion rate"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    capture_share = models.FloatField(
        _("share to the battery industry"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    source = models.TextField(_("source"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: 1 when registered, one more on every save: an edit names the version it was based on and
    #: is refused when someone saved since (no lost updates; see offers.actions.do_save_offer).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["institution__name", "name_nb", "name_en"]
        constraints = [one_required_constraint("name", "offers_offer_has_name")]

    name = Bilingual()

    def __str__(self) -> str:
        return str(self.name)

    def clean(self) -> None:
        require_one(self, "name", _("Give the offer a name (in bokmål or English)."))


class OfferArea(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(_("competence area"), max_length=40, validators=[validate_area])
    weight = models.FloatField(
        _("weight"), validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )

    class Meta:
        ordering = ["offer", "-weight", "area"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "area"], name="unique_offer_area"),
        ]
