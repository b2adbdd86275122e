"""State changes of the analysis app: the bundle download (it writes the access log), scenarios,
and model runs (created, run inline or in the background, results stored)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tempfile
import zipfile
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from battkomp.accounts.actions import log_access
from battkomp.analysis.models import (
    MAX_DRAWS,
    ModelRun,
    ModelRunFrame,
    ModelRunInputs,
    RunStatus,
    Scenario,
    ScenarioOverride,
)
from battkomp.analysis.publishing.draws import choose_draws
from battkomp.analysis.publishing.noise import (
    BASIS_FRAME,
    FINGERPRINT_META,
    PUBLIC_PREFIX,
    basis_frame,
    noise_key,
    noised_bundle,
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
from battkomp.core.codes import taxonomy
from battkomp.core.plausible import range_message
from battkomp.core.users import UserLike, account_of, require_analyst
from battkomp.engine.problems import BundleError
from battkomp.engine.sdc import key_fingerprint
from battkomp.organisations.models import Facility
from battkomp.survey.models import Round
from battkomp.workbooks.exporters import XLSX_CONTENT_TYPE
from battkomp.worker.heartbeat import Heartbeat, fail_task_results
from battkomp.worker.locks import hold

logger = logging.getLogger(__name__)

FORMATS = {
    "zip": "application/zip",
    "xlsx": XLSX_CONTENT_TYPE,
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
def do_export_bundle(user: UserLike, *, round: Round | None, fmt: str = "zip") -> BundleFile:
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
    user: UserLike,
    scenario: Scenario | None,
    *,
    name: str,
    description: str = "",
    weight: float = 1.0,
    overrides: str = "",
    excluded: list[Facility] | tuple[Facility, ...] = (),
    title_nb: str = "",
    title_en: str = "",
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
    message = range_message("scenarios", "weight", weight)
    if message is not None:
        raise ValidationError({"weight": [message]})
    _spec, lines, errors = check_scenario(
        name=name, weight=weight, description=description, text=overrides, excluded=list(excluded)
    )
    if errors:
        raise ValidationError(errors)
    if scenario is None:
        scenario = Scenario(created_by=account_of(user))
    scenario.name = name
    scenario.title_nb = (title_nb or "").strip()
    scenario.title_en = (title_en or "").strip()
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
def do_load_demo_scenarios(user: UserLike | None = None) -> int:
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
            title_nb=row.get("title_nb") or "",
            title_en=row.get("title_en") or "",
            weight=float(row["weight"]),
            description=row.get("description") or "",
            created_by=account_of(user),
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
    user: UserLike,
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
        created_by=account_of(user),
    )


def do_start_run(
    user: UserLike,
    *,
    scenario: Scenario | None = None,
    weighted: bool = False,
    round: Round | None = None,
    draws: int = 1000,
    seed: int = 0,
    background: bool | None = None,
) -> ModelRun:
    """Create a model run (see :func:`do_create_run`) and start it.

    By default (``background`` None or True) the run is queued as a task (``execute_run`` on the
    ``runs`` queue), written in the same transaction as the run, and a task worker carries it out
    (``battkomp manage run_worker``); ``background=False`` carries it out here and now. Returns
    the run (queued, or done or failed if it ran here).
    """
    run = do_create_run(
        user, scenario=scenario, weighted=weighted, round=round, draws=draws, seed=seed
    )
    if background is False:
        return do_execute_run(run)
    enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def enqueue_run(run_id: int, *, delay_seconds: float = 0) -> None:
    """Queue the task that carries out run ``run_id`` (after ``delay_seconds``, where the task
    backend can wait)."""
    from django_tasks import task_backends

    from battkomp.analysis.runs.tasks import execute_run

    task = execute_run
    if delay_seconds:
        if not task_backends[task.backend].supports_defer:
            return  # a backend that cannot wait (tests): the run stays queued
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(run_id)


# --- claiming, heartbeat and runs whose worker died -------------------------------------------

RUN_SLOTS_LOCK = "model-runs"


class ClaimOutcome:
    CLAIMED = "claimed"
    BUSY = "busy"  # BATTKOMP_MAX_CONCURRENT_RUNS runs are going: try again later
    GONE = "gone"  # not queued any more (done, failed, running elsewhere, deleted)


def claim_run(run_id: int, worker: str) -> str:
    """Claim a queued run for ``worker``, atomically: under a lock that every claim takes, count
    the running runs and, if there is a free slot, move this run from queued to running in one
    conditional UPDATE. Two workers can never both claim one run, and never more than
    ``BATTKOMP_MAX_CONCURRENT_RUNS`` go at once."""
    with transaction.atomic():
        hold(RUN_SLOTS_LOCK)
        if not ModelRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).exists():
            return ClaimOutcome.GONE
        running = ModelRun.objects.filter(status=RunStatus.RUNNING).count()
        if running >= settings.BATTKOMP_MAX_CONCURRENT_RUNS:
            return ClaimOutcome.BUSY
        now = timezone.now()
        claimed = ModelRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING,
            worker=worker[:100],
            heartbeat_at=now,
            started_at=now,
            attempts=F("attempts") + 1,
            error="",
        )
    return ClaimOutcome.CLAIMED if claimed else ClaimOutcome.GONE


def do_heartbeat(run_id: int, worker: str) -> bool:
    """Say that ``worker`` is still carrying out the run; False when the run is no longer its
    own (it was declared dead meanwhile)."""
    return bool(
        ModelRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, worker=worker).update(
            heartbeat_at=timezone.now()
        )
    )


def reap_stale_runs() -> int:
    """Mark failed every running run whose worker has sent no heartbeat for
    ``BATTKOMP_RUN_STALE_SECONDS`` (killed by a deploy or the OOM killer, or its machine
    restarted), with that reason; they can be retried. Returns how many."""
    stale = timedelta(seconds=settings.BATTKOMP_RUN_STALE_SECONDS)
    cutoff = timezone.now() - stale
    count = 0
    for run in ModelRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).only(
        "pk", "worker", "heartbeat_at"
    ):
        # Stored with the run, in English like the run's other errors.
        when = timezone.localtime(run.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S")
        reason = (
            f"The worker carrying out this run ({run.worker or '?'}) stopped: no sign of life "
            f"since {when}, more than {settings.BATTKOMP_RUN_STALE_SECONDS} seconds ago. It was "
            "probably stopped by a restart or ran out of memory. Retry the run."
        )
        reaped = ModelRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, heartbeat_at=run.heartbeat_at
        ).update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now())
        if reaped:
            fail_lost_tasks(run.pk, run.worker, reason)
        count += reaped
    if count:
        logger.warning("marked %d model run(s) failed: their worker stopped", count)
    return count


def fail_lost_tasks(run_id: int, worker: str, reason: str) -> int:
    """Mark failed, with ``reason``, the task results (django-tasks' database backend) still
    "running" that died with run ``run_id``'s worker: the run's own ``execute_run`` task, and
    anything else the dead ``worker`` had claimed (a worker carries out one task at a time, so
    that is the same task). Without this they would stay "running" for ever in the admin and in
    ``get_result``. Returns how many."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from battkomp.analysis.runs.tasks import execute_run

    lost = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "task_path", "args_kwargs", "worker_ids"
    ):
        call = result.args_kwargs or {}
        this_run = result.task_path == execute_run.module_path and (
            list(call.get("args") or [])[:1] == [run_id]
            or (call.get("kwargs") or {}).get("run_id") == run_id
        )
        by_dead_worker = bool(worker) and list(result.worker_ids or [])[-1:] == [worker]
        if this_run or by_dead_worker:
            lost.append(result.pk)
    return fail_task_results(lost, reason)


