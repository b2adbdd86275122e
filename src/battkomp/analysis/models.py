"""Scenarios and model runs on the platform's data.

A :class:`Scenario` is a named set of changes to the engine's input bundle, exactly the engine's
``scenario_overrides`` format (table, key, column, value; docs/bundle.md), plus a list of facilities
the scenario leaves out. Leaving a facility out is written to the bundle as one more override,
``facilities|<facility>|realisation_probability = 0``: the simplest form the engine already
understands (a facility that is never realised adds no jobs), so the exclusion list needs no change
to the engine. When any scenario exists, every bundle the platform writes holds these scenarios
instead of the demo bundle's.

A :class:`ModelRun` is one run of the engine on a bundle built from the database: one scenario,
all scenarios weighted, or the bundle as it is (base). Its result frames are stored as Parquet in
:class:`ModelRunFrame` rows, with the input hash, seed and battkomp version that make it
reproducible. Runs hold unprotected results of company answers: analysts only.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from battkomp.core.bilingual import (
    Bilingual,
    Text,
    lang_of,
    one_required_constraint,
    pick_from,
    require_one,
)
from battkomp.engine.montecarlo import MAX_DRAWS as ENGINE_MAX_DRAWS
from battkomp.engine.sdc import CANDIDATES

#: The most draws a run on the platform may have: the command line's cap too
#: (``battkomp model run --draws``).
MAX_DRAWS = ENGINE_MAX_DRAWS


class Scenario(models.Model):
    name = models.SlugField(
        _("name"),
        max_length=60,
        unique=True,
        help_text=_("A short code: letters, digits, '_' and '-' (e.g. low, mid, high)."),
    )
    #: the scenario's name for readers (the pages, the report); blank: the code stands in
    title_nb = models.CharField(_("title (bokmål)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    weight = models.FloatField(
        _("weight"),
        default=1.0,
        validators=[MinValueValidator(0.0)],
        help_text=_(
            "The scenario's share of the draws in a weighted run (weights are scaled to sum to 1)."
        ),
    )
    excluded_facilities = models.ManyToManyField(
        "actors.Facility",
        blank=True,
        related_name="excluded_in_scenarios",
        verbose_name=_("facilities left out"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    title = Bilingual()

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> Text:
        """The title in the active language (or the other, marked), else the code."""
        return self.title or Text(self.name, lang_of())

    def titles(self) -> dict[str, str]:
        """Both titles, as a publication keeps them."""
        return {"nb": self.title_nb, "en": self.title_en}


class ScenarioOverride(models.Model):
    """One changed cell: the row of ``table`` whose key columns joined by '|' equal ``key``."""

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("scenario")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    table = models.CharField(_("table"), max_length=60)
    key = models.CharField(_("key"), max_length=200)
    column = models.CharField(_("column"), max_length=60)
    value = models.CharField(_("value"), max_length=200)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["scenario", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "table", "key", "column"], name="analysis_override_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scenario.name}: {self.table}[{self.key}].{self.column} = {self.value}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ModelRun(models.Model):
    scenario = models.ForeignKey(
        Scenario,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("scenario"),
    )
    #: the scenario's name when the run was made (kept if the scenario is renamed or deleted);
    #: "weighted" or "base" when the run has no scenario
    scenario_name = models.CharField(_("scenario"), max_length=60)
    weighted = models.BooleanField(_("all scenarios, weighted"), default=False)
    round = models.ForeignKey(
        "survey.Round",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey round"),
    )
    draws = models.PositiveIntegerField(
        _("draws"), validators=[MinValueValidator(1), MaxValueValidator(MAX_DRAWS)]
    )
    seed = models.BigIntegerField(_("seed"), default=0, validators=[MinValueValidator(0)])
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(_("draws done"), default=0)
    progress_total = models.PositiveIntegerField(_("draws in all"), default=0)
    error = models.TextField(_("error"), blank=True)
    input_hash = models.CharField(_("input hash"), max_length=64, blank=True, db_index=True)
    battkomp_version = models.CharField(_("battkomp version"), max_length=40, blank=True)
    meta = models.JSONField(_("metadata"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: the task worker carrying the run out, and when it last said it is alive; a running run
    #: whose heartbeat is older than BATTKOMP_RUN_STALE_SECONDS has lost its worker
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    #: how many times a worker has started the run (a retry starts it again)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("model run")
        verbose_name_plural = _("model runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.scenario_name}"

    @property
    def is_active(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return int(100 * self.progress_done / self.progress_total)

    def frame(self, name: str) -> Any:
        """One stored result frame as a polars DataFrame (KeyError if the run has none)."""
        import polars as pl

        row = self.frames.filter(name=name).first()
        if row is None:
            raise KeyError(name)
        return pl.read_parquet(io.BytesIO(bytes(row.data)))

    def frame_names(self) -> list[str]:
        """The names of the run's result frames (not its public run's, see
        :mod:`battkomp.analysis.publishing.noise`)."""
        names = self.frames.order_by("name").values_list("name", flat=True)
        return [n for n in names if not n.startswith(("public.", "sdc."))]


class ModelRunInputs(models.Model):
    """The input bundle a run was carried out on, exactly as the model read it: a ZIP of the
    bundle folder's files (deflated, in name order, with fixed dates), so the run can be
    repeated with ``battkomp model run`` however the database changes afterwards. It holds
    companies' answers: analysts only (``access_run_inputs``)."""

    run = models.OneToOneField(ModelRun, on_delete=models.CASCADE, related_name="inputs")
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="bytes of the files before compression")

    def __str__(self) -> str:
        return f"inputs of run {self.run_id}"


