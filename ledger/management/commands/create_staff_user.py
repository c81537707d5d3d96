"""Create a staff user, or give an existing one more roles (docs/permissions.md).

    manage.py create_staff_user ana --role case_manager
    STAFF_PASSWORD=… manage.py create_staff_user ana --role approver --password-env STAFF_PASSWORD
    manage.py create_staff_user ana --reset-second-factor

A new user needs a password: read from the environment variable named by --password-env,
or asked for twice at the terminal. The user sets up an authenticator app at first login.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ledger.staff import accounts as staff_accounts
from ledger.staff.roles import Role


class Command(BaseCommand):
    help = "Create a staff user with roles, or add roles to an existing one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            choices=[role.value for role in Role],
            help="A role to grant; repeat for several.",
        )
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="Read the password from this environment variable instead of asking.",
        )
        parser.add_argument(
            "--reset-second-factor",
            action="store_true",
            help="Forget the user's authenticator app and recovery codes (a lost phone): "
            "they set up a new app at their next login.",
        )

    def handle(self, *args, username: str, role: list[str], password_env: str | None, **options):
        roles = [Role(value) for value in role]
        user_model = get_user_model()
        existing = user_model.objects.filter(username=username).first()
        if existing is None and not roles:
            raise CommandError("A new staff user needs at least one --role.")
        if existing is None and options["reset_second_factor"]:
            raise CommandError(f"There is no user named {username!r}.")

        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or unset.")
        elif existing is None:
            password = self._ask_password()
        if password is not None:
            try:
                validate_password(password, user=existing or user_model(username=username))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages))

        if roles or password is not None:
            user, created = staff_accounts.staff_user_save(
                username=username, roles=roles, password=password
            )
            held = sorted(user.groups.values_list("name", flat=True))
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} staff user {username} (roles: {', '.join(held)}).")
        if options["reset_second_factor"]:
            staff_accounts.second_factor_reset(user=existing)
            self.stdout.write(
                f"Forgot the second factor of {username}: they set up a new app at next login."
            )
        elif not roles and password is None:
            raise CommandError(
                "Nothing to do: give --role, --password-env or --reset-second-factor."
            )

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: use --password-env.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
