"""Runs the issue benchmarks one after another: `make bench` (figures in bench-results/).

Each benchmark is its own process with its own fresh database, so one cannot warm or slow
another; they run in sequence because the machine has two cores.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "tests.bench.ledger_bench",
    "tests.bench.api_bench",
    "tests.bench.watcher_bench",
    "tests.bench.solana_watcher",
    "tests.bench.settlement_bench",
)


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module} ===", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
