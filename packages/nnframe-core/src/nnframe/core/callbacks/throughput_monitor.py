"""Lightning's ``ThroughputMonitor`` with the batch size and the FLOPs asked of the task module."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.fabric.utilities.throughput import measure_flops
from lightning.pytorch.callbacks import ThroughputMonitor as LightningThroughputMonitor
from torch.func import functional_call

from nnframe.core.errors import ConfigError
from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.modules.task_module import example_input


def _summed(outputs: Any) -> torch.Tensor:
    """One scalar from a forward's outputs (a tensor, or tensors in lists/tuples/dicts), to
    count the backward pass's FLOPs from."""
    if isinstance(outputs, torch.Tensor):
        return outputs.sum()
    values = outputs.values() if isinstance(outputs, dict) else outputs
    return sum(_summed(value) for value in values)  # type: ignore[return-value]


def training_flops_per_sample(module: torch.nn.Module, inputs: Any) -> int:
    """FLOPs of one forward and backward pass of ``module`` per sample of ``inputs``, counted by
    :func:`lightning.fabric.utilities.throughput.measure_flops` on the meta device: nothing is
    computed, and the module's weights, buffers (batch-norm statistics) and gradients are untouched.

    Args:
        module: called as ``module(*inputs)``.
        inputs: the example inputs, a tensor or a tuple of tensors; dimension 0 is the batch.
    """
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    meta = {name: torch.empty_like(p, device="meta", requires_grad=p.requires_grad)
            for name, p in module.named_parameters()}
    meta.update({name: torch.empty_like(b, device="meta") for name, b in module.named_buffers()})
    meta_inputs = tuple(torch.empty_like(t, device="meta") for t in inputs)
    flops = measure_flops(module, lambda: functional_call(module, meta, meta_inputs), loss_fn=_summed)
    return flops // max(len(inputs[0]), 1)


class ThroughputMonitor(LightningThroughputMonitor):
    """:class:`lightning.pytorch.callbacks.ThroughputMonitor` for task modules: training images
    per second (``train/device/samples_per_sec``), FLOPs per second and, on a GPU Lightning
    knows the peak of, the model FLOPs utilisation (``train/device/mfu``) in the run's logs,
    over the last ``window_size`` steps; validation as ``validate/...`` (see Lightning's
    ``Throughput`` for every key).

    A subclass only because what Lightning takes as arguments comes from the task module: the
    images in a batch from its ``batch_size_of`` (a list of images, SSL views), and
    ``flops_per_batch`` (unless the module sets it) from one forward and backward pass of an
    example input (:meth:`TaskModule.export_inputs`, one image) counted on the meta device at
    setup, times each training batch's size (none for validation batches; a step that forwards
    several views of each image, as ssl's, does more: such a module sets ``flops_per_batch``). A model that cannot run on the meta device
    (torchvision's detectors, which branch on their data) is said once to have no FLOPs count;
    images per second are still logged. Test and prediction runs are not measured: Lightning
    would log them at their batch index, among the validation curves (``bench`` measures
    inference).

    Off by default: Lightning synchronises the GPU after every training step so that its clock
    is right, which a small model's step pays for (``EpochTimingCallback`` prints img/s per
    epoch without that).

    Args:
        window_size: steps the rates are averaged over; none are logged before that many steps.
        measure_flops: count the model's FLOPs (for ``flops_per_sec`` and MFU).
    """

    def __init__(self, window_size: int = 50, measure_flops: bool = True) -> None:
        super().__init__(batch_size_fn=self._images_in, window_size=window_size)
        self.measure_flops = measure_flops
        self._module: L.LightningModule | None = None
        self._flops_per_sample: int | None = None
        self._sets_flops = False  # the module has no flops_per_batch of its own: this callback sets it

    def _images_in(self, batch: Any) -> int:
        return int(self._module.batch_size_of(batch))  # type: ignore[union-attr]

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if not callable(getattr(pl_module, "batch_size_of", None)):
            raise ConfigError(f"callbacks.throughput needs a task module with batch_size_of (nnframe.core.modules."
                              f"TaskModule), not {type(pl_module).__name__}; remove callbacks.throughput")
        self._module = pl_module
        super().setup(trainer, pl_module, stage)
        if stage != "fit" or (hasattr(pl_module, "flops_per_batch") and not self._sets_flops):
            return
        self._sets_flops = True
        # Counted here, before TaskModule.setup compiles the network (model.compile).
        self._flops_per_sample = self._count_flops(trainer, pl_module) if self.measure_flops else None

    def _count_flops(self, trainer: L.Trainer, pl_module: L.LightningModule) -> int | None:
        inputs = example_input(getattr(trainer, "datamodule", None), pl_module)
        reason = "the datamodule has no image_size and in_channels" if inputs is None else ""
        if inputs is not None:
            try:
                return training_flops_per_sample(pl_module, inputs)
            except Exception as error:  # noqa: BLE001 - any model that cannot run on the meta device
                first_line = (str(error).splitlines() or [type(error).__name__])[0][:120]
                reason = f"{type(pl_module).__name__} cannot run on the meta device: {first_line}"
        not_applicable("throughput: FLOPs and MFU", f"{reason}; images per second are logged")
        return None

    def _set_flops(self, pl_module: L.LightningModule, flops: int | None) -> None:
        # Lightning reads this attribute (its documented hook); None: no FLOPs, and no warning.
        if self._sets_flops:
            pl_module.flops_per_batch = flops

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        per_sample = self._flops_per_sample
        self._set_flops(pl_module, None if per_sample is None else per_sample * self._images_in(batch))

    def on_validation_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                                  batch_idx: int, dataloader_idx: int = 0) -> None:
        # The counted FLOPs are a training step's (forward and backward): none for validation.
        self._set_flops(pl_module, None)

    def on_test_start(self, trainer: L.Trainer, *args: Any) -> None:
        pass

    def on_test_batch_end(self, trainer: L.Trainer, *args: Any, **kwargs: Any) -> None:
        pass

    def on_predict_start(self, trainer: L.Trainer, *args: Any) -> None:
        pass

    def on_predict_batch_end(self, trainer: L.Trainer, *args: Any, **kwargs: Any) -> None:
        pass
