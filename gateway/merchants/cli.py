"""`python -m gateway merchant create|list|suspend|activate|redirect-domains` and
`apikey create|revoke`."""

from __future__ import annotations

import argparse
import sys

from gateway.config import Settings
from gateway.db.oneshot import run_job
from gateway.merchants import service


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    merchant = sub.add_parser("merchant", help="merchants: create, list, suspend, activate")
    actions = merchant.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="register a merchant (prints its id)")
    create.add_argument("--name", required=True)
    create.add_argument("--bin", required=True,
                        help="12-digit business identification number (control digit checked)")
    create.add_argument("--iban", required=True, help="KZ IBAN for payouts (mod-97 checked)")
    create.add_argument("--bic")
    create.add_argument("--fee-bps", type=int, default=100, help="fee in basis points")
    create.add_argument("--fee-fixed", type=int, default=0, help="fixed fee in tiyn")
    create.add_argument("--fee-minimum", type=int, default=0, help="minimum fee in tiyn")
    create.set_defaults(func=_create)
    actions.add_parser("list", help="list merchants").set_defaults(func=_list)
    for action in ("suspend", "activate"):
        parser = actions.add_parser(action, help=f"{action} a merchant")
        parser.add_argument("merchant_id")
        parser.set_defaults(func=_set_status, status="suspended" if action == "suspend"
                            else "active")
    domains = actions.add_parser(
        "redirect-domains",
        help="set the hosts invoices' redirect_url may name (exact, or '*.shop.kz'); "
             "--clear removes the list")
    domains.add_argument("merchant_id")
    domains.add_argument("domains", nargs="*")
    domains.add_argument("--clear", action="store_true")
    domains.set_defaults(func=_set_domains)

    apikey = sub.add_parser("apikey", help="API keys: create (shown once), revoke")
    key_actions = apikey.add_subparsers(dest="action", required=True)
    key_create = key_actions.add_parser("create", help="issue a key; printed once")
    key_create.add_argument("--merchant", required=True)
    key_create.set_defaults(func=_key_create)
    key_revoke = key_actions.add_parser("revoke", help="revoke a key by its id (key_…)")
    key_revoke.add_argument("key_id")
    key_revoke.set_defaults(func=_key_revoke)


def _create(args: argparse.Namespace, settings: Settings) -> int:
    data = service.MerchantInput(args.name, args.bin, args.iban, args.bic, args.fee_bps,
                                 args.fee_fixed, args.fee_minimum)
    merchant = run_job(settings, lambda conn: service.create_merchant(conn, data))
    print(merchant.id)
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    merchants = run_job(settings, service.list_merchants)
    for m in merchants:
        print(f"{m.id}\t{m.status}\t{m.fee_bps}bps+{m.fee_fixed}\t{m.bin}\t{m.iban}\t{m.name}")
    return 0


def _set_status(args: argparse.Namespace, settings: Settings) -> int:
    merchant = run_job(
        settings, lambda conn: service.set_status(conn, args.merchant_id, args.status)
    )
    print(f"{merchant.id} {merchant.status}")
    return 0


def _set_domains(args: argparse.Namespace, settings: Settings) -> int:
    if args.clear == bool(args.domains):
        print("give domains, or --clear", file=sys.stderr)
        return 2
    wanted = None if args.clear else list(args.domains)
    stored = run_job(settings, lambda conn: service.set_redirect_domains(
        conn, args.merchant_id, wanted))
    print(f"{args.merchant_id} redirect domains: {' '.join(stored) if stored else '(none)'}")
    return 0


def _key_create(args: argparse.Namespace, settings: Settings) -> int:
    key = run_job(settings, lambda conn: service.issue_api_key(
        conn, args.merchant, settings.api_key_pepper))
    print(key.secret)
    print(f"key id {key.id} for {key.merchant_id}; store it now, it is not shown again",
          file=sys.stderr)
    return 0


def _key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    run_job(settings, lambda conn: service.revoke_api_key(conn, args.key_id))
    print(f"revoked {args.key_id} (running gateways stop accepting it within "
          f"{settings.api_key_cache_ttl} s)")
    return 0
