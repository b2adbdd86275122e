"""Measures (the ten commandments, tracked) and the research and test infrastructure register.

A :class:`Measure` is something an actor does to add supply of competence: a capacity boost for
a programme, a bransjeprogram module, a recruitment route. Its status moves through
proposed → agreed → running → done (or dropped); every change is kept in
:class:`MeasureStatusChange` (who, when, from → to). Agreed and running measures are exported
to the model's input bundle (``analysis.runs.bundle_export``): the model counts them.

:class:`Infrastructure` is commandment 8's register of labs, pilot lines and test facilities.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from battkomp.core.bilingual import Bilingual, one_required_constraint, require_one
from battkomp.core.terms import HORIZONS, STATUSES
from battkomp.core.validators import validate_area, validate_level, validate_region


class Horizon(models.TextChoices):
    # names from the terminology source (core/terms.py)
    SHORT = "short", HORIZONS["short"][0]
    MEDIUM = "medium", HORIZONS["medium"][0]
    LONG = "long", HORIZONS["long"][0]


class MeasureStatus(models.TextChoices):
    PROPOSED = "proposed", STATUSES["measure_status"]["proposed"][0]
    AGREED = "agreed", STATUSES["measure_status"]["agreed"][0]
    RUNNING = "running", STATUSES["measure_status"]["running"][0]
    DONE = "done", STATUSES["measure_status"]["done"][0]
    DROPPED = "dropped", STATUSES["measure_status"]["dropped"][0]


#: Statuses everyone may see (the catalogue); proposed and dropped ones only their owner and the
#: secretariat see.
PUBLIC_STATUSES = (MeasureStatus.AGREED, MeasureStatus.RUNNING, MeasureStatus.DONE)
#: Statuses the model counts (see the bundle contract).
COUNTED_STATUSES = (MeasureStatus.AGREED, MeasureStatus.RUNNING)


class Measure(models.Model):
    title_nb = models.CharField(_("title (bokmål)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("owner"),
    )
    commandment = models.PositiveSmallIntegerField(
        _("commandment"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    horizon = models.CharField(_("horizon"), max_length=10, choices=Horizon.choices)
    lever = models.CharField(_("lever"), max_length=20)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MeasureStatus.choices,
        default=MeasureStatus.PROPOSED,
    )
    description_nb = models.TextField(_("description (bokmål)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    places_per_year = models.FloatField(
        _("places per year"), default=0.0, validators=[MinValueValidator(0.0)]
    )
    start_year = models.PositiveSmallIntegerField(
        _("start year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    end_year = models.PositiveSmallIntegerField(
        _("end year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    duration_years = models.FloatField(
        _("duration (years)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(10.0)],
    )
    completion_rate = models.FloatField(
        _("completion rate"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    cost_nok = models.FloatField(
        _("cost (NOK)"), null=True, blank=True, validators=[MinValueValidator(0.0)]
    )
    url = models.URLField(_("link"), max_length=500, blank=True)
    source = models.TextField(_("source"), blank=True)
    synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["commandment", "title_nb", "title_en", "pk"]
        constraints = [one_required_constraint("title", "measures_measure_has_title")]

    title = Bilingual()
    description = Bilingual()

    def __str__(self) -> str:
        return str(self.title)

    def clean(self) -> None:
        require_one(self, "title", _("Give the measure a title (in bokmål or English)."))

    @property
    def bundle_id(self) -> str:
        """The measure's id in a model input bundle."""
        return f"m{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_counted(self) -> bool:
        return self.status in COUNTED_STATUSES


class MeasureTarget(models.Model):
    """A competence area × education level the measure adds supply in, with its weight."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="targets")
    level = models.CharField(_("education level"), max_length=10, validators=[validate_level])
    area = models.CharField(_("competence area"), max_length=40, validators=[validate_area])
    weight = models.FloatField(
        _("weight"), validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )

    class Meta:
        ordering = ["measure", "-weight", "level", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "level", "area"], name="measures_unique_target"
            ),
        ]


class MeasureStatusChange(models.Model):
    """One status change of a measure (also its registration, from ""); never edited."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        _("from"), max_length=10, blank=True, choices=MeasureStatus.choices
    )
    to_status = models.CharField(_("to"), max_length=10, choices=MeasureStatus.choices)
    note = models.TextField(_("note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure", "changed_at", "pk"]


class InfrastructureKind(models.TextChoices):
    LAB = "lab", _("Laboratory")
    PILOT_LINE = "pilot_line", _("Pilot line")
    TEST_FACILITY = "test_facility", _("Test facility")
    TRAINING = "training", _("Training facility")
    OTHER = "other", _("Other")


class Infrastructure(models.Model):
    """A research or test facility (commandment 8): labs, pilot lines, test centres.

    Registrations by an organisation's own people wait for an analyst's approval
    (``approved``); only approved, public entries are listed for everyone.
    """

    name_nb = models.CharField(_("name (bokmål)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="infrastructure",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(_("owner (if not registered)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=InfrastructureKind.choices)
    region = models.CharField(_("region"), max_length=8, validators=[validate_region])
    place = models.CharField(_("place"), max_length=120, blank=True)
    areas = models.JSONField(_("capabilities (competence areas)"), default=list, blank=True)
    description_nb = models.TextField(_("description (bokmål)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    access_terms_nb = models.TextField(_("access terms (bokmål)"), blank=True)
    access_terms_en = models.TextField(_("access terms (English)"), blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    public = models.BooleanField(_("public"), default=True)
    approved = models.BooleanField(_("approved"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    source = models.TextField(_("source"), blank=True)
    synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_nb", "name_en", "pk"]
        verbose_name_plural = "infrastructure"
        constraints = [one_required_constraint("name", "measures_infrastructure_has_name")]

    name = Bilingual()
    description = Bilingual()
    access_terms = Bilingual()

    def __str__(self) -> str:
        return str(self.name)

    def clean(self) -> None:
        require_one(self, "name", _("Give the facility a name (in bokmål or English)."))

    @property
    def owner_label(self) -> str:
        return self.owner.name if self.owner_id else self.owner_name
