"""manage.py create_api_client NAME --restaurant SLUG [--restaurant SLUG ...]: a booking platform's client and
its token, scoped to those restaurants."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand
from tenancy.models import Role
from tenancy.services import api_client_create


class Command(MaitreCommand):
    help = "Create an API client (a user with a token) that may use only the given restaurants; prints the token."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name (its user name)")
        parser.add_argument(
            "--restaurant",
            action="append",
            required=True,
            metavar="SLUG",
            help="A restaurant the client may use (repeat for several).",
        )
        parser.add_argument("--role", default=Role.PLATFORM, choices=Role.values, help="the client's role")

    def handle(self, *args, name, restaurant, role, **options):
        try:
            _user, key = api_client_create(name=name, restaurant_slugs=restaurant, role=role)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stderr.write(f"API client {name!r} may use: {', '.join(dict.fromkeys(restaurant))}")
        self.stdout.write(key)
