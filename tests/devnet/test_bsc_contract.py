"""The committed token artifact is exactly what the pinned solc builds from the source."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from gateway.devnet.contracts import build
from gateway.devnet.tools import NODE_MODULES


def test_artifact_matches_its_source() -> None:
    artifact = json.loads(build.ARTIFACT.read_text())
    source = build.SOURCE.read_bytes()
    assert artifact["sourceSha256"] == hashlib.sha256(source).hexdigest()
    assert artifact["compiler"]["solc"] == build.SOLC_VERSION
    labels = [entry["label"] for entry in artifact["storageLayout"]]
    assert labels[:3] == ["_balances", "_allowances", "_totalSupply"]


@pytest.mark.slow  # compiles the contract with solc under node
@pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "solc" / "solc.js").exists(),
    reason="solc is not installed (run deploy/devnet/install.sh)",
)
def test_rebuild_is_byte_for_byte_identical() -> None:
    installed = json.loads((NODE_MODULES / "solc" / "package.json").read_text())["version"]
    assert installed == build.SOLC_VERSION, "deploy/devnet/package.json pins another solc"
    assert build.build() == build.ARTIFACT.read_text()
