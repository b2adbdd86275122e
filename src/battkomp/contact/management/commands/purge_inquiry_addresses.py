"""Clear the client address of inquiries older than the retention (the inquiries stay)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from battkomp.contact.actions import client_address_cutoff, do_purge_client_addresses


class Command(BaseCommand):
    help = (
        "Clear the client address stored with each inquiry (for the per-address rate limit) once "
        "the inquiry is older than BATTKOMP_INQUIRY_IP_RETENTION_DAYS (default 30, never shorter "
        "than the rate-limit window). Safe to run again; send_inquiry_mail does this on every run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be cleared; change nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        now = timezone.now()
        cutoff = timezone.localtime(client_address_cutoff(now)).isoformat(timespec="seconds")
        count = do_purge_client_addresses(now=now, dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                f"dry run: {count} client address(es) of inquiries received before {cutoff} "
                "would be cleared; nothing changed"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"cleared {count} client address(es) of inquiries received before {cutoff}"
            )
        )
