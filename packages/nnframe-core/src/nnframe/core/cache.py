"""Where nnframe keeps files it can rebuild (scans of data folders, generated datasets).

No torch import: the command line and the data checks use it.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "NNFRAME_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """``$NNFRAME_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnframe``, else ``~/.cache/nnframe``, joined
    with ``parts`` and created.

    Everything under it can be deleted at any time: it is rebuilt on the next run.
    """
    base = os.environ.get(CACHE_ENV)
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = str(Path(xdg) / "nnframe") if xdg else str(Path.home() / ".cache" / "nnframe")
    path = Path(base).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
