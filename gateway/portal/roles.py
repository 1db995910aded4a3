"""Merchant roles and what each may do; every route names the permission it needs and the
server checks it (hidden links are a courtesy, not the control).

- owner: everything, and the only role that invites people and changes roles;
- manager: runs the shop: sales, invoices, refunds, money views, developers, settings,
  terminals, POS;
- cashier: the point of sale only (charges, its own terminal's day report);
- accountant: read-only money views (today, invoices, payouts and statements, audit log).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"
    ACCOUNTANT = "accountant"


class Perm(StrEnum):
    VIEW_SALES = "view_sales"        # today, invoices
    VIEW_MONEY = "view_money"        # payouts, statements
    DEVELOPERS = "developers"        # API keys, webhooks
    SETTINGS = "settings"            # merchant settings, terminals
    TEAM = "team"                    # invite people, change roles
    AUDIT = "audit"                  # read the merchant audit log
    CHARGE = "charge"                # point of sale
    REFUND = "refund"                # give an invoice's money back to the shopper


PERMISSIONS: Final[dict[Role, frozenset[Perm]]] = {
    Role.OWNER: frozenset(Perm),
    Role.MANAGER: frozenset({Perm.VIEW_SALES, Perm.VIEW_MONEY, Perm.DEVELOPERS, Perm.SETTINGS,
                             Perm.CHARGE, Perm.REFUND}),
    Role.CASHIER: frozenset({Perm.CHARGE}),
    Role.ACCOUNTANT: frozenset({Perm.VIEW_SALES, Perm.VIEW_MONEY, Perm.AUDIT}),
}


def allows(role: Role, perm: Perm) -> bool:
    return perm in PERMISSIONS[role]


def home_path(role: Role) -> str:
    """Where a user lands after signing in."""
    return "/pos" if role is Role.CASHIER else "/merchant"