def do_retry_run(user: UserLike, run: ModelRun) -> ModelRun:
    """Queue a failed run again (same scenario, round, draws and seed). Analysts only; a run
    that is not failed cannot be retried (ValidationError)."""
    require_analyst(user)
    with transaction.atomic():
        updated = ModelRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
            status=RunStatus.QUEUED,
            error="",
            progress_done=0,
            worker="",
            heartbeat_at=None,
            started_at=None,
            finished_at=None,
        )
        if not updated:
            raise ValidationError(_("Only a failed run can be retried."), code="status")
        enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, BundleError):
        lines = "\n".join(f"- {m}" for m in exc.messages("en"))
        return f"The input bundle built from the database has problems:\n{lines}"
    if isinstance(exc, ModelRunError):
        return str(exc)
    return f"The model failed: {type(exc).__name__}: {exc}"


class ModelRunError(Exception):
    """A run that cannot be carried out as asked (e.g. its scenario was deleted)."""


def zip_folder(folder: Path) -> tuple[bytes, int]:
    """The files of ``folder`` as a ZIP (deflated, in name order, with fixed dates and modes, so
    the same files give the same bytes) and their size before compression."""
    buffer = io.BytesIO()
    size = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = path.read_bytes()
            size += len(content)
            zf.writestr(info, content, compresslevel=9)
    return buffer.getvalue(), size


ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def rerun_command(run: ModelRun, folder: str = "inputs") -> str:
    """The command that repeats ``run`` on its stored inputs (unzipped into ``folder``)."""
    if run.weighted:
        how = "--weighted"
    elif run.scenario_id is not None or run.scenario_name not in ("base", "", "weighted"):
        how = f"--scenario {run.scenario_name}"
    else:
        how = ""
    parts = ["battkomp model run", f"--bundle {folder}", how, f"--draws {run.draws}"]
    parts += [f"--seed {run.seed}", "-o results/ --format parquet"]
    return " ".join(p for p in parts if p)


