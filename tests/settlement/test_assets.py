"""The one asset registry (settlement.assets) and what is derived from it."""

from __future__ import annotations

from pathlib import Path

from settlement.assets import ASSET_SYMBOLS, ASSETS, CHAINS, KZTE, by_currency_code, markdown_table
from settlement.money import build_registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "assets.md"
START = "<!-- asset table: generated from settlement/assets.py -->\n"
END = "<!-- end of asset table -->"


def test_docs_table_matches_the_registry() -> None:
    text = DOC.read_text()
    table = text[text.index(START) + len(START):text.index(END)]
    assert table == markdown_table(), (
        "docs/assets.md drifted from settlement/assets.py: replace its table with the output "
        "of `python -m settlement.assets`"
    )


def test_every_asset_is_a_currency_of_the_settlement_registry() -> None:
    registry = build_registry()
    assert registry.codes() == ["KZT", *(a.currency_code for a in ASSETS.values())]
    for asset in ASSETS.values():
        assert registry.get(asset.currency_code).decimals == asset.decimals
        assert by_currency_code(asset.currency_code) is asset
    assert by_currency_code("KZT") is None


def test_only_kzte_decimals_are_configured() -> None:
    assert [a.id for a in ASSETS.values() if a.decimals_setting] == ["KZTE"]
    assert build_registry(kzte_decimals=6).get(KZTE.currency_code).decimals == 6
    assert build_registry(kzte_decimals=6).get("solana:USDT").decimals == 6
    assert build_registry(kzte_decimals=0).get("bsc:USDT").decimals == 18


def test_tokens_name_their_setting_and_natives_do_not() -> None:
    for asset in ASSETS.values():
        assert asset.chain in CHAINS
        assert (asset.token_setting is None) == asset.native
        assert asset.mainnet_token is None or not asset.native
    assert ASSET_SYMBOLS == ("BNB", "USDT", "USDC", "SOL", "KZTE")
