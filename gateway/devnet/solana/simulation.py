"""The RpcSimulateTransactionResult object (simulateTransaction and -32002 error data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from solders.account import Account
from solders.pubkey import Pubkey

from gateway.devnet.solana.encoding import inner_instructions, return_data, ui_account

if TYPE_CHECKING:
    from gateway.devnet.solana.ledger import Ledger, Simulation


def _loaded_size(ledger: Ledger | None, sim: Simulation) -> int:
    """Bytes of account data the transaction loads (its accounts' data lengths)."""
    if ledger is None:
        return 0
    total = 0
    for key in sim.keys.all:
        account = ledger.svm.get_account(key)
        total += 0 if account is None else len(account.data)
    return total


def _account_after(ledger: Ledger, sim: Simulation, address: str, encoding: str) -> Any:
    after = sim.post_accounts.get(address)
    account = after if isinstance(after, Account) else ledger.svm.get_account(
        Pubkey.from_string(address)
    )
    if account is None or account.lamports == 0:
        return None
    return ui_account(account, encoding, ledger.svm.get_account)


def simulation_value(
    sim: Simulation | None,
    err: Any,
    *,
    accounts: tuple[list[str], str] | None = None,
    ledger: Ledger | None = None,
    inner: bool = False,
    replacement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The simulation result; `sim` is None when the bank refused before executing."""
    value: dict[str, Any] = {
        "accounts": None,
        "err": err,
        "innerInstructions": None,
        "loadedAccountsDataSize": 0,
        "logs": [],
        "replacementBlockhash": replacement,
        "returnData": None,
        "unitsConsumed": 0,
    }
    if sim is None:
        return value
    ex = sim.execution
    value.update({
        "loadedAccountsDataSize": _loaded_size(ledger, sim),
        "logs": ex.logs,
        "returnData": return_data(ex),
        "unitsConsumed": ex.compute_units,
    })
    if inner:
        value["innerInstructions"] = inner_instructions(ex.inner, sim.keys, parsed=True)
    if accounts is not None and ledger is not None:
        addresses, encoding = accounts
        value["accounts"] = [_account_after(ledger, sim, a, encoding) for a in addresses]
    return value
