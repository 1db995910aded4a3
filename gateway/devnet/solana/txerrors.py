"""Transaction errors in the RPC's two forms: the JSON `err` value and the display message.

The JSON form comes from solders' own serializer (the validator's serde shape, e.g.
`{"InstructionError": [0, {"Custom": 1}]}`); the messages follow the validator's Display
texts for the errors a payment flow meets, and fall back to the variant name.
"""

from __future__ import annotations

import json
from typing import Any

from solders.rpc.responses import RpcSimulateTransactionResult
from solders.transaction_status import TransactionErrorType

_TX_MESSAGES = {
    "AccountInUse": "Account in use",
    "AccountLoadedTwice": "Account loaded twice",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "InvalidAccountForFee": "This account may not be used to pay transaction fees",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "SignatureFailure": "Transaction did not pass signature verification",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "MissingSignatureForFee": "Transaction requires a fee but has no signature present",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "AddressLookupTableNotFound": "Transaction loads an address table account that doesn't exist",
}
_IX_MESSAGES = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "IllegalOwner": "Provided owner is not allowed",
    "ExternalAccountLamportSpend":
        "instruction spent from the balance of an account it does not own",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "ProgramFailedToComplete": "Program failed to complete",
}


def error_json(err: TransactionErrorType) -> Any:
    """The `err` value exactly as the validator serializes it."""
    wrapper = RpcSimulateTransactionResult(
        err=err, logs=None, accounts=None, units_consumed=None, return_data=None
    )
    return json.loads(wrapper.to_json())["err"]


def error_message(err: Any) -> str:
    """The validator's Display text for an error given in its JSON form."""
    if isinstance(err, str):
        return _TX_MESSAGES.get(err, err)
    if isinstance(err, dict) and len(err) == 1:
        (name, value), = err.items()
        if name == "InstructionError" and isinstance(value, list) and len(value) == 2:
            return f"Error processing Instruction {value[0]}: {_instruction_message(value[1])}"
        if name == "InsufficientFundsForRent" and isinstance(value, dict):
            index = value.get("account_index")
            return (
                f"Transaction results in an account ({index}) with insufficient funds for rent"
            )
        if name == "DuplicateInstruction":
            return f"Transaction contains a duplicate instruction ({value}) that is not allowed"
        return str(name)
    return str(err)


def _instruction_message(err: Any) -> str:
    if isinstance(err, dict) and "Custom" in err:
        return f"custom program error: {int(err['Custom']):#x}"
    if isinstance(err, dict) and "BorshIoError" in err:
        return "Failed to serialize or deserialize account data"
    if isinstance(err, str):
        return str(_IX_MESSAGES.get(err, err))
    return str(err)
