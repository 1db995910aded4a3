"""`python -m gateway admin create|set-password|token`: console accounts and API tokens.

    admin create --username U --role admin|operator|auditor [--password P]
    admin set-password --username U [--password P]
    admin token create --username U --name N [--read-only]   (prints the token once)
    admin token revoke --id admtok_...
    admin token list [--username U]

The password comes from `--password`, else it is prompted for twice on a terminal, else read
as the first line of stdin (`printf '%s\\n' "$PW" | python -m gateway admin create ...`), so
it need not appear in the process list or shell history. Both commands are audited with the
actor `cli`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TextIO

from gateway.admin import auth
from gateway.admin.errors import AdminError, InvalidForm
from gateway.config import Settings
from gateway.db.oneshot import run_job


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="admin console accounts and API tokens")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a console user (admin, operator, "
                                                "auditor)")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in auth.Role])
    create.add_argument("--password", help="prompted for (or read from stdin) when omitted")
    create.set_defaults(func=_create)
    reset = actions.add_parser("set-password",
                               help="replace a password; also unlocks and ends sessions")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password", help="prompted for (or read from stdin) when omitted")
    reset.set_defaults(func=_set_password)
    _register_tokens(actions)


def _register_tokens(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tokens = actions.add_parser("token", help="API tokens of the JSON API under /admin/api")
    token_actions = tokens.add_subparsers(dest="token_action", required=True)
    create = token_actions.add_parser("create", help="a new token for a user (shown once)")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="what the token is for, e.g. 'erp sync'")
    create.add_argument("--read-only", action="store_true",
                        help="the token only reads, whatever the user's role")
    create.set_defaults(func=_token_create)
    revoke = token_actions.add_parser("revoke", help="end a token at once")
    revoke.add_argument("--id", required=True)
    revoke.set_defaults(func=_token_revoke)
    listing = token_actions.add_parser("list", help="tokens (never their secrets)")
    listing.add_argument("--username")
    listing.set_defaults(func=_token_list)


def read_password(given: str | None, stdin: TextIO | None = None) -> str:
    """The password from the flag, a terminal prompt (twice) or stdin's first line."""
    if given is not None:
        return given
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise InvalidForm("password", "the two entries differ")
        return first
    return stream.readline().rstrip("\r\n")


def _create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = read_password(args.password)
        role = auth.parse_role(args.role)
        user_id = run_job(settings, lambda conn: auth.create_user(
            conn, args.username, password, role))
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(user_id)
    print(f"created {role.value} {auth.normalize_username(args.username)}; sign in at "
          f"{settings.public_url}/admin", file=sys.stderr)
    return 0


def _set_password(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = read_password(args.password)
        run_job(settings, lambda conn: auth.set_password(conn, args.username, password))
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"password replaced for {auth.normalize_username(args.username)}; account unlocked, "
          "its sessions ended", file=sys.stderr)
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    scope = auth.TokenScope.READ if args.read_only else auth.TokenScope.WRITE
    try:
        issued = run_job(settings, lambda conn: auth.create_api_token(
            conn, args.username, args.name, scope))
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(issued.secret)
    print(f"created {scope.value} token {issued.id} for {issued.username}; it is shown only "
          f"this once. Use it as: Authorization: Bearer <token> on {settings.public_url}"
          "/admin/api/", file=sys.stderr)
    return 0


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    try:
        run_job(settings, lambda conn: auth.revoke_api_token(conn, args.id))
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"revoked {args.id}", file=sys.stderr)
    return 0


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rows = run_job(settings, lambda conn: auth.list_api_tokens(conn, args.username))
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps([dict(r.items()) for r in rows], indent=2, default=str))
    return 0
