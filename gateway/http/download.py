"""`Content-Disposition` for downloads, with a file name that cannot break out of the header.

A name is built from ids and dates; anything else (quotes, semicolons, CR/LF, non-ASCII,
path separators) is replaced by `_` so a value taken from a request can never add header
parameters, split the header or choose a directory.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME = 150


def safe_filename(name: str) -> str:
    """`name` with every character outside `A-Z a-z 0-9 . _ -` replaced by `_`."""
    cleaned = _UNSAFE.sub("_", name)[:MAX_NAME].lstrip(".")
    return cleaned or "download"


def content_disposition(name: str) -> str:
    return f'attachment; filename="{safe_filename(name)}"'
