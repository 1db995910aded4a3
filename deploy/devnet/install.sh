#!/usr/bin/env bash
# Installs the pinned devnet tools (anvil, solc) from deploy/devnet/package.json into
# deploy/devnet/node_modules (git-ignored). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
[ -f package.json ] || exit 0
if [ ! -f node_modules/.installed ] || [ package.json -nt node_modules/.installed ]; then
  npm install --no-audit --no-fund --silent
  touch node_modules/.installed
fi
