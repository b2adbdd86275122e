"""E-mail reminders to organisations that have not submitted their answers to an open round."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from battkomp.survey.actions import do_send_reminders
from battkomp.survey.models import Round, RoundStatus


class Command(BaseCommand):
    help = (
        "Remind the respondents of every invited organisation that has not submitted its answers "
        "to an open round, at most once every --min-days days, now (the task worker does this by "
        "itself on weekdays; the e-mails are queued for it to send)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round",
            type=int,
            dest="round_id",
            metavar="ID",
            help="only this round (it must be open)",
        )
        parser.add_argument(
            "--min-days",
            type=int,
            default=7,
            metavar="N",
            help="days that must pass before the same organisation is reminded again (default 7)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would be sent; send and change nothing",
        )

    def handle(
        self, *args: Any, round_id: int | None, min_days: int, dry_run: bool, **options: Any
    ) -> None:
        if min_days < 0:
            msg = "--min-days cannot be negative"
            raise CommandError(msg)
        round_ = None
        if round_id is not None:
            round_ = Round.objects.filter(pk=round_id).first()
            if round_ is None:
                msg = f"no round with id {round_id}"
                raise CommandError(msg)
            if round_.status != RoundStatus.OPEN:
                msg = f"round {round_id} ({round_.name}) is not open"
                raise CommandError(msg)
        results = do_send_reminders(round_=round_, min_days=min_days, dry_run=dry_run)
        sent = 0
        for r in results:
            where = f"{r.participant.round.name}: {r.participant.organisation.name}"
            if r.skipped:
                self.stdout.write(f"skipped  {where} ({r.skipped})")
            elif dry_run:
                self.stdout.write(f"would remind  {where} -> {', '.join(r.recipients)}")
            else:
                sent += 1
                self.stdout.write(f"reminded  {where} -> {', '.join(r.recipients)}")
        if dry_run:
            would = sum(1 for r in results if not r.skipped)
            self.stdout.write(f"dry run: {would} organisation(s) would be reminded; nothing sent")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{sent} organisation(s) reminded (e-mails queued for the worker)"
                )
            )
