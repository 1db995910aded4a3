"""`python -m gateway chains resync` is registered with the production CLI."""

from __future__ import annotations

import pytest

from gateway import resync
from gateway.cli import build_parser


def test_resync_parses_chain_and_start() -> None:
    args = build_parser().parse_args(["chains", "resync", "--chain", "bsc", "--from", "42"])
    assert (args.func, args.chain, args.start) == (resync.handle, "bsc", 42)


def test_resync_needs_a_known_chain() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["chains", "resync", "--chain", "btc"])
