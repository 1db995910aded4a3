"""The README quick start, run as written so the documentation cannot drift from the product.

The `sh` blocks of the "Quick start" section are taken in order: `make run` is what the test
harness already did, the block reading the invoice back is repeated until it says settled (a
reader repeats it by hand), the others run once, all in one bash so variables carry over as in
the reader's terminal. The only edit is the port: the README's gateway is on 8080, the test's
on a free port. The `admin create` prompt reads its password from stdin when not on a tty.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Quick start"
DOC_URL = "http://127.0.0.1:8080"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
POLL_ATTEMPTS = 150
POLL_PAUSE = "0.2"


@dataclass(frozen=True)
class Walkthrough:
    blocks: tuple[str, ...]

    @property
    def start(self) -> str:
        return next(b for b in self.blocks if "make run" in b)

    @property
    def poll(self) -> str:
        return next(b for b in self.blocks if "/v1/invoices/$ID" in b)

    @property
    def steps(self) -> tuple[str, ...]:
        """Every block after `make run`, in README order."""
        return tuple(b for b in self.blocks if b != self.start)


def quick_start(readme: Path = README) -> Walkthrough:
    text = readme.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:] if end < 0 else text[start:end]
    return Walkthrough(tuple(m.group(1) for m in _BLOCK.finditer(section)))


def _repeat_until_settled(block: str) -> str:
    # What the reader does by hand: run the block again until the answer says settled.
    return (f'for _attempt in $(seq 1 {POLL_ATTEMPTS}); do\n'
            f'  STATUS=$(\n{block}) || true\n'
            '  case "$STATUS" in *\'"settled"\'*) break ;; esac\n'
            f'  sleep {POLL_PAUSE}\n'
            'done\n'
            'echo "$STATUS"\n')


def script(walk: Walkthrough, url: str) -> str:
    """One bash script: the quick start after `make run`, against the gateway at `url`."""
    parts = ["set -euo pipefail\n"]
    for block in walk.steps:
        parts.append(_repeat_until_settled(block) if block == walk.poll else block)
    return "".join(parts).replace(DOC_URL, url)


def run(walk: Walkthrough, url: str, *, cwd: Path, env: dict[str, str], password: str,
        timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script(walk, url)], cwd=cwd, env=env,
                          input=password + "\n", capture_output=True, text=True,
                          timeout=timeout, check=False)
