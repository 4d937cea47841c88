"""The Lightning versions nnframe is tested with, checked when ``nnframe.core`` is imported.

nnframe's compat modules reach into Lightning's private attributes, which change between minor
versions: an untested Lightning fails here with one clear line instead of deep in a run.
Read from the installed package's metadata, so the check costs no ``import lightning``.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import warnings

#: The Lightning minor versions the test suite runs on (``pyproject.toml`` pins the same range).
TESTED_LIGHTNING = ((2, 6), (2, 7))  # >=2.6,<2.7
#: Set to 1 to try an untested Lightning anyway (a warning instead of the error).
ALLOW_UNTESTED_VARIABLE = "NNFRAME_ALLOW_UNTESTED_LIGHTNING"
_RANGE = f">={TESTED_LIGHTNING[0][0]}.{TESTED_LIGHTNING[0][1]},<{TESTED_LIGHTNING[1][0]}.{TESTED_LIGHTNING[1][1]}"


class UntestedLightningError(ImportError):
    """The installed Lightning is outside the versions nnframe is tested with."""


def minor_version(version: str) -> tuple[int, int] | None:
    """``(major, minor)`` of a version string such as ``2.6.6`` or ``2.7.0rc1``; None if unreadable."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def lightning_problem(version: str | None) -> str | None:
    """What is wrong with Lightning ``version`` (None: not installed), or None if it is tested."""
    if version is None:
        return f"lightning is not installed: nnframe needs lightning{_RANGE} (run `uv sync` or `pip install 'lightning{_RANGE}'`)"
    minor = minor_version(version)
    if minor is not None and TESTED_LIGHTNING[0] <= minor < TESTED_LIGHTNING[1]:
        return None
    return (f"lightning {version} is installed but nnframe is tested with lightning{_RANGE}: install a tested "
            f"version (`uv sync`, or `pip install 'lightning{_RANGE}'`), or set {ALLOW_UNTESTED_VARIABLE}=1 to try it")


def check_lightning_version() -> None:
    """Raise :class:`UntestedLightningError` (a warning with ``NNFRAME_ALLOW_UNTESTED_LIGHTNING=1``)
    when the installed Lightning is outside :data:`TESTED_LIGHTNING`."""
    try:
        version: str | None = importlib.metadata.version("lightning")
    except importlib.metadata.PackageNotFoundError:
        version = None
    problem = lightning_problem(version)
    if problem is None:
        return
    if version is not None and os.environ.get(ALLOW_UNTESTED_VARIABLE):
        warnings.warn(f"nnframe: {problem.split(':')[0]}; going on as {ALLOW_UNTESTED_VARIABLE} is set", stacklevel=2)
        return
    raise UntestedLightningError(f"nnframe: {problem}")
