"""Issue and revoke API tokens for machine clients.

qadam api_token create --user NAME --name LABEL [--days N]   (prints the token once)
qadam api_token revoke --user NAME --name LABEL
qadam api_token list --user NAME
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from qadam.core.api_tokens import issue_token
from qadam.core.audit import audit_write
from qadam.core.models import ApiToken, AuditEvent, User
from qadam.core.policies import has_capability


class Command(BaseCommand):
    help = "Create, revoke or list the API tokens of a staff account or machine client."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token and print it once.")
        create.add_argument("--user", required=True, help="Login of the account.")
        create.add_argument("--name", required=True, help="A label for the token.")
        create.add_argument(
            "--days", type=int, default=365, help="Days until it expires (0: never; default 365)."
        )
        revoke = actions.add_parser("revoke", help="Revoke the account's tokens with that label.")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("--name", required=True)
        listing = actions.add_parser("list", help="List the account's tokens (never the secret).")
        listing.add_argument("--user", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No account with the login {options['user']!r}.")
        action = options["action"]
        if action == "create":
            self._create(user, options["name"].strip(), options["days"])
        elif action == "revoke":
            self._revoke(user, options["name"].strip())
        else:
            self._list(user)

    def _create(self, user: User, name: str, days: int) -> None:
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters long.")
        if days < 0:
            raise CommandError("--days must be 0 (never expires) or more.")
        if not user.is_active:
            raise CommandError(f"The account {user.username!r} is not active.")
        if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
            raise CommandError(
                f"{user.username!r} already has an active token named {name!r}; revoke it first."
            )
        token = issue_token(user=user, name=name, valid_days=days or None)
        if not has_capability(user, "use_api"):
            self.stderr.write(
                f"Warning: the role of {user.username!r} does not hold the use_api capability; "
                "the API will refuse this token until it does."
            )
        self.stdout.write(token)
        self.stderr.write("Store this token now: it is shown only once.")

    @transaction.atomic
    def _revoke(self, user: User, name: str) -> None:
        tokens = list(ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True))
        if not tokens:
            raise CommandError(f"{user.username!r} has no active token named {name!r}.")
        now = timezone.now()
        for token in tokens:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit_write(
                actor=None,
                action=AuditEvent.Action.UPDATE,
                verb="API token revoked",
                obj=token,
                details={"for": user.username, "name": name},
            )
        self.stdout.write(f"Revoked {len(tokens)} token(s) named {name!r} of {user.username!r}.")

    def _list(self, user: User) -> None:
        for token in ApiToken.objects.filter(user=user).order_by("created_at"):
            state = (
                "revoked"
                if token.revoked_at
                else (
                    "expired"
                    if token.expires_at and token.expires_at <= timezone.now()
                    else "active"
                )
            )
            expires = token.expires_at.date().isoformat() if token.expires_at else "never"
            self.stdout.write(f"{token.name}\t{state}\texpires {expires}")
