"""Private Lightning attributes nnframe relies on (see :mod:`nnframe.core.compat`).

Lightning's version is checked when ``nnframe.core`` is imported
(:mod:`nnframe.core.compat.versions`): these reaches are tested on that minor version only.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import WeightAveraging


def signal_connector(trainer: L.Trainer) -> Any:
    """The trainer's signal connector: Lightning's, or nnframe's ``StopSignalConnector`` that
    :func:`~nnframe.core.training.stop_signals.install_stop_signals` put in its place.

    Why: the connector that received SIGTERM / Ctrl-C (and knows which) is only held there.
    Upstream: no upstream issue yet.
    """
    return trainer._signal_connector


def weight_averaging_device(callback: WeightAveraging) -> torch.device | int | None:
    """The device ``WeightAveraging`` keeps its average on (its ``device`` argument; None: the module's).

    Why and upstream: see :func:`set_weight_averaging_device` (the argument is kept only in ``_device``).
    """
    return callback._device


def set_weight_averaging_device(callback: WeightAveraging, device: torch.device) -> None:
    """Keep ``callback``'s average on ``device``, chosen when the trainer is known.

    Why: ``WeightAveraging.setup`` copies the module before Lightning moves it to the training
    device, so without a ``device`` the average stays on the CPU during GPU training; the
    device is not known when the callback is built from the config. Upstream: no upstream issue
    yet (the callback came with Lightning-AI/pytorch-lightning#20545).
    """
    callback._device = device


def attached_trainer(module: L.LightningModule) -> L.Trainer | None:
    """The trainer ``module`` is attached to, or None (``module.trainer`` raises then).

    Why: a module's ``setup`` may also run outside a fit (a test building the module alone),
    and Lightning has no public "is attached" check. Upstream: no upstream issue yet.
    """
    return module._trainer


def ddp_kwargs(strategy: Any) -> dict[str, Any]:
    """The keyword arguments a ``DDPStrategy`` passes to ``DistributedDataParallel``
    (``find_unused_parameters``...).

    Why: the strategy keeps them only in ``_ddp_kwargs``; a frozen backbone needs
    ``find_unused_parameters`` and must say so before DDP fails mid-step. Upstream: no upstream
    issue yet.
    """
    return dict(strategy._ddp_kwargs)


def update_progress_bar_metrics(bar: Any, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
    """Make Lightning's ``RichProgressBar`` read the logged metrics now (it does at its own hooks).

    Why: nnframe's bar refreshes every ``refresh_rate`` steps only, so the last epoch's values
    must be read once more at the end of training; the reading is the private
    ``_update_metrics``. Upstream: no upstream issue yet.
    """
    bar._update_metrics(trainer, pl_module)

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
