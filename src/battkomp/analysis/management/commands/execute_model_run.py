"""Run the model on the platform's data and store the results as a model run."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from battkomp.analysis.models import MAX_DRAWS, ModelRun, RunStatus, Scenario
from battkomp.analysis.runs.actions import (
    ClaimOutcome,
    claim_run,
    do_create_run,
    do_execute_run,
)
from battkomp.analysis.runs.queries import TOTAL_METRICS, load_frames, totals_rows
from battkomp.analysis.runs.tasks import worker_name
from battkomp.survey.models import Round


class Command(BaseCommand):
    help = (
        "Run the model on a bundle built from the database and store the results. Either carry "
        "out a queued run (--run ID, what the model page starts in the background), or create "
        "and run one: --scenario NAME (a scenario of the platform, 'weighted' for all scenarios "
        "by their weights, or 'base' for none) --draws N --seed S [--round ID]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", type=int, default=None, help="Carry out this queued run.")
        parser.add_argument(
            "--scenario",
            default=None,
            help="Scenario name, 'weighted' (all scenarios by weight) or 'base' (none).",
        )
        parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed.")
        parser.add_argument(
            "--round", type=int, default=None, help="Survey round id (default: the latest)."
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Processes for the draws (default 1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = max(1, int(options["workers"]))
        if options["run"] is not None:
            try:
                run = ModelRun.objects.get(pk=options["run"])
            except ModelRun.DoesNotExist:
                msg = f"there is no model run with id {options['run']}"
                raise CommandError(msg) from None
            worker = f"command-{worker_name()}"
            outcome = claim_run(run.pk, worker)
            if outcome == ClaimOutcome.BUSY:
                msg = f"model run #{run.pk} must wait: BATTKOMP_MAX_CONCURRENT_RUNS runs are going"
                raise CommandError(msg)
            if outcome == ClaimOutcome.GONE:
                run.refresh_from_db()
                msg = f"model run #{run.pk} is {run.status}, not queued; retry it or start anew"
                raise CommandError(msg)
            run = self._execute(run, workers, worker)
        else:
            run = self._create_and_run(options, workers)
        self._summary(run)
        if run.status == RunStatus.FAILED:
            msg = f"model run #{run.pk} failed:\n{run.error}"
            raise CommandError(msg)

    def _execute(self, run: ModelRun, workers: int, worker: str | None = None) -> ModelRun:
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                return do_execute_run(run, executor=pool, worker=worker)
        return do_execute_run(run, worker=worker)

    def _create_and_run(self, options: dict[str, Any], workers: int) -> ModelRun:
        name = options["scenario"]
        if not name:
            msg = "give --run ID, or --scenario NAME (or 'weighted' or 'base') to start a run"
            raise CommandError(msg)
        draws, seed = int(options["draws"]), int(options["seed"])
        if not 1 <= draws <= MAX_DRAWS:
            msg = f"--draws must be between 1 and {MAX_DRAWS}"
            raise CommandError(msg)
        if seed < 0:
            msg = "--seed must be 0 or more"
            raise CommandError(msg)
        scenario = None
        if name not in ("weighted", "base"):
            scenario = Scenario.objects.filter(name=name).first()
            if scenario is None:
                known = ", ".join(Scenario.objects.values_list("name", flat=True)) or "none"
                msg = f"there is no scenario {name!r} (known: {known}; or weighted, base)"
                raise CommandError(msg)
        rnd = None
        if options["round"] is not None:
            rnd = Round.objects.filter(pk=options["round"]).first()
            if rnd is None:
                msg = f"there is no survey round with id {options['round']}"
                raise CommandError(msg)
        run = do_create_run(
            None,
            scenario=scenario,
            weighted=name == "weighted",
            round=rnd,
            draws=draws,
            seed=seed,
            command=True,
        )
        self.stdout.write(f"Model run #{run.pk} created; running {draws} draws …")
        return self._execute(run, workers)

    def _summary(self, run: ModelRun) -> None:
        rnd = run.round.name if run.round else "none"
        self.stdout.write(
            f"Model run #{run.pk}: {run.status}\n"
            f"  scenario: {run.scenario_name}   survey round: {rnd}\n"
            f"  draws: {run.draws}   seed: {run.seed}   battkomp {run.battkomp_version or '-'}\n"
            f"  input hash: {run.input_hash or '-'}"
        )
        if run.status != RunStatus.DONE:
            return
        totals = load_frames(run, ["totals"]).get("totals")
        if totals is None:
            return
        head = f"  {'year':>4}" + "".join(f"  {m:>10}" for m in TOTAL_METRICS)
        self.stdout.write("  National totals (mean of the draws):")
        self.stdout.write(head)
        for row in totals_rows(totals):
            cells = "".join(
                f"  {row[m]['mean']:>10.1f}" if m in row else f"  {'-':>10}" for m in TOTAL_METRICS
            )
            self.stdout.write(f"  {row['year']:>4}{cells}")
        self.stdout.write(self.style.SUCCESS(f"Stored {run.frames.count()} result frames."))
