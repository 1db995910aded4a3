"""`make run` startup step: a demo merchant and its API key in `<data_dir>/demo_api_key`.

Idempotent: the demo merchant (`is_demo`) is created once; the key file is reused while its
key still authenticates, and replaced (new key, file rewritten 0600) when it does not.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from gateway.config import Settings
from gateway.db.pool import database_url
from gateway.merchants import queries as q
from gateway.merchants import service
from gateway.merchants.apikeys import hash_key, well_formed
from gateway.merchants.service import Merchant
from settlement.db import Conn

KEY_FILE = "demo_api_key"
DEMO = service.MerchantInput(
    name="CryptoCity Demo Shop",
    bin="990340000014",  # control digit valid: demo payouts pass settlement's checks
    iban="KZ86125KZT5004100100",
    bic="HSBKKZKX",
    fee_bps=100,
    fee_fixed=0,
)


async def _demo_merchant(conn: Conn) -> Merchant:
    row = await q.select_demo_merchant(conn)
    if row is not None:
        return Merchant.from_row(row)
    return await service.create_merchant(conn, DEMO, demo=True)


async def _usable(conn: Conn, settings: Settings, secret: str, merchant_id: str) -> bool:
    if not well_formed(secret):
        return False
    row = await q.select_principal(conn, hash_key(settings.api_key_pepper, secret))
    return row is not None and row["merchant_id"] == merchant_id


def _write_key(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")


async def ensure_demo(conn: Conn, settings: Settings) -> tuple[Merchant, str]:
    """The demo merchant and a working key for it (from the file, or newly issued)."""
    async with conn.transaction():
        merchant = await _demo_merchant(conn)
        path = settings.data_dir / KEY_FILE
        secret = path.read_text().strip() if path.exists() else ""
        if not await _usable(conn, settings, secret, merchant.id):
            secret = (await service.issue_api_key(conn, merchant.id,
                                                  settings.api_key_pepper)).secret
            _write_key(path, secret)
    return merchant, secret


async def seed_demo(settings: Settings) -> list[str]:
    """A startup step of the dev `run`: returns the banner lines. Never in prod: the demo
    merchant's key would be printed and work against a real deployment."""
    if not settings.dev:
        return ["demo merchant: not created (GATEWAY_ENV=prod)"]
    conn = await asyncpg.connect(database_url(settings))
    try:
        merchant, secret = await ensure_demo(conn, settings)
    finally:
        await conn.close()
    key_file = settings.data_dir / KEY_FILE
    return [
        f"demo merchant: {merchant.id} ({merchant.name})",
        f"demo API key:  {secret}  (saved in {key_file})",
        f"try:  curl -H 'Authorization: Bearer {secret}' {settings.public_url}/v1/invoices",
    ]
