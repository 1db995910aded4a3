"""OpenAPI paths and schemas of the invoice endpoints (registered by gateway.openapi.setup)."""

from __future__ import annotations

from typing import Any

from gateway.invoices.params import (
    MAX_DESCRIPTION,
    MAX_ORDER_ID,
    MAX_UNIX_DIGITS,
    MAX_URL,
    METADATA_MAX_KEY,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE,
    MIN_EXPIRES_IN,
)
from gateway.invoices.states import InvoiceException, InvoiceStatus
from gateway.merchants.ids import INVOICE_ID
from settlement.assets import ASSET_IDS, ASSET_SYMBOLS, CHAIN_IDS, FIAT_CODE

_TIME = {"type": "string", "format": "date-time"}
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
_DECIMAL = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_METADATA = {
    "type": "object",
    "maxProperties": METADATA_MAX_KEYS,
    "propertyNames": {"minLength": 1, "maxLength": METADATA_MAX_KEY},
    "additionalProperties": {"type": "string", "maxLength": METADATA_MAX_VALUE},
}

PAYMENT_OPTION: dict[str, Any] = {
    "type": "object",
    "description": "One offered asset; the quote (rate, units) is locked at creation.",
    "required": ["asset", "asset_id", "chain", "token", "decimals", "amount", "amount_units",
                 "rate", "rate_source", "rate_fetched_at", "uri", "qr_svg_url", "qr_png_url"],
    "additionalProperties": False,
    "properties": {
        "asset": {"type": "string", "enum": list(ASSET_SYMBOLS)},
        "asset_id": {"type": "string", "enum": list(ASSET_IDS)},
        "chain": {"type": "string", "enum": list(CHAIN_IDS)},
        "token": {"type": ["string", "null"],
                  "description": "BEP-20 contract or SPL mint; null for BNB and SOL"},
        "decimals": {"type": "integer"},
        "amount": {**_DECIMAL, "description": "What to pay, in the asset's units"},
        "amount_units": {**_DIGITS, "description": "The same in base units (wei, lamports…)"},
        "rate": {**_DECIMAL, "description": "KZT per whole unit of the asset"},
        "rate_source": {"type": "string"},
        "rate_fetched_at": _TIME,
        "uri": {"type": "string", "description": "EIP-681 or Solana Pay payment request"},
        "address": {"type": "string", "description": "BNB Chain deposit address (bsc only)"},
        "recipient": {"type": "string", "description": "Solana treasury (solana only)"},
        "reference": {"type": "string", "description": "Solana Pay reference (solana only)"},
        "qr_svg_url": {"type": "string", "format": "uri"},
        "qr_png_url": {"type": "string", "format": "uri"},
    },
}

INVOICE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "livemode", "status", "exception", "amount", "currency",
                 "amount_paid", "order_id", "description", "metadata", "created_at", "expires_at",
                 "checkout_url", "redirect_url", "payment_tolerance", "monitoring_window",
                 "late_payment_window", "payment_options", "amount_refundable", "payments"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": INVOICE_ID.pattern},
        "object": {"const": "invoice"},
        "livemode": {"type": "boolean",
                     "description": "false: made with a ccp_test_ key; never settled or paid out"},
        "status": {"type": "string", "enum": [s.value for s in InvoiceStatus]},
        "exception": {"enum": [*(e.value for e in InvoiceException), None]},
        "amount": {"type": "integer", "minimum": 1, "description": "Price in tiyn"},
        "currency": {"const": "KZT"},
        "amount_paid": {"type": "integer", "minimum": 0,
                        "description": "Tiyn equivalent received, at the locked rates"},
        "amount_refundable": {
            "type": "integer", "minimum": 0,
            "description": "Tiyn value (locked rates) of final payments that are not part of "
                           "a settled or still possible sale: overpaid excess, payments after "
                           "settlement, late payments not accepted, payments to an expired, "
                           "cancelled or invalid invoice, a wrong asset; net of what live "
                           "refunds (not failed or cancelled) already give back"},
        "order_id": _NULLABLE_TEXT,
        "description": _NULLABLE_TEXT,
        "metadata": _METADATA,
        "created_at": _TIME,
        "expires_at": _TIME,
        "checkout_url": {"type": "string", "format": "uri"},
        "redirect_url": {"type": ["string", "null"], "format": "uri"},
        "payment_tolerance": {
            "type": "object", "required": ["bps", "amount"], "additionalProperties": False,
            "properties": {"bps": {"type": "integer"},
                           "amount": {"type": "integer", "description": "tiyn"}},
        },
        "monitoring_window": {"type": "integer", "description": "Seconds watched after expiry"},
        "late_payment_window": {"type": "integer",
                                "description": "Seconds after expiry a payment is auto-accepted"},
        "payment_options": {"type": "array",
                            "items": {"$ref": "#/components/schemas/PaymentOption"}},
        "payments": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"},
                     "description": "Every transfer to this invoice's address or reference"},
        "refunds": {"type": "array", "items": {"type": "string"},
                    "description": "Ids of the invoice's refunds, oldest first (GET "
                                   "/v1/refunds/{id}); absent from events written before "
                                   "refunds existed"},
    },
}

