"""Merchant validation, the merchant/apikey CLI and the idempotent demo seed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from gateway.admin import audit
from gateway.admin.console import service as admin_service
from gateway.cli import main
from gateway.config import Settings
from gateway.merchants import service
from gateway.merchants.apikeys import hash_key, well_formed
from gateway.merchants.demo import KEY_FILE, seed_demo
from gateway.merchants.errors import ApiKeyNotFound, InvalidMerchant, MerchantNotFound
from settlement.fees.service import fee_schedules
from tests.plugins.app import TEST_BIN, TEST_IBAN

GOOD = service.MerchantInput(name="Shop", bin=TEST_BIN, iban=TEST_IBAN)


@pytest.mark.parametrize("iban,ok", [
    ("KZ86125KZT5004100100", True),
    ("kz86 125K ZT50 0410 0100", True),  # spaces and case are normalised
    ("KZ87125KZT5004100100", False),  # check digits off by one
    ("KZ86125KZT500410010", False),  # too short
    ("DE89370400440532013000", False),  # valid IBAN, not Kazakh
])
def test_iban(iban: str, ok: bool) -> None:
    if ok:
        assert service.normalize_iban(iban) == "KZ86125KZT5004100100"
    else:
        with pytest.raises(InvalidMerchant) as err:
            service.normalize_iban(iban)
        assert err.value.field == "iban"


@pytest.mark.parametrize("field,value", [
    ("bin", "12345678901"), ("bin", "12345678901a"), ("bic", "HSBK"), ("name", " "),
    ("fee_bps", 10_001), ("fee_fixed", -1), ("fee_minimum", -1),
    ("bin", "990340000018"),  # 12 digits, but the IIN/BIN control digit is 4, not 8
    ("bin", "991340000014"),  # month 13
    ("iban", "KZ86125KZT5004100101"),  # mod-97 fails
    ("name", "x" * 141),  # pain.001 Max140Text
    ("name", "Shop\x07LLP"), ("name", "Shop\u202eLLP"),  # control, bidi override
])
def test_invalid_fields_are_named(field: str, value: object) -> None:
    data = service.MerchantInput(**{**GOOD.__dict__, field: value})
    with pytest.raises(InvalidMerchant) as err:
        service.validate(data)
    assert err.value.field == field


async def test_creation_writes_the_first_fee_schedule(conn: asyncpg.Connection) -> None:
    data = service.MerchantInput(name="Fee shop", bin=f" {TEST_BIN} ", iban=TEST_IBAN.lower(),
                                 fee_bps=175, fee_fixed=2_500, fee_minimum=10_000)
    merchant = await service.create_merchant(conn, data)
    assert (merchant.bin, merchant.iban) == (TEST_BIN, TEST_IBAN)
    [schedule] = await fee_schedules(conn, merchant.id)
    assert (schedule.bps, schedule.fixed, schedule.minimum) == (175, 2_500, 10_000)
    assert schedule.effective_from == merchant.created_at  # in effect from the first moment
    assert schedule.fee(1_000_000) == 20_000  # 1.75 % + 25 KZT


async def test_refused_merchant_leaves_nothing(conn: asyncpg.Connection) -> None:
    before = await conn.fetchval("SELECT count(*) FROM merchants")
    with pytest.raises(InvalidMerchant) as err:
        await service.create_merchant(conn, service.MerchantInput(
            name="No payout", bin="990340000018", iban=TEST_IBAN))
    assert err.value.field == "bin" and "control digit" in str(err.value)
    assert await conn.fetchval("SELECT count(*) FROM merchants") == before


async def test_status_and_key_errors(conn: asyncpg.Connection) -> None:
    merchant = await service.create_merchant(conn, GOOD)
    assert merchant.id.startswith("mch_") and merchant.status == "active"
    assert (await service.set_status(conn, merchant.id, "suspended")).status == "suspended"
    with pytest.raises(MerchantNotFound):
        await service.set_status(conn, "mch_missing000000", "active")
    with pytest.raises(ApiKeyNotFound):
        await service.revoke_api_key(conn, "key_missing000000")
    with pytest.raises(MerchantNotFound):
        await service.issue_api_key(conn, "mch_missing000000", "pepper")


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_cli_round_trip(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                              database_url: str, conn: asyncpg.Connection) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "warning")
    assert await _cli("merchant", "create", "--name", "Cli Shop", "--bin", TEST_BIN,
                      "--iban", TEST_IBAN, "--bic", "HSBKKZKX", "--fee-bps", "150",
                      "--fee-fixed", "5000") == 0
    merchant_id = capsys.readouterr().out.strip()
    row = await conn.fetchrow("SELECT * FROM merchants WHERE id = $1", merchant_id)
    assert row is not None
    assert (row["fee_bps"], row["fee_fixed"], row["bic"]) == (150, 5000, "HSBKKZKX")
    [schedule] = await fee_schedules(conn, merchant_id)
    assert (schedule.bps, schedule.fixed, schedule.minimum) == (150, 5000, 0)
    assert await _cli("merchant", "suspend", merchant_id) == 0
    assert await _cli("merchant", "activate", merchant_id) == 0
    assert await _cli("merchant", "list") == 0
    assert merchant_id in capsys.readouterr().out
    assert await _cli("apikey", "create", "--merchant", merchant_id) == 0
    secret = capsys.readouterr().out.strip()
    assert well_formed(secret)
    key = await conn.fetchrow("SELECT id, revoked_at FROM api_keys WHERE key_hash = $1",
                              hash_key(Settings().api_key_pepper, secret))
    assert key is not None
    assert key["revoked_at"] is None
    assert await _cli("apikey", "revoke", key["id"]) == 0
    assert await conn.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", key["id"])
    assert await _cli("merchant", "create", "--name", "Bad", "--bin", "1",
                      "--iban", TEST_IBAN) == 1
    assert "bin" in capsys.readouterr().err
    assert await _cli("merchant", "create", "--name", "Bad", "--bin", "990340000018",
                      "--iban", TEST_IBAN) == 1
    assert "control digit" in capsys.readouterr().err
    assert await _cli("merchant", "create", "--name", "Bad", "--bin", TEST_BIN,
                      "--iban", "KZ86125KZT5004100101") == 1
    assert "mod-97" in capsys.readouterr().err


async def test_seed_demo_is_idempotent(database_url: str, tmp_path: Path,
                                       conn: asyncpg.Connection) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    lines = await seed_demo(settings)
    key_file = tmp_path / KEY_FILE
    secret = key_file.read_text().strip()
    assert well_formed(secret) and any(secret in line for line in lines)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    await seed_demo(settings)
    assert key_file.read_text().strip() == secret  # reused while it works
    assert await conn.fetchval("SELECT count(*) FROM merchants WHERE is_demo") == 1
    await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1",
                       hash_key(settings.api_key_pepper, secret))
    await seed_demo(settings)
    assert key_file.read_text().strip() != secret  # replaced once revoked
    assert await conn.fetchval("SELECT count(*) FROM merchants WHERE is_demo") == 1


async def test_update_refuses_a_name_pain001_cannot_carry(
        db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]]) -> None:
    merchant_id = await make_merchant()
    data = service.MerchantInput(name="n" * 141, bin=TEST_BIN, iban=TEST_IBAN)
    async with db_pool.acquire() as conn:
        with pytest.raises(InvalidMerchant) as err:
            await admin_service.update_merchant(conn, audit.Actor(None, "test"), merchant_id,
                                                data, 0)
        assert err.value.field == "name"
        assert (await service.get_merchant(conn, merchant_id)).name != data.name
