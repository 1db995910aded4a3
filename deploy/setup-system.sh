#!/usr/bin/env bash
# Installs the system packages the gateway and its tests need, when missing:
# the PostgreSQL 15 server (initdb/pg_ctl) and Debian's Chromium for browser tests.
set -euo pipefail
need=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then need+=(chromium fonts-dejavu-core); fi
if ! command -v npm >/dev/null 2>&1; then need+=(nodejs npm); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-system: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
