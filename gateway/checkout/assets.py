"""The checkout's own CSS, JS and icon, served by the gateway (no CDN, no third party).

Files are read once at start and addressed by content: pages link `/checkout/static/<name>?v=
<hash>`, so a deploy changes the URL and browsers may cache a matching version for a year. A
request with another (or no) version still gets the current file, revalidated every time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

STATIC_DIR: Final = Path(__file__).with_name("static")
URL_PREFIX: Final = "/checkout/static"
CONTENT_TYPES: Final = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}
IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    name: str
    body: bytes
    content_type: str
    version: str

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}/{self.name}?v={self.version}"

    def cache_control(self, requested_version: str | None) -> str:
        return IMMUTABLE if requested_version == self.version else REVALIDATE


def load_static(directory: Path = STATIC_DIR) -> dict[str, StaticFile]:
    """Every servable file of `directory` by name (only the known content types)."""
    files = {}
    for path in sorted(directory.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_bytes()
        files[path.name] = StaticFile(path.name, body, content_type,
                                      hashlib.sha256(body).hexdigest()[:12])
    return files
