"""Private Lightning attributes nnframe relies on (see :mod:`nnframe.core.compat`).

Lightning's version is checked when ``nnframe.core`` is imported
(:mod:`nnframe.core.compat.versions`): these reaches are tested on that minor version only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, WeightAveraging
from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector
from torch import nn


def signal_connector(trainer: L.Trainer) -> Any:
    """The trainer's signal connector: Lightning's, or nnframe's ``StopSignalConnector`` that
    :func:`~nnframe.core.training.stop_signals.install_stop_signals` put in its place.

    Why: the connector that received SIGTERM / Ctrl-C (and knows which) is only held there.
    Upstream: no upstream issue yet.
    """
    return trainer._signal_connector


class SignalConnectorBase(_SignalConnector):
    """Lightning's signal connector (its private ``_SignalConnector``) with the two handlers it
    registers given public names to override: :meth:`on_sigterm` and :meth:`on_requeue_signal`.
    Give a trainer an instance with :func:`set_signal_connector`.

    Why: a trainer's signal handling changes only by replacing its connector, and the handlers
    Lightning registers for SIGTERM and SLURM's requeue signal are the connector's private
    ``_sigterm_notifier_fn`` / ``_slurm_sigusr_handler_fn``. Upstream: a SIGTERM that one DDP rank
    gets stops it alone (https://github.com/Lightning-AI/pytorch-lightning/issues/20806); the
    requeue checkpoint is written inside the signal handler
    (https://github.com/Lightning-AI/pytorch-lightning/issues/21406).
    """

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM arrived (Lightning: kill the processes it launched, broadcast, set ``received_sigterm``)."""
        super()._sigterm_notifier_fn(signum, frame)  # type: ignore[arg-type]

    def on_requeue_signal(self, signum: int, frame: FrameType | None) -> None:
        """SLURM's requeue signal arrived, with ``SLURMEnvironment(auto_requeue=True)`` (Lightning:
        save a checkpoint and ``scontrol requeue`` the job, inside the handler)."""
        super()._slurm_sigusr_handler_fn(signum, frame)  # type: ignore[arg-type]

    def _sigterm_notifier_fn(self, signum: Any, frame: FrameType | None) -> None:  # Lightning's name
        self.on_sigterm(signum, frame)

    def _slurm_sigusr_handler_fn(self, signum: Any, frame: FrameType | None) -> None:  # Lightning's name
        self.on_requeue_signal(signum, frame)


def set_signal_connector(trainer: L.Trainer, connector: SignalConnectorBase) -> None:
    """Make ``connector`` the one ``trainer`` registers its signal handlers through (at each fit,
    validate, test and predict) and reads ``received_sigterm`` from.

    Why and upstream: see :class:`SignalConnectorBase` (the trainer holds it in ``_signal_connector``).
    """
    trainer._signal_connector = connector


def set_per_batch_stop_check(trainer: L.Trainer, check: Callable[[], None]) -> None:
    """Call ``check`` in place of Lightning's per-batch broadcast of rank 0's SIGTERM flag: every
    process calls it before each training batch when several processes run (it raises
    ``SIGTERMException`` to stop).

    Why: the broadcast is the training epoch loop's private ``_broadcast_sigterm_tensor``; it sends
    rank 0's flag only, so a SIGTERM that reached another rank stops that rank alone, and the
    others deadlock in their next collective. Upstream:
    https://github.com/Lightning-AI/pytorch-lightning/issues/20806 (the broadcast came with
    https://github.com/Lightning-AI/pytorch-lightning/pull/20825).
    """
    trainer.fit_loop.epoch_loop._broadcast_sigterm_tensor = check  # type: ignore[method-assign]


def checkpoint_last_saved_step(callback: ModelCheckpoint) -> int:
    """The global step at which ``callback`` last saved a checkpoint (0: none in this run).

    Why: ``ModelCheckpoint`` keeps it only in ``_last_global_step_saved``, and skips a save at the
    step it holds; nnframe's preemption checkpoint and step saves must know (and set) it.
    Upstream: no upstream issue yet.
    """
    return callback._last_global_step_saved


def set_checkpoint_last_saved_step(callback: ModelCheckpoint, step: int) -> None:
    """Tell ``callback`` that a checkpoint was saved at ``step`` (it will not save that step again).

    Why and upstream: see :func:`checkpoint_last_saved_step`.
    """
    callback._last_global_step_saved = step


def save_last_checkpoint(callback: ModelCheckpoint, trainer: L.Trainer) -> None:
    """Write ``callback``'s ``last.ckpt`` now (its name formatted with the current metrics, the
    previous one replaced, ``last_model_path`` updated), as ``ModelCheckpoint`` does at its save points.

    Why: since Lightning 2.6 ``last.ckpt`` is rewritten only when a top-k checkpoint is saved at
    the same step, so a resumed run would redo the epochs that did not improve the monitored
    metric; writing it is the private ``_save_last_checkpoint(trainer, _monitor_candidates(trainer))``.
    Upstream: no upstream issue yet (the same report downstream:
    https://github.com/openclimatefix/pvnet/issues/542).
    """
    callback._save_last_checkpoint(trainer, callback._monitor_candidates(trainer))


def checkpoint_skips_saving(callback: ModelCheckpoint, trainer: L.Trainer) -> bool:
    """Whether ``callback`` saves nothing now (``fast_dev_run``, not fitting, sanity check, or this
    step already saved).

    Why: ``ModelCheckpoint`` decides it in the private ``_should_skip_saving_checkpoint``; nnframe
    writes ``last.ckpt`` exactly where Lightning would have saved. Upstream: no upstream issue yet.
    """
    return callback._should_skip_saving_checkpoint(trainer)


def checkpoint_saves_on_train_epoch_end(callback: ModelCheckpoint, trainer: L.Trainer) -> bool:
    """Whether ``callback`` saves at the end of the training epoch (no validation in the epoch, or
    ``save_on_train_epoch_end=True``) rather than at the end of validation.

    Why and upstream: as :func:`checkpoint_skips_saving` (the private ``_should_save_on_train_epoch_end``).
    """
    return callback._should_save_on_train_epoch_end(trainer)


@contextlib.contextmanager
def jit_tracing(module: nn.Module) -> Iterator[None]:
    """While inside, ``module`` (a ``LightningModule``; any other module is left alone) can be
    traced by ``torch.jit.trace`` without a trainer.

    Why: ``torch.jit.trace`` reads every attribute of the module, and ``LightningModule.trainer``
    raises outside a Trainer unless the module's ``_jit_is_scripting`` is set (what
    ``LightningModule.to_torchscript`` sets; it is deprecated from Lightning 2.6.1 and traces
    strictly). Upstream: https://github.com/Lightning-AI/pytorch-lightning/issues/14036.
    """
    if not isinstance(module, L.LightningModule):
        yield
        return
    previous = module._jit_is_scripting
    module._jit_is_scripting = True
    try:
        yield
    finally:
        module._jit_is_scripting = previous


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
