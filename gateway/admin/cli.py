"""`python -m gateway admin create|set-password`: console accounts from the command line.

The password comes from `--password`, else it is prompted for twice on a terminal, else read
as the first line of stdin (`printf '%s\\n' "$PW" | python -m gateway admin create ...`), so
it need not appear in the process list or shell history. Both commands are audited with the
actor `cli`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from gateway.admin import auth
from gateway.admin.errors import AdminError, InvalidForm
from gateway.config import Settings
from gateway.db.oneshot import run_job


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="admin console accounts: create, set-password")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a console user (admin or auditor)")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in auth.Role])
    create.add_argument("--password", help="prompted for (or read from stdin) when omitted")
    create.set_defaults(func=_create)
    reset = actions.add_parser("set-password",
                               help="replace a password; also unlocks and ends sessions")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password", help="prompted for (or read from stdin) when omitted")
    reset.set_defaults(func=_set_password)


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
