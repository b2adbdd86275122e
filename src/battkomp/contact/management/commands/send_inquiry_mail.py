"""Send the inquiry e-mails that are still in the outbox: never sent, or failed before. Each run
also clears the client addresses older than the retention (as ``purge_inquiry_addresses`` does),
so the cron line that sends the mail keeps the retention too."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from battkomp.contact import conf
from battkomp.contact.actions import (
    do_purge_client_addresses,
    do_send_pending_mail,
    mail_given_up,
)


class Command(BaseCommand):
    help = (
        "Send the inquiry e-mails (acknowledgements, notices and answers) that are pending or "
        "failed and have attempts left; a failure stays in the outbox for the next run. Also "
        "clears the client addresses of inquiries older than BATTKOMP_INQUIRY_IP_RETENTION_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=None,
            metavar="N",
            help=(
                "give up on an e-mail after N attempts in all "
                "(default: BATTKOMP_INQUIRY_MAIL_MAX_ATTEMPTS, 8)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="list what would be sent (and count the addresses to clear); change nothing",
        )

    def handle(self, *args: Any, max_attempts: int | None, dry_run: bool, **options: Any) -> None:
        if max_attempts is not None and max_attempts < 1:
            msg = "--max-attempts must be at least 1"
            raise CommandError(msg)
        limit = conf.mail_max_attempts() if max_attempts is None else max_attempts
        results = do_send_pending_mail(max_attempts=limit, dry_run=dry_run)
        sent = failed = 0
        for r in results:
            m = r.mail
            what = f"#{m.pk} {m.kind} to {m.to} (inquiry {m.inquiry_id})"
            if dry_run:
                self.stdout.write(f"would send  {what}, {m.attempts} attempt(s) so far")
            elif r.sent:
                sent += 1
                self.stdout.write(f"sent  {what}")
            else:
                failed += 1
                self.stdout.write(f"failed  {what}: {m.last_error or m.status}")
        # After sending, so that a problem here never holds the mail back.
        purged = do_purge_client_addresses(dry_run=dry_run)
        if purged:
            verb = "would clear" if dry_run else "cleared"
            self.stdout.write(
                f"{verb} {purged} client address(es) of inquiries older than the retention"
            )
        given_up = mail_given_up(limit)
        for m in given_up:
            self.stderr.write(
                f"given up  #{m.pk} {m.kind} to {m.to} (inquiry {m.inquiry_id}) after "
                f"{m.attempts} attempts: {m.last_error}"
            )
        if dry_run:
            self.stdout.write(f"dry run: {len(results)} e-mail(s) would be sent; nothing sent")
            return
        summary = f"{sent} sent, {failed} failed, {len(given_up)} given up"
        self.stdout.write(self.style.SUCCESS(summary) if not failed else summary)
