"""Every exception class in both packages derives from the one root, CryptoCityError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import gateway
import settlement
from settlement.errors import CryptoCityError

# Modules whose import needs optional runtime pieces are still imported: a module that cannot
# be imported is itself a failure worth seeing here.
SKIP_MODULES = ("gateway.__main__",)


def _walk(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return [m.name for m in pkgutil.walk_packages(path, prefix) if m.name not in SKIP_MODULES]


def test_every_exception_derives_from_the_root() -> None:
    offenders = []
    for name in _walk(gateway) + _walk(settlement):
        if ".__main__" in name:
            continue
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ != module.__name__:
                continue
            if issubclass(obj, BaseException) and not issubclass(obj, CryptoCityError):
                offenders.append(f"{name}.{obj.__name__}")
    assert offenders == []
