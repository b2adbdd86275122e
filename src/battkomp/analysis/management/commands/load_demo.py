"""Load the demo data and the demo accounts (safe to run again: adds only what is missing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from battkomp.demo import load_demo, logins_text


class Command(BaseCommand):
    help = (
        "Load the demo: the organisations, facilities and education offers of the demo bundle, "
        "a survey round answered by FICTIONAL companies, and a demo account for every role. "
        "Running it again adds only what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo()
        if summary.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data added: {summary.created_text()}."))
        else:
            self.stdout.write("The demo data is already loaded; nothing added.")
        self.stdout.write(logins_text(summary))