PAYMENT: dict[str, Any] = {
    "type": "object",
    "description": "One transfer received for the invoice, whether or not part of the sale.",
    "required": ["id", "chain", "asset_id", "tx", "index", "amount_units", "value", "status",
                 "counted", "seen_at", "final_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "chain": {"type": "string", "enum": list(CHAIN_IDS)},
        "asset_id": {"type": "string", "enum": list(ASSET_IDS)},
        "tx": {"type": "string", "description": "Transaction hash or signature"},
        "index": {"type": "integer", "description": "Log / instruction index in the transaction"},
        "amount_units": {**_DIGITS, "description": "Base units received"},
        "value": {"type": ["integer", "null"], "minimum": 0,
                  "description": "Tiyn at the invoice's locked rate (null: a wrong asset "
                                 "with no offered option of its symbol)"},
        "status": {"type": "string", "enum": ["pending", "final", "reverted"]},
        "counted": {"type": "boolean", "description": "Part of the sale"},
        "seen_at": _TIME,
        "final_at": {**_TIME, "type": ["string", "null"]},
    },
}

CREATE_INVOICE: dict[str, Any] = {
    "type": "object",
    "required": ["amount"],
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "integer", "minimum": 1,
                   "description": "Price in tiyn (1 KZT = 100 tiyn); at most INVOICE_MAX_AMOUNT"},
        "currency": {"type": "string", "enum": [FIAT_CODE], "default": FIAT_CODE},
        "order_id": {"type": "string", "maxLength": MAX_ORDER_ID},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
        "metadata": _METADATA,
        "expires_in": {"type": "integer", "minimum": MIN_EXPIRES_IN,
                       "description": "Seconds until expiry (default 900)"},
        "assets": {"type": "array", "minItems": 1,
                   "items": {"type": "string", "enum": list(ASSET_IDS)},
                   "description": "Assets to offer (default: all enabled)"},
        "redirect_url": {"type": "string", "format": "uri", "maxLength": MAX_URL},
    },
}

INVOICE_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["object", "url", "data", "has_more"],
    "additionalProperties": False,
    "properties": {
        "object": {"const": "list"},
        "url": {"type": "string"},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Invoice"}},
        "has_more": {"type": "boolean"},
    },
}

SCHEMAS = {"Invoice": INVOICE, "PaymentOption": PAYMENT_OPTION, "Payment": PAYMENT,
           "CreateInvoiceRequest": CREATE_INVOICE, "InvoiceList": INVOICE_LIST}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
# A bound beyond the years a timestamp holds counts as the earliest / latest one.
_UNIX_OR_RFC3339 = {"anyOf": [{"type": "string", "pattern": "^[0-9]+$",
                               "maxLength": MAX_UNIX_DIGITS},
                              _TIME]}

PATHS: dict[str, dict[str, Any]] = {
    "/v1/invoices": {
        "post": {
            "operationId": "createInvoice",
            "summary": "Create an invoice priced in KZT with a locked quote per asset",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CreateInvoiceRequest"}}}},
            "responses": _ok("Invoice", "The new invoice"),
        },
        "get": {
            "operationId": "listInvoices",
            "summary": "List invoices, newest first (cursor pagination)",
            "parameters": [
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 10}, "Page size"),
                _query("starting_after", {"type": "string"},
                       "Id of the last invoice of the previous page"),
                _query("status", {"type": "string", "enum": [s.value for s in InvoiceStatus]},
                       "Only this status"),
                _query("order_id", {"type": "string"}, "Only this order id"),
                _query("created[gte]", _UNIX_OR_RFC3339,
                       "Created at or after (unix seconds or RFC 3339)"),
                _query("created[lte]", _UNIX_OR_RFC3339,
                       "Created at or before (unix seconds or RFC 3339)"),
            ],
            "responses": _ok("InvoiceList", "A page of invoices"),
        },
    },
    "/v1/invoices/{id}": {
        "get": {
            "operationId": "getInvoice",
            "summary": "Retrieve an invoice",
            "parameters": [_ID],
            "responses": _ok("Invoice", "The invoice"),
        },
    },
    "/v1/invoices/{id}/cancel": {
        "post": {
            "operationId": "cancelInvoice",
            "summary": "Cancel an invoice that is new and unpaid (else 409 "
                       "invoice_not_cancellable)",
            "parameters": [_ID],
            "responses": _ok("Invoice", "The cancelled invoice"),
        },
    },
}
