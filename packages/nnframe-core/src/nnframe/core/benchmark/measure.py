"""Timed training steps (through Lightning, as a run trains) and timed inference."""

from __future__ import annotations

import contextlib
from typing import Any

import lightning as L
import torch
from torch.utils.flop_counter import FlopCounterMode

from nnframe.core.benchmark.bench_case import LIGHTNING_PRECISION
from nnframe.core.benchmark.step_clock import StepClock, summarize_steps
from nnframe.core.benchmark.synthetic_batch import to_channels_last

AUTOCAST_DTYPES = {"bf16-mixed": torch.bfloat16, "fp16-mixed": torch.float16}


def precision_unsupported(precision: str, device: torch.device) -> str | None:
    """Why ``precision`` cannot run on ``device`` (None when it can)."""
    if precision == "fp16-mixed" and device.type == "cpu":
        return "fp16-mixed skipped: Lightning has no fp16 autocast training on CPU (bf16-mixed is the CPU option)"
    if precision == "bf16-mixed" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return "bf16-mixed skipped: this GPU has no bf16 (needs compute capability 8.0+)"
    return None


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float | None:
    """Peak memory allocated by tensors since the last reset (CUDA only; None on the CPU)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return None


class StepTimerCallback(L.Callback):
    """Times training steps after ``warmup_steps``; counts the FLOPs of step 0 if asked.

    The clock starts at the end of the last warm-up step, so each interval is one full step
    as the loop runs it: fetching the batch, forward, backward, optimizer, hooks.
    """

    def __init__(self, device: torch.device, warmup_steps: int, count_flops: bool = False) -> None:
        self.clock = StepClock(device)
        self.device = device
        self.warmup_steps = max(int(warmup_steps), 1)
        self.count_flops = count_flops
        self.flops: int | None = None
        self.peak_mb: float | None = None
        self._counter: FlopCounterMode | None = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self.count_flops and trainer.global_step == 0:
            self._counter = FlopCounterMode(display=False)
            self._counter.__enter__()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
            self.flops = int(self._counter.get_total_flops())
            self._counter = None
        step = trainer.global_step  # already counts this step's optimizer step
        if step == self.warmup_steps:
            reset_peak_memory(self.device)
            self.clock.start()
        elif step > self.warmup_steps:
            self.clock.mark()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.peak_mb = peak_memory_mb(self.device)


def measure_training(module: L.LightningModule, device: torch.device, precision: str, *, warmup_steps: int,
                     steps: int, repeats: int, batch_size: int, channels_last: bool = False,
                     count_flops: bool = False, cudnn_benchmark: bool = True,
                     train_dataloaders: Any = None, datamodule: Any = None) -> dict[str, Any]:
    """Fit ``module`` for ``warmup_steps + repeats * steps`` steps and time the last ones.

    Args:
        module: a fresh LightningModule (its optimizer comes from ``configure_optimizers``).
        train_dataloaders / datamodule: the data (a :class:`RepeatedBatch` for the model-only figure).

    Returns:
        ``img_s``, ``ms_median``, ``ms_p90``, ``peak_mem_mb`` and ``flops`` (per step, or None).
    """
    timer = StepTimerCallback(device, warmup_steps, count_flops=count_flops)
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
        # Real loaders yield contiguous images: convert each batch once it is on the device.
        module.on_after_batch_transfer = lambda batch, dataloader_idx: to_channels_last(batch)  # type: ignore[method-assign]
    trainer = L.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=[device.index or 0] if device.type == "cuda" else 1,
        precision=LIGHTNING_PRECISION[precision],  # type: ignore[arg-type]
        max_steps=timer.warmup_steps + repeats * steps,
        max_epochs=-1,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        benchmark=cudnn_benchmark if device.type == "cuda" else None,
        callbacks=[timer],
    )
    trainer.fit(module, train_dataloaders=train_dataloaders, datamodule=datamodule)
    intervals = timer.clock.intervals()
    return {**summarize_steps(intervals, batch_size, repeats), "peak_mem_mb": timer.peak_mb, "flops": timer.flops}


def measure_inference(module: torch.nn.Module, images: torch.Tensor | list[torch.Tensor], device: torch.device,
                      precision: str, *, warmup_steps: int, steps: int, repeats: int, channels_last: bool = False,
                      count_flops: bool = False) -> dict[str, Any]:
    """Time ``module(images)`` in eval mode under ``torch.inference_mode`` and autocast.

    Args:
        images: a (batch, channels, height, width) tensor, or a list of (channels, height, width)
            images (a detector's input, as its task's ``batch_images`` gives it).

    Returns:
        ``img_s``, ``ms_median``, ``ms_p90``, ``peak_mem_mb`` and ``flops`` (per batch, or None).
    """
    module = module.to(device).eval()
    if isinstance(images, torch.Tensor):
        images = images.to(device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
    else:
        images = [image.to(device) for image in images]
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
    dtype = AUTOCAST_DTYPES.get(precision)
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
    clock = StepClock(device)
    flops = None
    with torch.inference_mode(), autocast:
        if count_flops:
            with FlopCounterMode(display=False) as counter:
                module(images)
            flops = int(counter.get_total_flops())
        for _ in range(max(warmup_steps, 1)):
            module(images)
        reset_peak_memory(device)
        clock.start()
        for _ in range(repeats * steps):
            module(images)
            clock.mark()
    intervals = clock.intervals()
    return {**summarize_steps(intervals, len(images), repeats), "peak_mem_mb": peak_memory_mb(device),
            "flops": flops}