class ModelRunFrame(models.Model):
    """One result frame of a run (``ModelResult.frames[name]``), as Parquet bytes."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="frames")
    name = models.CharField(max_length=60)
    data = models.BinaryField()

    class Meta:
        ordering = ["run", "name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="analysis_run_frame_unique")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.name}"


class Publication(models.Model):
    """A published model run: an immutable public snapshot with a version and a date.

    It holds only protected tables (:class:`PublicationTable`), built when it is published
    (``actions.do_publish_run``); nothing in it may change afterwards, and the run it was made
    from cannot be deleted while it exists.
    """

    run = models.ForeignKey(
        ModelRun,
        on_delete=models.PROTECT,
        related_name="publications",
        verbose_name=_("model run"),
    )
    version = models.PositiveIntegerField(_("version"), unique=True)
    title_nb = models.CharField(_("title (bokmål)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    note_nb = models.TextField(_("note (bokmål)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    #: what the run was made with, copied when published (input hash, round, scenario, ...)
    meta = models.JSONField(_("metadata"), default=dict, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [one_required_constraint("title", "analysis_publication_has_title")]

    title = Bilingual()
    note = Bilingual()

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"

    def clean(self) -> None:
        require_one(self, "title", _("Give the publication a title (in bokmål or English)."))

    @property
    def scenario_label(self) -> Text:
        """The scenario of the run, as readers know it: its title as it was when published
        (older snapshots: the scenario's title now), else its code."""
        if self.meta.get("weighted"):
            return Text(gettext("All scenarios, weighted"), lang_of())
        code = str(self.meta.get("scenario") or self.run.scenario_name)
        titles = self.meta.get("scenario_title")
        if not titles:
            scenario = Scenario.objects.filter(name=code).first()
            titles = scenario.titles() if scenario else None
        return pick_from(titles, default=code)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            msg = "a publication is immutable once created"
            raise ValueError(msg)
        super().save(*args, **kwargs)
        # The pages that show the latest publication (the home page) look it up in the shared
        # cache: forget it now, and again when this is committed (another process may have
        # read the old one in between).
        from django.db import transaction

        from battkomp.core.snapshot_cache import forget_latest_publication

        forget_latest_publication()
        transaction.on_commit(forget_latest_publication)

    def table(self, name: str) -> Any:
        """One public table as a polars DataFrame (KeyError if the snapshot has none)."""
        import polars as pl

        row = self.tables.filter(name=name).first()
        if row is None:
            raise KeyError(name)
        return pl.read_parquet(io.BytesIO(bytes(row.data)))

    def table_names(self) -> list[str]:
        return list(self.tables.order_by("name").values_list("name", flat=True))


class PublicationTable(models.Model):
    """One protected public table of a publication, as Parquet bytes; never changed."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="tables")
    name = models.CharField(max_length=60)
    data = models.BinaryField()

    class Meta:
        ordering = ["publication", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "name"], name="analysis_publication_table_unique"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.publication.version}/{self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            msg = "a publication's tables are immutable once created"
            raise ValueError(msg)
        super().save(*args, **kwargs)


class NoiseDraw(models.Model):
    """Which of its keyed draws an organisation's noise factor is under one noise key (balanced
    noise: docs/model.md, "Balanced noise"; docs/decisions.md, 47).

    Chosen when a run first noises the organisation under the key
    (:func:`battkomp.analysis.publishing.draws.choose_draws`) and never chosen again: the
    organisation keeps one factor in every run, scenario and publication, which is what makes
    the difference of two publications only noise. It holds the draw's number and the key's
    fingerprint, never the factor: without the key the number says nothing. A new key (rotated
    on purpose, docs/operations.md) gets draws of its own; the old key's stay."""

    key = models.CharField(max_length=16, help_text="the noise key's fingerprint, not the key")
    contributor = models.CharField(max_length=40, help_text="the organisation's bundle id")
    draw = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(CANDIDATES - 1)], help_text="0 is the plain factor"
    )
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "contributor"]
        constraints = [
            models.UniqueConstraint(fields=["key", "contributor"], name="analysis_noise_draw_once"),
            models.CheckConstraint(
                condition=models.Q(draw__lt=CANDIDATES), name="analysis_noise_draw_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}/{self.contributor}: draw {self.draw}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            msg = "an organisation's noise draw is never chosen again"
            raise ValueError(msg)
        super().save(*args, **kwargs)
