"""OpenAPI paths and schemas of the refund endpoints (registered by gateway.refunds.routes)."""

from __future__ import annotations

from typing import Any

from gateway.refunds.states import RateKind, RefundStatus
from settlement.assets import ASSET_IDS, CHAIN_IDS

_TIME = {"type": "string", "format": "date-time"}
_DIGITS = {"type": ["string", "null"], "pattern": "^[0-9]+$"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_RATE_KINDS = [k.value for k in RateKind]

REFUND: dict[str, Any] = {
    "type": "object",
    "description": "Money given back to a shopper, once, on the chain it came from. The "
                   "invoice's stranded money goes back in kind (the asset and units that "
                   "arrived, valued at the invoice's locked rate); above it, on a settled sale "
                   "only, a merchant-funded return priced at `rate`.",
    "required": ["id", "object", "livemode", "invoice", "amount", "asset_id", "chain",
                 "amount_units", "rate", "rate_kind", "address", "claim_url", "status", "tx",
                 "failure_reason", "pending_reason", "reason", "created_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^rfd_[A-Za-z0-9]{8,64}$"},
        "object": {"const": "refund"},
        "livemode": {"type": "boolean", "description": "false: a refund of a test invoice"},
        "invoice": {"type": "string", "description": "The refunded invoice's id"},
        "amount": {"type": "integer", "minimum": 1, "description": "Tiyn"},
        "asset_id": {"enum": [*ASSET_IDS, None],
                     "description": "null until the shopper picks it on the claim page (a "
                                    "sale refund made without address and asset_id)"},
        "chain": {"enum": [*CHAIN_IDS, None]},
        "amount_units": {**_DIGITS, "description": "Base units the shopper receives"},
        "rate": {"type": ["string", "null"],
                 "description": "KZT per whole unit pricing the sale part (null: none)"},
        "rate_kind": {"type": "string", "enum": _RATE_KINDS},
        "address": {**_NULLABLE_TEXT, "description": "Where the refund goes (null: awaiting "
                                                     "the shopper's address)"},
        "claim_url": {"type": ["string", "null"], "format": "uri",
                      "description": "The shopper's page to give an address (refunds made "
                                     "without one)"},
        "status": {"type": "string", "enum": [s.value for s in RefundStatus]},
        "tx": {**_NULLABLE_TEXT, "description": "The refund's transaction hash or signature"},
        "failure_reason": _NULLABLE_TEXT,
        "pending_reason": {"enum": ["insufficient_funds", None],
                           "description": "Why a `sending` refund is not moving yet: "
                                          "`insufficient_funds`: the operator's refund wallet "
                                          "cannot pay it (the coin or its network fee) until "
                                          "it is funded; null otherwise"},
        "reason": _NULLABLE_TEXT,
        "created_at": _TIME,
    },
}

# The create body's limits, checked by gateway.refunds.routes and stated in the document.
MAX_AMOUNT = 10**15  # tiyn; far above any invoice (INVOICE_MAX_AMOUNT caps those)
MAX_ADDRESS = 100
MAX_REASON = 500

CREATE_REFUND: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT,
                   "description": "Tiyn; default everything refundable (amount_refundable). "
                                  "Up to amount_refundable plus, for a settled invoice, the "
                                  "sale amount (merchant-funded, debited from the payable)"},
        "asset_id": {"type": "string", "enum": list(ASSET_IDS),
                     "description": "Which asset's stranded money (required when it spans "
                                    "several: 422 asset_required)"},
        "address": {"type": "string", "maxLength": MAX_ADDRESS,
                    "description": "Where to send it: an EIP-55 checksummed BNB Chain address "
                                   "(all-lowercase is refused) or a Solana wallet key; without "
                                   "it the refund awaits the shopper's address (claim_url)"},
        "rate": {"type": "string", "enum": _RATE_KINDS, "default": "current",
                 "description": "The KZT rate pricing the sale part: the invoice's locked "
                                "quote or the current rate"},
        "reason": {"type": "string", "maxLength": MAX_REASON},
    },
}

REFUND_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["object", "url", "data", "has_more"],
    "additionalProperties": False,
    "properties": {
        "object": {"const": "list"},
        "url": {"type": "string"},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Refund"}},
        "has_more": {"type": "boolean"},
    },
}

SCHEMAS = {"Refund": REFUND, "CreateRefundRequest": CREATE_REFUND, "RefundList": REFUND_LIST}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

PATHS: dict[str, dict[str, Any]] = {
    "/v1/invoices/{id}/refunds": {
        "post": {
            "operationId": "createRefund",
            "summary": "Refund an invoice (422 nothing_refundable, refund_exceeds_refundable, "
                       "invalid_address, asset_required)",
            "parameters": [_ID],
            "requestBody": {"required": False, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CreateRefundRequest"}}}},
            "responses": _ok("Refund", "The new refund"),
        },
    },
    "/v1/refunds": {
        "get": {
            "operationId": "listRefunds",
            "summary": "List refunds, newest first (cursor pagination)",
            "parameters": [
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 10}, "Page size"),
                _query("starting_after", {"type": "string"},
                       "Id of the last refund of the previous page"),
                _query("invoice", {"type": "string"}, "Only this invoice's refunds"),
                _query("status", {"type": "string", "enum": [s.value for s in RefundStatus]},
                       "Only this status"),
            ],
            "responses": _ok("RefundList", "A page of refunds"),
        },
    },
    "/v1/refunds/{id}": {
        "get": {
            "operationId": "getRefund",
            "summary": "Retrieve a refund",
            "parameters": [_ID],
            "responses": _ok("Refund", "The refund"),
        },
    },
    "/v1/refunds/{id}/cancel": {
        "post": {
            "operationId": "cancelRefund",
            "summary": "Cancel a refund awaiting its address or approval (else 409 "
                       "refund_not_cancellable)",
            "parameters": [_ID],
            "responses": _ok("Refund", "The cancelled refund"),
        },
    },
}
