"""`python -m gateway.devnet.contracts.build [--check]`: compile the devnet token reproducibly.

The pinned solcjs (deploy/devnet/package.json) compiles `DevnetBEP20.sol` through the Standard
JSON interface with fixed settings; the artifact (ABI, creation and runtime bytecode, storage
layout) is written as sorted, indented JSON so a rebuild is byte-for-byte identical. The
metadata hash is left out of the bytecode (`bytecodeHash: none`) so it depends on the source
and settings alone, not on file paths. `--check` rebuilds and fails if the committed artifact
differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from gateway.devnet.errors import DevnetError
from gateway.devnet.tools import node_binary, solcjs_script

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "DevnetBEP20.sol"
ARTIFACT = HERE / "DevnetBEP20.json"
CONTRACT = "DevnetBEP20"
SOLC_VERSION = "0.8.37"
# cancun: the EVM BNB Chain runs since its 2024 hard forks; anvil accepts it by default.
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "storageLayout"]}
    },
}


class BuildError(DevnetError):
    """solc failed or its output is not what the build expects."""


def standard_input(source: str) -> dict[str, Any]:
    return {"language": "Solidity", "sources": {SOURCE.name: {"content": source}},
            "settings": SETTINGS}


# The solc package's compile() directly: the solcjs CLI prints a notice before its JSON.
_NODE_COMPILE = (
    "const solc = require(process.argv[1]); let input = '';"
    "process.stdin.on('data', d => { input += d; });"
    "process.stdin.on('end', () => process.stdout.write(solc.compile(input)));"
)


def run_solc(request: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [node_binary(), "-e", _NODE_COMPILE, str(solcjs_script().parent)],
        input=json.dumps(request), capture_output=True, text=True, check=False, timeout=300,
    )
    if proc.returncode != 0:
        raise BuildError(f"solcjs failed: {(proc.stderr or proc.stdout).strip()[:500]}")
    try:
        output: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise BuildError(f"solcjs printed no JSON: {proc.stdout[:200]!r}") from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("; ".join(e.get("formattedMessage", e["message"]) for e in errors))
    return output


def _layout(raw: dict[str, Any]) -> list[dict[str, Any]]:
    # Only what placement needs: ids like "t_mapping(...)14_storage" would churn on edits.
    return [{"label": s["label"], "slot": int(s["slot"]), "offset": s["offset"]}
            for s in raw["storage"]]


def artifact_from(output: dict[str, Any], source: str) -> dict[str, Any]:
    contract = output["contracts"][SOURCE.name][CONTRACT]
    return {
        "contractName": CONTRACT,
        "compiler": {"solc": SOLC_VERSION, "settings": SETTINGS},
        "sourceFile": SOURCE.name,
        "sourceSha256": hashlib.sha256(source.encode()).hexdigest(),
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        "storageLayout": _layout(contract["storageLayout"]),
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def build() -> str:
    """Compile the source and return the artifact text (not written)."""
    source = SOURCE.read_text(encoding="utf-8")
    return render(artifact_from(run_solc(standard_input(source)), source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.devnet.contracts.build")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    try:
        text = build()
    except DevnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        same = ARTIFACT.exists() and ARTIFACT.read_text(encoding="utf-8") == text
        print(f"{ARTIFACT.name}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    ARTIFACT.write_text(text, encoding="utf-8")
    print(f"wrote {ARTIFACT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
