"""Base ``LightningModule`` of every task: steps, metrics per stage, optimizers, logging."""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn
from torchmetrics import MaxMetric, MetricCollection, MinMetric

from nnframe.core.backbones.preprocessing import Preprocessing
from nnframe.core.contracts import check_members
from nnframe.core.optim.fused import build_optimizer
from nnframe.core.optim.layer_decay import layer_decay_options
from nnframe.core.optim.param_groups import parameter_groups

TASK_MODULE_MEMBERS = {
    "build_metrics": 'def build_metrics(self): return MetricCollection({"acc": MulticlassAccuracy(self.num_classes)})',
    "compute_loss": "def compute_loss(self, outputs, target): return torch.nn.functional.cross_entropy(outputs, target)",
}


def example_input(datamodule: Any) -> torch.Tensor | None:
    """One image of the datamodule's input size (Shape: (1, channels, size, size)), for
    Lightning's model summary to count real FLOPs and show layer shapes; None when unknown."""
    size, channels = getattr(datamodule, "image_size", None), getattr(datamodule, "in_channels", None)
    if isinstance(size, int) and isinstance(channels, int) and size > 0 and channels > 0:
        return torch.zeros(1, channels, size, size)
    return None


#: Output elements held for the training metrics before they are updated regardless of the step
#: count (16 MB of float32 scores): large outputs are given to them every step.
_MAX_PENDING = 1 << 22


