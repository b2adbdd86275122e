"""``invite``: invite a person from the command line and print the link (for bootstrapping).

python -m django invite --email ada@example.org --role admin
python -m django invite --email per@cellco.no --role respondent --organisation-id 3
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from battkomp.accounts.actions import do_invite
from battkomp.core.users import Role
from battkomp.organisations.models import Organisation


class Command(BaseCommand):
    help = "Invite a person by e-mail to a role (and organisation) and print the accept link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the person's e-mail address")
        parser.add_argument("--role", required=True, choices=Role.values, help="the role")
        parser.add_argument(
            "--organisation-id",
            type=int,
            default=None,
            help="the organisation (respondents and editors need one)",
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the e-mail and the link",
        )
        parser.add_argument(
            "--no-email", action="store_true", help="only print the link; send no e-mail"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options["organisation_id"] is not None:
            try:
                organisation = Organisation.objects.get(pk=options["organisation_id"])
            except Organisation.DoesNotExist:
                msg = f"no organisation with id {options['organisation_id']}"
                raise CommandError(msg) from None
        try:
            invitation, link = do_invite(
                None,
                options["email"],
                options["role"],
                organisation,
                language=options["language"],
                send_email=not options["no_email"],
            )
        except ValidationError as exc:
            problems = [
                f"{field}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
            raise CommandError("; ".join(problems)) from None
        except OSError as exc:
            msg = f"the e-mail could not be sent ({exc}); nothing was saved; try --no-email"
            raise CommandError(msg) from None
        self.stdout.write(
            f"Invitation for {invitation.email} ({invitation.role}), "
            f"expires {timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M %Z}:"
        )
        self.stdout.write(link)
