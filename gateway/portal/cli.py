"""`python -m gateway merchant-user invite --merchant mch_… --email …`: a zone administrator
makes a merchant owner's one-time invite link. The link is printed once; only its hash is
stored, it works once and expires (72 h). Audited in the merchant's log with the actor
`zone-admin:cli`.
"""

from __future__ import annotations

import argparse
import sys

from gateway.config import Settings
from gateway.db.oneshot import run_job
from gateway.portal import service
from gateway.portal.roles import Role
from gateway.portal.settings import POLICY

CLI_ACTOR = service.Actor(None, "zone-admin:cli")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("merchant-user", help="merchant portal accounts: invite")
    actions = users.add_subparsers(dest="action", required=True)
    invite = actions.add_parser("invite", help="print a one-time invite link (default: owner)")
    invite.add_argument("--merchant", required=True)
    invite.add_argument("--email", required=True)
    invite.add_argument("--role", default=Role.OWNER.value, choices=[r.value for r in Role])
    invite.set_defaults(func=_invite)


def invite_link(public_url: str, made: service.Invite) -> str:
    return f"{public_url}/merchant/invite/{made.url_token}"


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    made = run_job(settings, lambda conn: service.invite(
        conn, POLICY, args.merchant, args.email, Role(args.role), CLI_ACTOR, invited_by=None))
    print(invite_link(settings.public_url, made))
    print(f"one-time link for {made.email} ({made.role.value}), valid until "
          f"{made.expires_at:%Y-%m-%d %H:%M} UTC; it is not shown again", file=sys.stderr)
    return 0