def do_execute_run(
    run: ModelRun, *, executor: Executor | None = None, worker: str | None = None
) -> ModelRun:
    """Carry out a run: build the bundle from the database, keep it with the run (compressed,
    see :class:`ModelRunInputs`), run the model (progress stored every few blocks), store every
    result frame as Parquet and the metadata; on any failure the run is marked failed with the
    error. Returns the run.

    ``worker``: the run was claimed by this task worker (:func:`claim_run`), which writes a
    heartbeat while it runs; without it the run is carried out here and now (the command, or
    ``do_start_run(background=False)``)."""
    from battkomp.engine import run_model

    if worker is None:
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.heartbeat_at = run.started_at
        run.attempts += 1
        run.error = ""
        run.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "error"])
    else:
        run.refresh_from_db()
    run.progress_done = 0
    run.progress_total = run.draws
    run.save(update_fields=["progress_done", "progress_total"])

    def progress(done: int, total: int) -> None:
        ModelRun.objects.filter(pk=run.pk).update(
            progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )

    def alive(done: int, total: int) -> None:
        # the public run: the draws are done already, only the heartbeat moves on
        ModelRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())

    beat = (
        Heartbeat(lambda: do_heartbeat(run.pk, worker), f"run-{run.pk}")
        if worker
        else contextlib.nullcontext()
    )
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
        with beat, tempfile.TemporaryDirectory(prefix=f"battkomp-run-{run.pk}-") as tmp:
            folder = build_bundle(
                Path(tmp) / "bundle",
                round=run.round if run.round_id is not None else None,
                user=run.created_by,
                detail=f"model run #{run.pk}",
            )
            archive, size = zip_folder(folder)
            ModelRunInputs.objects.update_or_create(
                run=run,
                defaults={
                    "data": archive,
                    "sha256": hashlib.sha256(archive).hexdigest(),
                    "size": size,
                },
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
            # the public run: the same run on noised answers (battkomp.analysis.publishing.noise)
            key = noise_key()
            public: dict[str, Any] = {}
            if key is not None:
                # each organisation's draw, chosen when a run first noises it under the key
                # and stored (balanced noise, battkomp.analysis.publishing.draws)
                draws = choose_draws(
                    key, basis_frame(folder), result.frames.get("detail"), taxonomy().area_parent
                )
                noised = noised_bundle(folder, Path(tmp) / "public", key, draws)
                public = {
                    f"{PUBLIC_PREFIX}{frame_name}": df
                    for frame_name, df in run_model(
                        noised,
                        name,
                        weighted=run.weighted,
                        draws=run.draws,
                        seed=run.seed,
                        executor=executor,
                        progress=alive,
                    ).frames.items()
                }
                public[BASIS_FRAME] = basis_frame(folder, noised)
        frames = [
            ModelRunFrame(run=run, name=frame_name, data=to_parquet(df))
            for frame_name, df in {**result.frames, **public}.items()
        ]
        with transaction.atomic():
            if (
                worker is not None
                and not ModelRun.objects.filter(
                    pk=run.pk, status=RunStatus.RUNNING, worker=worker
                ).exists()
            ):
                msg = "The run was declared dead while it ran; its results are not kept."
                raise ModelRunError(msg)
            run.frames.all().delete()
            ModelRunFrame.objects.bulk_create(frames)
            run.meta = {k: _json(v) for k, v in result.meta.items()}
            if key is not None:
                run.meta[FINGERPRINT_META] = key_fingerprint(key)
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
