"""What nnframe relies on in Lightning beyond its public API."""

from __future__ import annotations

from typing import Any


def train_loader_states(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    """The states of the stateful training loaders that Lightning saved in ``checkpoint`` (its fit
    loop's ``combined_loader`` entry; [] if none), in the order of the loaders.

    Why: Lightning 2.6 restores them only when it sets up the training data after restoring the
    checkpoint; when ``configure_optimizers`` reads ``trainer.estimated_stepping_batches`` (a
    schedule with ``total_steps``) it sets the data up before, and the states are dropped, so a
    run resumed mid-epoch starts the epoch's data again from its first batch
    (https://github.com/Lightning-AI/pytorch-lightning/issues/20550). nnframe then gives them to
    the loaders itself (``RNGStateCallback``). Tested in
    ``packages/nnframe-core/tests/compat/test_lightning_compat.py``.
    """
    fit_loop = checkpoint.get("loops", {}).get("fit_loop", {})
    return list(fit_loop.get("state_dict", {}).get("combined_loader", []))
