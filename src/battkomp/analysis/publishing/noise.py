"""The platform's side of noise infusion (see :mod:`battkomp.engine.sdc` and docs/model.md,
"Noise infusion"): the secret key, and the public run of a model run.

Every model run is carried out twice when a key is configured: once on the answers as given (the
analysts' run, never published) and once on the answers with each organisation's noise factor
applied (the *public run*, frames stored under :data:`PUBLIC_PREFIX`), with the same bundle,
scenario, draws and seed. Publications are built only from the public run. Which key noised the
public run is recorded (:data:`FINGERPRINT_META`, a fingerprint, not the key), and the answers the
run read are kept with it (:data:`BASIS_FRAME`, confidential like the run's own frames) so that
later publications can be checked against this one (the attacker suite).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from battkomp.engine.attacks import BASIS_SCHEMA, NOISED
from battkomp.engine.quantities import bound
from battkomp.engine.sdc import NoiseParameters, factors, key_fingerprint

#: The name prefix of a run's public (noised) frames.
PUBLIC_PREFIX = "public."
#: The run frame holding the answers the run read (the attacker suite's truth; confidential).
BASIS_FRAME = "sdc.basis"
#: The run's ``meta`` entry naming the key that noised its public run.
FINGERPRINT_META = "sdc_key"
#: The bundle's survey columns that carry an organisation's answers.
ANSWER_COLUMNS = ("new_hires", "total_staff")


class NoKeyError(ValidationError):
    """No noise key is configured (production without BATTKOMP_SDC_KEY)."""


def noise_key() -> bytes | None:
    """The noise key: ``BATTKOMP_SDC_KEY``, else the contents of ``BATTKOMP_SDC_KEY_FILE``, else
    (outside production) the demo key. None in production without a key; a production key equal
    to the demo key, or shorter than 32 characters, is refused."""
    key = settings.BATTKOMP_SDC_KEY.strip()
    path = settings.BATTKOMP_SDC_KEY_FILE.strip()
    if not key and path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NoKeyError(
                _("The noise key file %(path)s cannot be read: %(error)s")
                % {"path": path, "error": exc.strerror or exc},
                code="sdc_key",
            ) from exc
    if not key:
        if settings.PRODUCTION:
            return None
        key = settings.DEMO_SDC_KEY
    if settings.PRODUCTION and (key == settings.DEMO_SDC_KEY or len(key) < 32):
        raise NoKeyError(
            _(
                "The noise key must be a secret of at least 32 characters of its own, not the "
                "demo key (BATTKOMP_SDC_KEY or BATTKOMP_SDC_KEY_FILE; see docs/operations.md)."
            ),
            code="sdc_key",
        )
    return key.encode("utf-8")


def require_key() -> bytes:
    """The noise key, or a clear error saying how to set one."""
    key = noise_key()
    if key is None:
        raise NoKeyError(
            _(
                "No noise key is configured, so nothing can be published: set "
                "BATTKOMP_SDC_KEY or BATTKOMP_SDC_KEY_FILE (see docs/operations.md) and run "
                "the model again."
            ),
            code="sdc_key",
        )
    return key


def fingerprint() -> str | None:
    """The fingerprint of the configured key (None without one)."""
    key = noise_key()
    return key_fingerprint(key) if key is not None else None


def bundle_id(contributor: Any) -> str:
    """The organisation id the noise is keyed on (the bundle's, ``org-<pk>``), from the
    organisation's pk (the contributor of the survey contributions)."""
    text = str(contributor)
    return text if text.startswith("org-") else f"org-{text}"


def noised_bundle(
    folder: Path, dest: Path, key: bytes, draws: Mapping[str, int] | None = None
) -> Path:
    """A copy of the bundle ``folder`` in ``dest`` with every survey answer multiplied by its
    organisation's factor, with its stored draw (``draws``, bundle id → draw:
    :func:`~battkomp.analysis.publishing.draws.choose_draws`; the plain draw where none is
    given). Nothing else changes: which organisation answered which year, and so which
    facilities the survey replaces, stays as it is."""
    shutil.copytree(folder, dest)
    survey = dest / "survey_needs.csv"
    if survey.exists():
        frame = pl.read_csv(survey, infer_schema_length=0)  # every column as text, kept as is
        if frame.height:
            table = factors(key, frame["organisation"].to_list(), choices=draws)
            factor = frame["organisation"].replace_strict(table, return_dtype=pl.Float64)
            frame = frame.with_columns(
                pl.when(pl.col(c).is_null() | (pl.col(c) == ""))
                .then(pl.col(c))
                .otherwise((pl.col(c).cast(pl.Float64) * factor).cast(pl.Utf8))
                .alias(c)
                for c in ANSWER_COLUMNS
                if c in frame.columns
            )
            frame.write_csv(survey)
            _raise_answer_bounds(dest)
    return dest


def _raise_answer_bounds(dest: Path) -> None:
    """Raise the plausible maxima of the answers in the noised copy by the largest factor.

    An answer the bundle accepts (at most its bound) may lie above the bound once multiplied by
    a factor above 1; the public run must read it all the same, or a round with a large answer
    could never be published. The bundle's own ``overrides`` of those bounds are raised alike."""
    grow = 1.0 + NoiseParameters().high
    path = dest / "overrides.csv"
    columns = ["table", "key", "column", "value", "source"]
    if path.exists():
        frame = pl.read_csv(path, infer_schema_length=0)
    else:
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8))
    rows = frame.to_dicts()
    for column in ANSWER_COLUMNS:
        key = f"survey_needs|{column}"
        given = [
            r
            for r in rows
            if r.get("table") == "bounds" and r.get("key") == key and r.get("column") == "maximum"
        ]
        if given:
            for r in given:
                r["value"] = repr(float(str(r["value"])) * grow)
            continue
        try:
            maximum = bound("survey_needs", column).maximum
        except KeyError:
            continue
        row = dict.fromkeys(frame.columns, "")
        row.update(
            table="bounds",
            key=key,
            column="maximum",
            value=repr(maximum * grow),
        )
        if "source" in row:
            row["source"] = "noise infusion: the bound times the largest noise factor"
        rows.append(row)
    pl.DataFrame(rows, schema=dict.fromkeys(frame.columns, pl.Utf8)).write_csv(path)


