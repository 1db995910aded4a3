"""Webhook signing secrets encrypted at rest (AES-256-GCM, key WEBHOOK_SECRET_KEY).

A stored secret is `enc:v1:` + base64(nonce 12 bytes | ciphertext | tag 16 bytes), with the
endpoint id as associated data: a sealed value copied onto another endpoint's row does not
open. A copy of the database (a backup, a replica) alone does not let anyone sign webhooks.
Rows written before encryption hold the plain `whsec_...`; `open_secret` still reads them and
`seal_plain_secrets` (run at start) encrypts them in place.
"""

from __future__ import annotations

import base64
import secrets
from typing import Final

from Crypto.Cipher import AES

from gateway.webhooks import queries
from gateway.webhooks.errors import WebhookError
from settlement.db import Conn

PREFIX: Final = "enc:v1:"
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16


class SecretUnreadable(WebhookError):
    """A stored secret does not open with this key (WEBHOOK_SECRET_KEY changed?)."""


def seal_secret(key: bytes, endpoint_id: str, secret: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    cipher.update(endpoint_id.encode())
    sealed, tag = cipher.encrypt_and_digest(secret.encode())
    return PREFIX + base64.b64encode(nonce + sealed + tag).decode()


def open_secret(key: bytes, endpoint_id: str, stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption; sealed at the next start
    raw = base64.b64decode(stored[len(PREFIX):])
    nonce, sealed, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    cipher.update(endpoint_id.encode())
    try:
        return cipher.decrypt_and_verify(sealed, tag).decode()
    except ValueError as exc:
        raise SecretUnreadable(f"the signing secret of {endpoint_id} does not open with "
                               "WEBHOOK_SECRET_KEY") from exc


async def seal_plain_secrets(conn: Conn, key: bytes) -> int:
    """Encrypt every secret still stored in plain text; returns how many. Idempotent."""
    sealed = 0
    async with conn.transaction():
        for row in await queries.select_plain_secrets(conn):
            await queries.update_secret(conn, row["id"],
                                        seal_secret(key, row["id"], row["secret"]))
            sealed += 1
    return sealed
