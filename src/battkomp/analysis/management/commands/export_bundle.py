"""Write the platform's data as an engine input bundle: a folder of CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from battkomp.analysis.runs.bundle_export import build_bundle
from battkomp.engine.bundle import check_bundle
from battkomp.survey.models import Round


class Command(BaseCommand):
    help = (
        "Write the platform's data as an engine input bundle (a folder of CSV files): "
        "organisations, facilities, current capacity plans, education offers and the submitted "
        "answers of a survey round (default: the latest). Check it and run the model with "
        "'battkomp model run --bundle DIR'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", required=True, type=Path, help="Folder to write.")
        parser.add_argument(
            "--round", type=int, default=None, help="Survey round id (default: the latest)."
        )
        parser.add_argument(
            "--no-check", action="store_true", help="Do not validate the written bundle."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        round_id = options["round"]
        if round_id is not None and not Round.objects.filter(pk=round_id).exists():
            msg = f"there is no survey round with id {round_id}"
            raise CommandError(msg)
        if output.exists() and not output.is_dir():
            msg = f"{output} exists and is not a folder"
            raise CommandError(msg)
        folder = build_bundle(output, round=round_id)
        self.stdout.write(f"Bundle written to {folder}")
        self.stdout.write((folder / "README.txt").read_text(encoding="utf-8"))
        if options["no_check"]:
            return
        problems = check_bundle(folder)
        if problems:
            for p in problems:
                self.stderr.write(f"  • {p.message('en')}")
            msg = f"the bundle has {len(problems)} problem(s); see above"
            raise CommandError(msg)
        self.stdout.write(self.style.SUCCESS("The model's validation found no problems."))
