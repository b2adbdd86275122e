"""State changes of the analysis app: the bundle download (it writes the access log), scenarios,
and model runs (created, run inline or in the background, results stored)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from battkomp.accounts.access import log_access, require_analyst
from battkomp.actors.models import Facility
from battkomp.analysis.models import (
    INLINE_MAX_DRAWS,
    MAX_DRAWS,
    ModelRun,
    ModelRunFrame,
    RunStatus,
    Scenario,
    ScenarioOverride,
)
from battkomp.analysis.runs.bundle_export import (
    build_bundle,
    collect_bundle,
    latest_round,
    log_bundle_access,
    write_xlsx,
    write_zip,
)
from battkomp.analysis.runs.queries import to_parquet
from battkomp.analysis.runs.scenarios import RESERVED_NAMES, check_scenario
from battkomp.engine.problems import BundleError
from battkomp.survey.models import Round

logger = logging.getLogger(__name__)

FORMATS = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class BundleFile:
    filename: str
    content_type: str
    content: bytes
    organisations: int


@dataclass(frozen=True)
class Bundle:
    """What the access log names when a bundle is built without a survey round."""

    pk: str = ""


@transaction.atomic
def do_export_bundle(user: Any, *, round: Round | None, fmt: str = "zip") -> BundleFile:
    """Build the engine input bundle for an analyst and log the read of every company's answers.

    Raises Http404 for anyone but analysts and administrators, ValueError for an unknown format.
    """
    require_analyst(user)
    if fmt not in FORMATS:
        msg = f"unknown format {fmt!r} (known: {', '.join(FORMATS)})"
        raise ValueError(msg)
    contents = collect_bundle(round)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    which = f"round{contents.round.pk}-" if contents.round else ""
    base = f"battkomp-bundle-{which}{stamp}"
    content = write_zip(contents, base) if fmt == "zip" else write_xlsx(contents)
    log_bundle_access(user, contents, f"download {fmt}")
    log_access(
        user,
        "download_bundle",
        contents.round or Bundle(),
        None,
        f"{fmt}; answers of {len(contents.respondents)} organisations",
    )
    return BundleFile(f"{base}.{fmt}", FORMATS[fmt], content, len(contents.respondents))


# ------------------------------------------------------------------------------------ scenarios


@transaction.atomic
def do_save_scenario(
    user: Any,
    scenario: Scenario | None,
    *,
    name: str,
    description: str = "",
    weight: float = 1.0,
    overrides: str = "",
    excluded: list[Facility] | tuple[Facility, ...] = (),
) -> Scenario:
    """Create or change a scenario; ``overrides`` is the text of the form (one override a line,
    see :mod:`battkomp.analysis.runs.scenarios`).

    The scenario is checked by the engine on a bundle built from the database before anything is
    saved; raises ValidationError listing every problem (with its line), Http404 for anyone but
    analysts and administrators.
    """
    require_analyst(user)
    if name in RESERVED_NAMES:
        raise ValidationError(
            _("“%(name)s” means something else on the run page; choose another name.")
            % {"name": name}
        )
    _spec, lines, errors = check_scenario(
        name=name, weight=weight, description=description, text=overrides, excluded=list(excluded)
    )
    if errors:
        raise ValidationError(errors)
    if scenario is None:
        scenario = Scenario(created_by=user)
    scenario.name = name
    scenario.description = description
    scenario.weight = weight
    scenario.save()
    scenario.overrides.all().delete()
    ScenarioOverride.objects.bulk_create(
        [
            ScenarioOverride(scenario=scenario, position=i, **o.row())
            for i, o in enumerate(lines, start=1)
        ]
    )
    scenario.excluded_facilities.set(excluded)
    return scenario


@transaction.atomic
def do_load_demo_scenarios(user: Any = None) -> int:
    """The demo bundle's scenarios (low / mid / high) with their overrides, if there is no
    scenario yet; returns how many were created. Overrides of rows this database does not have
    are left out (as the bundle export does), so the scenarios always pass the engine's checks."""
    if Scenario.objects.exists():
        return 0
    contents = collect_bundle(None)
    created = 0
    for row in contents.tables["scenarios"]:
        scenario = Scenario.objects.create(
            name=row["name"],
            weight=float(row["weight"]),
            description=row.get("description") or "",
            created_by=user,
        )
        own = [r for r in contents.tables["scenario_overrides"] if r["scenario"] == row["name"]]
        ScenarioOverride.objects.bulk_create(
            [
                ScenarioOverride(
                    scenario=scenario,
                    position=i,
                    table=r["table"],
                    key=r["key"],
                    column=r["column"],
                    value=r["value"],
                    source=r.get("source") or "",
                )
                for i, r in enumerate(own, start=1)
            ]
        )
        created += 1
    return created


# ----------------------------------------------------------------------------------- model runs