def basis_frame(folder: Path, noised: Path | None = None) -> pl.DataFrame:
    """The answers a run read (the bundle's ``survey_needs``) as the attacker suite's truth
    (:data:`~battkomp.engine.attacks.BASIS_SCHEMA`; the contributor is the bundle id), with,
    given the noised copy of the bundle (:func:`noised_bundle`), the answers its public run read
    (:data:`~battkomp.engine.attacks.NOISED`), which tell the suite's chance matches from
    recoveries."""
    survey = folder / "survey_needs.csv"
    schema = pl.Schema(BASIS_SCHEMA)
    if noised is not None:
        schema = pl.Schema({**BASIS_SCHEMA, **dict.fromkeys(NOISED.values(), pl.Float64())})
    if not survey.exists():
        return pl.DataFrame(schema=schema)
    frame = pl.read_csv(survey, infer_schema_length=0)
    if not frame.height:
        return pl.DataFrame(schema=schema)
    out = frame.select(
        pl.col("organisation").alias("contributor"),
        "area",
        "level",
        pl.col("year").cast(pl.Int64),
        pl.col("new_hires").cast(pl.Float64).alias("value"),
        pl.col("total_staff").cast(pl.Float64).alias("staff"),
        "segment",
        "region",
    ).cast(BASIS_SCHEMA)
    if noised is not None:
        # the noised copy has the same rows in the same order, only the answers multiplied
        public = pl.read_csv(noised / "survey_needs.csv", infer_schema_length=0)
        if (
            public.height != frame.height
            or public["organisation"].to_list() != frame["organisation"].to_list()
        ):
            msg = "the noised bundle's survey rows do not match the bundle's"
            raise ValueError(msg)
        out = out.with_columns(
            public["new_hires"].cast(pl.Float64).alias(NOISED["value"]),
            public["total_staff"].cast(pl.Float64).alias(NOISED["staff"]),
        )
    return out.cast(schema)


def is_internal(name: str) -> bool:
    """True for the frames of a run that are not the analysts' results (the public run and the
    basis)."""
    return name.startswith((PUBLIC_PREFIX, "sdc."))
