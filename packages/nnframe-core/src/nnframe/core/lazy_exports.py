"""Lazy re-exports for task packages, so importing ``nnframe.<task>`` does not import torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) importing each public name from its module on first use.

    Args:
        package: the package's ``__name__``, for the error message.
        exports: public name -> module that defines it.

    Usage, in a package ``__init__``: ``__getattr__ = lazy_exports(__name__, _EXPORTS)``.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