class TaskModule(L.LightningModule):
    """A network, its loss and its metrics, trained with a Hydra-configured optimizer.

    Logging convention: ``<stage>/<name>`` (``train/loss_epoch``, ``val/acc``), and the best value of
    the monitored metric so far as ``<monitor>_best`` (``val/acc_best``).

    A subclass provides:
        ``compute_loss(outputs, target)``; ``build_metrics()`` returning a fresh
        ``MetricCollection`` whose ``update`` takes ``(outputs, target)``; and optionally
        ``predictions(outputs)`` (default: argmax over dim 1), ``prediction_figure(...)`` for
        the TensorBoard grid, and ``predict_step``. A subclass without ``compute_loss`` or
        ``build_metrics`` fails when it is created, with an example of the missing method.

    Args:
        net: the network; ``net(images)`` returns the outputs the loss takes.
        optimizer: partial optimizer (``_partial_: true``) called with the parameters.
        scheduler: optional partial LR scheduler called with the optimizer, and with
            ``total_steps`` (the trainer's estimated optimizer steps) when it accepts it.
        scheduler_interval: ``step`` or ``epoch``.
        monitor: the metric that picks the best checkpoint, e.g. ``val/acc``.
        monitor_mode: ``max`` or ``min``.
        compile: wrap ``net`` in ``torch.compile`` at fit start.
        channels_last: keep ``net``'s weights and its input images in the channels-last memory
            format (timm's ``--channels-last``): faster convolutions on CPUs (oneDNN) and on
            GPUs with tensor cores; the same values.
        exclude_norm_and_bias_from_weight_decay: put biases and normalisation parameters in
            a parameter group without weight decay (and so without LARS adaptation), as the
            SimCLR, BYOL, Barlow Twins, VICReg and DINO papers do.
        train_metrics_every_n_steps: the training metrics (logged once per epoch) receive the
            steps' outputs and targets together every N steps, and at the end of the epoch. Their
            update costs Python time and, on a GPU, host-device synchronisations (torchmetrics'
            ``bincount``, input checks): paying them once per N steps keeps small models' steps
            fast. The epoch values are the same for metrics that accumulate over samples (all of
            torchmetrics' classification and segmentation metrics); 1 updates every step.
        ema_decay: keep an exponential moving average of the weights with this decay (e.g.
            0.9998), validated and checkpointed instead of the raw weights
            (:class:`~nnframe.core.callbacks.EMACallback`); None: off.
        ema_warmup: let the EMA decay warm up (timm's ``ModelEmaV3``) instead of starting at
            ``ema_decay``.
        freeze_backbone_epochs: train with :meth:`backbone_module` frozen for this many epochs
            first (:class:`~nnframe.core.callbacks.BackboneFreezeCallback`); 0: off.
        layer_decay: layer-wise learning-rate decay (e.g. 0.75) over timm's layer numbering of
            ``net`` (:func:`~nnframe.core.optim.layer_decay_options`); None: off.

    The switches that need a callback (EMA, backbone freezing) add it through Lightning's
    ``configure_callbacks`` hook, so a config sets them as ``model.*`` keys and no callback
    config is needed.
    """

    #: Constructor arguments that load pretrained weights, and the values that skip them; used
    #: when the weights come from a checkpoint next (eval, predict, export).
    pretrained_weight_args: ClassVar[Mapping[str, Any]] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> TaskModule:
        check_members(cls, "nnframe.core.modules.TaskModule", TASK_MODULE_MEMBERS)  # a clear error, not None.clone() below
        return super().__new__(cls)

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        scheduler_interval: str = "step",
        monitor: str = "val/acc",
        monitor_mode: str = "max",
        compile: bool = False,
        channels_last: bool = False,
        exclude_norm_and_bias_from_weight_decay: bool = False,
        ema_decay: float | None = None,
        ema_warmup: bool = True,
        freeze_backbone_epochs: int = 0,
        layer_decay: float | None = None,
        train_metrics_every_n_steps: int = 16,
    ) -> None:
        super().__init__()
        if train_metrics_every_n_steps < 1:
            raise ValueError(f"train_metrics_every_n_steps must be at least 1, got {train_metrics_every_n_steps}")
        self.train_metrics_every_n_steps = train_metrics_every_n_steps
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.scheduler_interval = scheduler_interval
        self.monitor = monitor
        self.monitor_mode = monitor_mode
        self.compile = compile
        self.channels_last = channels_last
        self.exclude_norm_and_bias_from_weight_decay = exclude_norm_and_bias_from_weight_decay
        self.ema_decay = ema_decay
        self.ema_warmup = ema_warmup
        self.freeze_backbone_epochs = freeze_backbone_epochs
        self.layer_decay = layer_decay
        # Attribute names, not a ModuleDict: "train" would clash with nn.Module.train.
        self.train_metrics = self.build_metrics().clone(prefix="train/")
        self.val_metrics = self.build_metrics().clone(prefix="val/")
        self.test_metrics = self.build_metrics().clone(prefix="test/")
        self.best_metric = MaxMetric() if monitor_mode == "max" else MinMetric()
        # Saved in checkpoints, so that a resumed run keeps the best value of the epochs before.
        self.best_metric.persistent(True)
        self.class_names: list[str] = []
        # Set by the runner (task, composed config, class names); saved in every checkpoint
        # so that eval/predict can rebuild the model without the original command line.
        self.nnframe_metadata: dict[str, Any] = {}
        # Running sum of this epoch's training loss x batch size, on the device, and its sample count.
        self._train_loss_sum: torch.Tensor | None = None
        self._train_loss_count = 0
        # Training steps' (outputs, target) not given to the training metrics yet.
        self._pending_train_metrics: list[tuple[torch.Tensor, torch.Tensor]] = []

    # --- what a task provides -------------------------------------------------------------

    @abstractmethod
    def build_metrics(self) -> MetricCollection:
        """A fresh ``MetricCollection``; ``update(outputs, target)`` is called every step."""

    @abstractmethod
    def compute_loss(self, outputs: Any, target: torch.Tensor) -> torch.Tensor:
        """The training loss of a batch."""

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        """Hard predictions from the outputs (class index per sample or pixel)."""
        # max().indices, not argmax: on a CPU torch's argmax over a dimension that is not the last
        # is ~15x slower (39 vs 2.5 ms for (256, 6, 32, 32) segmentation logits); the same indices.
        return outputs.max(dim=1).indices

    def metric_inputs(self, outputs: torch.Tensor) -> torch.Tensor:
        """What the metrics' ``update`` gets as predictions: the outputs themselves (scores, which
        top-k accuracy and average precision need). A task whose metrics use hard predictions
        alone returns :meth:`predictions` here: one arg-max for all its metrics, and smaller
        tensors to hold between training-metric updates."""
        return outputs

    def prediction_figure(self, images: torch.Tensor, target: torch.Tensor, preds: torch.Tensor) -> Any:
        """A matplotlib figure of a few validation samples with their predictions (or None)."""
        return None

    @classmethod
    def preprocessing(cls, model_cfg: Mapping[str, Any]) -> Preprocessing | None:
        """The preprocessing the configured pretrained weights expect (what
        ``data.normalization=auto`` follows), or None without pretrained weights.

        A class method on the model config, so the data can be set up before the model is built.
        """
        return None

    def backbone_module(self) -> nn.Module | None:
        """The pretrained feature extractor (what ``freeze_backbone_epochs`` freezes), or None."""
        return None

    def image_normalization(self) -> Any:
        """The normalisation the input images had (a name or ``[mean, std]``), to draw them back:
        the datamodule's during a run, else the data config saved with the model (a model loaded
        from its checkpoint, drawn in a notebook), else ``imagenet``."""
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if datamodule is not None and hasattr(datamodule, "normalization"):
            return datamodule.normalization
        data = (self.nnframe_metadata.get("config") or {}).get("data") or {}
        return data.get("normalization", "imagenet")

    # --- Lightning hooks -------------------------------------------------------------------

    def forward(self, images: torch.Tensor) -> Any:
        if self.channels_last and images.ndim == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        return self.net(images)

    def setup(self, stage: str) -> None:
        if self.channels_last:
            self.net.to(memory_format=torch.channels_last)  # 4-D weights in place; a no-op when already
        if self.compile and stage == "fit":
            self.net = torch.compile(self.net)
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if datamodule is not None and not self.class_names:
            self.class_names = list(getattr(datamodule, "class_names", []))
        if datamodule is not None and self.example_input_array is None and not self.compile:
            self.example_input_array = example_input(datamodule)

    def model_step(self, batch: Any) -> tuple[torch.Tensor, Any, torch.Tensor]:
        """Forward a batch; returns ``(loss, outputs, target)``."""
        images, target = batch
        outputs = self(images)
        return self.compute_loss(outputs, target), outputs, target

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss, outputs, target = self.model_step(batch)
        self.update_train_metrics(outputs, target)
        self.log_train_loss(loss, batch_size=len(target))
        return loss

    def update_train_metrics(self, outputs: torch.Tensor, target: torch.Tensor) -> None:
        """Give a training step's ``outputs`` and ``target`` to the training metrics, batched
        with the other steps since the last update (see ``train_metrics_every_n_steps``)."""
        outputs = self.metric_inputs(outputs.detach())
        held = self._pending_train_metrics
        if held and (outputs.shape[1:] != held[0][0].shape[1:] or target.shape[1:] != held[0][1].shape[1:]):
            self._flush_train_metrics()  # steps of another shape (multi-scale training) cannot be concatenated
        self._pending_train_metrics.append((outputs, target))
        held = self._pending_train_metrics
        if len(held) >= self.train_metrics_every_n_steps or sum(o.numel() for o, _ in held) > _MAX_PENDING:
            self._flush_train_metrics()

    def _flush_train_metrics(self) -> None:
        pending, self._pending_train_metrics = self._pending_train_metrics, []
        if len(pending) == 1:
            self.train_metrics.update(*pending[0])
        elif pending:
            self.train_metrics.update(torch.cat([o for o, _ in pending]), torch.cat([t for _, t in pending]))

    def log_train_loss(self, loss: torch.Tensor, batch_size: int) -> None:
        """Log ``train/loss_step`` (this process's value) and, at the end of the epoch,
        ``train/loss_epoch`` (the mean over all samples of the epoch, across every process under DDP).

        ``self.log`` costs about half a millisecond of Python per call (a sizeable share of a small
        model's step, and GPU idle time), so it is called only when its value is read: at the steps
        whose metrics the loggers write (every ``trainer.log_every_n_steps``), when the progress bar
        redraws (every ``refresh_rate`` steps) and at the last batch of an epoch. Loggers, the bar and
        the final metrics get the same values as with a call at every step. The epoch mean is summed
        here on the device (one kernel per step, no synchronisation) and logged once per epoch, with
        its one collective under DDP.
        """
        if self._step_loss_is_read():
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=batch_size)
        detached = loss.detach().float()
        if self._train_loss_sum is None:
            self._train_loss_sum = detached * batch_size
        else:
            self._train_loss_sum.add_(detached, alpha=batch_size)
        self._train_loss_count += batch_size

    def _step_loss_is_read(self) -> bool:
        """Whether a logger, the progress bar or the end of the epoch reads this step's logged loss."""
        trainer = self._trainer
        epoch_loop = getattr(getattr(trainer, "fit_loop", None), "epoch_loop", None)
        stepped = getattr(epoch_loop, "_batches_that_stepped", None)
        if trainer is None or stepped is None or trainer.fast_dev_run or trainer.should_stop:
            return True
        # What Lightning's logger connector checks after this step (should_update_logs).
        if trainer.log_every_n_steps and (stepped + 1) % trainer.log_every_n_steps == 0:
            return True
        if epoch_loop.batch_progress.is_last_batch or 0 < trainer.max_steps <= trainer.global_step + 1:
            return True  # the run's or the epoch's last step: its value is the final one
        refresh = getattr(trainer.progress_bar_callback, "refresh_rate", 0) or 0
        return bool(refresh) and (epoch_loop.batch_idx + 1) % int(refresh) == 0

    def _log_epoch_train_loss(self) -> None:
        if self._train_loss_sum is None or not self._train_loss_count:
            return
        # Logged with its sample count: Lightning sums value x count and the counts over processes.
        self.log("train/loss_epoch", self._train_loss_sum / self._train_loss_count, on_step=False, on_epoch=True,
                 prog_bar=True, batch_size=self._train_loss_count, sync_dist=True)
        self._train_loss_sum, self._train_loss_count = None, 0

    def _evaluation_step(self, stage: str, batch: Any) -> dict[str, torch.Tensor]:
        loss, outputs, target = self.model_step(batch)
        self.stage_metrics(stage).update(self.metric_inputs(outputs), target)
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(target),
                 sync_dist=True)
        return {"loss": loss, "preds": self.predictions(outputs), "target": target}

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step("val", batch)

    def test_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        return self._evaluation_step("test", batch)

    def stage_metrics(self, stage: str) -> MetricCollection:
        """The metric collection of ``stage`` (``train``, ``val`` or ``test``)."""
        return getattr(self, f"{stage}_metrics")

    def on_train_start(self) -> None:
        # The sanity check must not count towards the best value; a resumed run keeps the
        # best value restored from its checkpoint.
        self.val_metrics.reset()
        if self.trainer.ckpt_path is None:
            self.best_metric.reset()

    def on_train_epoch_start(self) -> None:
        self._train_loss_sum, self._train_loss_count = None, 0
        self._pending_train_metrics = []

    def on_train_epoch_end(self) -> None:
        self._log_epoch_train_loss()
        self._log_epoch_metrics("train")

    def on_validation_epoch_end(self) -> None:
        values = self._log_epoch_metrics("val")
        if self.trainer.sanity_checking or self.monitor not in values:
            return
        self.best_metric(values[self.monitor])
        self.log(f"{self.monitor}_best", self.best_metric.compute(), prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self._log_epoch_metrics("test")

    def _log_epoch_metrics(self, stage: str) -> dict[str, torch.Tensor]:
        """Compute (synced across processes by torchmetrics), log and reset one stage's metrics.

        Vector metrics (one value per class) are logged as ``<name>/<class name>``; a NaN entry
        (a class absent from the split) is not logged.
        """
        if stage == "train":
            self._flush_train_metrics()
        collection = self.stage_metrics(stage)
        if not any(metric.update_called for metric in collection.values()):
            return {}
        values = collection.compute()
        collection.reset()
        scalars: dict[str, torch.Tensor] = {}
        for name, value in values.items():
            if value.numel() == 1:
                scalars[name] = value.squeeze()
            elif value.ndim == 1:
                names = self.class_names if len(self.class_names) == len(value) else range(len(value))
                scalars.update({f"{name}/{class_name}": v for class_name, v in zip(names, value, strict=True)
                                if not torch.isnan(v)})
        self.log_dict(scalars, prog_bar=False)
        return values

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The optimizer's parameter groups (see :func:`nnframe.core.optim.parameter_groups`:
        modules tagged with ``set_param_group_options`` get their own groups; with
        ``layer_decay``, one group per layer with its ``lr_scale``)."""
        options = layer_decay_options(self.net, self.layer_decay, prefix="net.") if self.layer_decay else None
        return parameter_groups(self, self.exclude_norm_and_bias_from_weight_decay, options)

    def configure_callbacks(self) -> list[L.Callback]:
        """The callbacks of the ``ema_decay`` and ``freeze_backbone_epochs`` switches, for fitting."""
        from nnframe.core.callbacks.backbone_freeze_callback import BackboneFreezeCallback
        from nnframe.core.callbacks.ema_callback import EMACallback

        if self._trainer is None or self.trainer.state.fn != "fit":
            return []  # evaluation uses the checkpoint's weights, which are already the EMA's
        callbacks: list[L.Callback] = []
        if self.freeze_backbone_epochs:
            callbacks.append(BackboneFreezeCallback(self.freeze_backbone_epochs))
        if self.ema_decay:
            callbacks.append(EMACallback(self.ema_decay, self.ema_warmup))
        return callbacks

    def configure_optimizers(self) -> Any:
        groups = self.parameter_groups()
        # One plain group: pass the parameters themselves, as before groups existed.
        params: Iterable[nn.Parameter] | list[dict[str, Any]] = (
            groups[0]["params"] if len(groups) == 1 and set(groups[0]) == {"params"} else groups)
        # The fused kernel unless a GradScaler unscales the gradients (Lightning then cannot clip them).
        fp16_scaled = self._trainer is not None and str(self.trainer.precision) == "16-mixed"
        optimizer = build_optimizer(self.optimizer_factory, params, allow_fused=not fp16_scaled)
        for group in optimizer.param_groups:  # layer-wise decay: scaled before the scheduler reads them
            group["lr"] *= group.get("lr_scale", 1.0)
        if self.layer_decay:
            scales = sorted({round(g.get("lr_scale", 1.0), 6) for g in optimizer.param_groups})
            rank_zero_info(f"model.layer_decay={self.layer_decay}: {len(scales)} layers, learning rate x"
                           f"{scales[0]:.3g} (first) to x{scales[-1]:.3g} (head)")
        if self.scheduler_factory is None:
            return optimizer
        kwargs: dict[str, Any] = {}
        if "total_steps" in inspect.signature(self.scheduler_factory).parameters:
            kwargs["total_steps"] = int(self.trainer.estimated_stepping_batches)
        scheduler = self.scheduler_factory(optimizer, **kwargs)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.scheduler_interval, "monitor": self.monitor},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["nnframe"] = {**self.nnframe_metadata, "class_names": self.class_names}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.class_names = list(checkpoint.get("nnframe", {}).get("class_names", self.class_names))