def do_create_run(
    user: Any,
    *,
    scenario: Scenario | None = None,
    weighted: bool = False,
    round: Round | None = None,
    draws: int = 1000,
    seed: int = 0,
    command: bool = False,
) -> ModelRun:
    """A queued model run: ``scenario`` (or ``weighted``: all scenarios by their weights;
    neither: the bundle as it is) on the submitted answers of ``round`` (None: the latest).

    Http404 for anyone but analysts and administrators (``command=True``: the management
    command, run by whoever operates the server). ValidationError for draws or seed out of range.
    """
    if not command:
        require_analyst(user)
    if scenario is not None and weighted:
        msg = "a run has either one scenario or all of them weighted"
        raise ValueError(msg)
    if not 1 <= draws <= MAX_DRAWS:
        raise ValidationError(
            _("Draws must be between 1 and %(max)s.") % {"max": MAX_DRAWS}, code="draws"
        )
    if seed < 0:
        raise ValidationError(_("The seed must be 0 or more."), code="seed")
    return ModelRun.objects.create(
        scenario=scenario,
        scenario_name=scenario.name if scenario else ("weighted" if weighted else "base"),
        weighted=weighted,
        round=round if round is not None else latest_round(),
        draws=draws,
        seed=seed,
        progress_total=draws,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def do_start_run(
    user: Any,
    *,
    scenario: Scenario | None = None,
    weighted: bool = False,
    round: Round | None = None,
    draws: int = 1000,
    seed: int = 0,
    background: bool | None = None,
) -> ModelRun:
    """Create a model run (see :func:`do_create_run`) and start it.

    Small runs (``draws`` ≤ INLINE_MAX_DRAWS) run at once, unless ``background=True``; others
    run in a separate process (``python -m django run_model --run ID``), started once the
    current transaction commits. Returns the run (done or failed if it ran inline).
    """
    run = do_create_run(
        user, scenario=scenario, weighted=weighted, round=round, draws=draws, seed=seed
    )
    if background is None:
        background = draws > INLINE_MAX_DRAWS
    if background:
        run_id = run.pk
        transaction.on_commit(lambda: launch_run(run_id))
        return run
    return do_execute_run(run)


def run_environment() -> dict[str, str]:
    """The environment of a background run: this process's, with the settings module, the data
    folder and the database made explicit."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE
    )
    env["BATTKOMP_DATA_DIR"] = str(getattr(settings, "DATA_DIR", ""))
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_command(run_id: int) -> list[str]:
    return [sys.executable, "-m", "django", "run_model", "--run", str(run_id)]


def launch_run(run_id: int) -> subprocess.Popen[bytes] | None:
    """Start ``run_model --run ID`` in the background; if it cannot start, the run fails."""
    try:
        return subprocess.Popen(
            run_command(run_id),
            env=run_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        logger.exception("model run %s: the background process did not start", run_id)
        ModelRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED,
            error=f"The background process did not start: {exc}",
            finished_at=timezone.now(),
        )
        return None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, BundleError):
        lines = "\n".join(f"- {m}" for m in exc.messages("en"))
        return f"The input bundle built from the database has problems:\n{lines}"
    if isinstance(exc, ModelRunError):
        return str(exc)
    return f"The model failed: {type(exc).__name__}: {exc}"


class ModelRunError(Exception):
    """A run that cannot be carried out as asked (e.g. its scenario was deleted)."""


def do_execute_run(run: ModelRun, *, executor: Executor | None = None) -> ModelRun:
    """Carry out a queued run: build the bundle from the database into a temporary folder, run
    the model (progress stored every few blocks), store every result frame as Parquet and the
    metadata; on any failure the run is marked failed with the error. Returns the run."""
    from battkomp.engine.results import run_model

    run.status = RunStatus.RUNNING
    run.started_at = timezone.now()
    run.progress_done = 0
    run.progress_total = run.draws
    run.error = ""
    run.save(update_fields=["status", "started_at", "progress_done", "progress_total", "error"])

    def progress(done: int, total: int) -> None:
        ModelRun.objects.filter(pk=run.pk).update(progress_done=done, progress_total=total)

    try:
        if run.scenario_id is not None:
            scenario = Scenario.objects.filter(pk=run.scenario_id).first()
            if scenario is None:
                msg = f"The scenario {run.scenario_name!r} no longer exists."
                raise ModelRunError(msg)
            run.scenario_name = scenario.name
        elif run.weighted is False and run.scenario_name not in ("base", ""):
            msg = f"The scenario {run.scenario_name!r} no longer exists."
            raise ModelRunError(msg)
        name = run.scenario_name if run.scenario_id is not None else None
        with tempfile.TemporaryDirectory(prefix=f"battkomp-run-{run.pk}-") as tmp:
            folder = build_bundle(
                Path(tmp) / "bundle",
                round=run.round if run.round_id is not None else None,
                user=run.created_by,
                detail=f"model run #{run.pk}",
            )
            result = run_model(
                folder,
                name,
                weighted=run.weighted,
                draws=run.draws,
                seed=run.seed,
                executor=executor,
                progress=progress,
            )
        frames = [
            ModelRunFrame(run=run, name=frame_name, data=to_parquet(df))
            for frame_name, df in result.frames.items()
        ]
        with transaction.atomic():
            run.frames.all().delete()
            ModelRunFrame.objects.bulk_create(frames)
            run.meta = {k: _json(v) for k, v in result.meta.items()}
            run.input_hash = str(result.meta["input_hash"])
            run.battkomp_version = str(result.meta["battkomp_version"])
            run.status = RunStatus.DONE
            run.progress_done = run.progress_total = run.draws
            run.finished_at = timezone.now()
            run.save()
    except Exception as exc:  # every failure is recorded on the run
        logger.warning("model run %s failed", run.pk, exc_info=True)
        run.status = RunStatus.FAILED
        run.error = _error_text(exc)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "scenario_name"])
    return run


def _json(value: object) -> object:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
