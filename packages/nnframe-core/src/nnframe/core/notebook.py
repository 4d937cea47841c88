"""Showing a figure from a demo or a notebook: inline in Jupyter, and always saved as a PNG."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (Jupyter, VS Code / PyCharm notebooks)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return shell is not None and hasattr(shell, "kernel")


def show(figure: Any, name: str, folder: str | Path = "figures") -> Path:
    """Save ``figure`` as ``<folder>/<name>.png``, display it inline in a notebook, and close it.

    Args:
        figure: a matplotlib figure.
        name: the file name, without ``.png``.
        folder: where the PNG goes (created), e.g. ``<run dir>/figures``.

    Returns:
        The PNG file.
    """
    import matplotlib.pyplot as plt

    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    if in_notebook():
        from IPython.display import display

        display(figure)
    else:
        print(f"figure: {path}")
    plt.close(figure)
    return path
