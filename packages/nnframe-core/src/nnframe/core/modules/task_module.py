"""Base ``LightningModule`` of every task: steps, metrics per stage, optimizers, logging."""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import lightning as L
import torch
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from torch import nn
from torchmetrics import MaxMetric, MetricCollection, MinMetric

from nnframe.core.backbones.preprocessing import Preprocessing
from nnframe.core.compat.lightning import attached_trainer
from nnframe.core.contracts import check_members
from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.modules.step_output import StepOutput
from nnframe.core.optim.fused import build_optimizer
from nnframe.core.optim.layer_decay import layer_decay_options
from nnframe.core.optim.param_groups import parameter_groups

TASK_MODULE_MEMBERS = {
    "build_metrics": 'def build_metrics(self): return MetricCollection({"acc": MulticlassAccuracy(self.num_classes)})',
    "compute_loss": "def compute_loss(self, outputs, target): return torch.nn.functional.cross_entropy(outputs, target)",
}

#: What a task module needs when it computes its loss itself (its own ``model_step``, or a model
#: that returns its losses): ``compute_loss`` is then not called.
TASK_MODULE_MEMBERS_OWN_LOSS = {"build_metrics": TASK_MODULE_MEMBERS["build_metrics"]}


def example_input(datamodule: Any, module: Any = None) -> Any:
    """One input of the datamodule's size, for Lightning's model summary to count real FLOPs and
    show layer shapes; None when unknown.

    With ``module``, its :meth:`TaskModule.export_inputs` (a task whose ``forward`` takes
    something else than an image batch says so there); else one zero image. Shape: (1,
    channels, size, size).
    """
    size, channels = getattr(datamodule, "image_size", None), getattr(datamodule, "in_channels", None)
    if not (isinstance(size, int) and isinstance(channels, int) and size > 0 and channels > 0):
        return None
    if module is not None:
        inputs = module.export_inputs({"channels": channels, "height": size, "width": size, "batch_size": 1})
        return inputs[0] if len(inputs) == 1 else inputs
    return torch.zeros(1, channels, size, size)


#: Output elements held for the training metrics before they are updated regardless of the step
#: count (16 MB of float32 scores): large outputs are given to them every step.
_MAX_PENDING = 1 << 22


class TaskModule(L.LightningModule):
    """A network, its loss and its metrics, trained with a Hydra-configured optimizer.

    Logging convention: ``<stage>/<name>`` (``train/loss_epoch``, ``val/acc``), and the best value of
    the monitored metric so far as ``<monitor>_best`` (``val/acc_best``).

    A subclass provides:
        ``build_metrics()`` returning a fresh ``MetricCollection``, and ``compute_loss(outputs,
        target)`` unless it computes its loss itself (its own ``model_step``, or
        ``model_returns_losses = True``). A subclass without them fails when it is created, with
        an example of the missing method.

    The batch contract: core (this class's steps, the callbacks, ``inspect``, export, the
    benchmarks) never indexes a batch, a target or an output; it asks the module through the
    methods below, whose defaults fit ``(images (B, C, H, W), target tensor)`` batches
    (classification labels, segmentation masks). A task with other batches (a list of images
    and a dict of boxes per image) overrides the few that differ:

    - ``batch_images`` / ``batch_target`` / ``batch_size_of``: what a batch holds;
    - ``model_step`` -> :class:`~nnframe.core.modules.StepOutput` (loss, outputs, target, named
      losses), or ``model_returns_losses = True`` for a model whose ``forward(images, target)``
      returns its losses in training mode (torchvision detectors): no step to write;
    - ``update_metrics`` / ``metric_inputs`` / ``predictions`` / ``metric_scalars``: what the
      metrics get and what of their values is logged;
    - ``prediction_figure`` / ``sample_figure``: the TensorBoard figures (None: not drawn);
    - ``export_formats`` / ``export_module`` / ``export_inputs`` / ``export_names`` /
      ``export_unsupported``: export;
    - ``synthetic_batch``: a batch of the task's shape for the throughput benchmark.

    Where a core feature cannot apply to a task it says so once, by name
    (:func:`~nnframe.core.modules.not_applicable`), instead of failing.

    Args:
        net: the network; ``net(images)`` returns the outputs the loss takes (with
            ``model_returns_losses``: ``net(images, target)`` returns a dict of losses in
            training mode, ``net(images)`` the predictions in evaluation mode).
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

    #: True for a network that computes its own losses (torchvision detectors, Hugging Face
    #: models): in training ``net(images, target)`` returns a dict of losses, summed into the
    #: loss and each logged as ``train/loss_<name>`` (``loss_classifier`` keeps its name: see
    #: :class:`StepOutput`); in evaluation ``net(images)`` returns the
    #: predictions and there is no ``val/loss`` (said once as not applicable).
    model_returns_losses: ClassVar[bool] = False

    #: The ``export.format`` values this task's model exports to (``pt2``: torch.export, ``onnx``,
    #: ``torchscript``). ``nnframe <task> export`` with another format stops before loading the
    #: checkpoint and names these; a task whose model ``torch.export`` cannot trace (torchvision's
    #: detectors) lists only what works for it.
    export_formats: ClassVar[tuple[str, ...]] = ("pt2", "onnx", "torchscript")

    def __new__(cls, *args: Any, **kwargs: Any) -> TaskModule:
        own_loss = cls.model_returns_losses or cls.model_step is not TaskModule.model_step
        required = TASK_MODULE_MEMBERS_OWN_LOSS if own_loss else TASK_MODULE_MEMBERS
        check_members(cls, "nnframe.core.modules.TaskModule", required)  # a clear error, not None.clone() below
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
        # Metric values neither scalar nor one per class, named once as not logged.
        self._unlogged_metrics: set[str] = set()

    # --- what a task provides -------------------------------------------------------------

    @abstractmethod
    def build_metrics(self) -> MetricCollection:
        """A fresh ``MetricCollection``; :meth:`update_metrics` gives it every step's outputs."""

    @abstractmethod
    def compute_loss(self, outputs: Any, target: Any) -> torch.Tensor:
        """The loss of a batch from the network's outputs (what the default :meth:`model_step`
        calls). Required unless the subclass computes its loss in its own ``model_step`` or sets
        ``model_returns_losses`` (checked when the module is created)."""
        raise NotImplementedError(f"{type(self).__name__} defines no compute_loss: define it, or compute "
                                  "the loss in model_step")

    # --- the batch contract: what a batch holds -----------------------------------------------

    def batch_images(self, batch: Any) -> torch.Tensor | list[torch.Tensor]:
        """The images of a batch, as the network takes them. Default: ``batch[0]``.

        Shape: (B, C, H, W), or a list of B (C, H, W) tensors of any sizes (detection).
        """
        return batch[0]

    def batch_target(self, batch: Any) -> Any:
        """The targets of a batch (class indices, masks, a list of dicts of boxes...).
        Default: ``batch[1]``."""
        return batch[1]

    def batch_size_of(self, batch: Any) -> int:
        """Number of images in a batch: what the loss is weighted by and the timing counts
        (img/s). Default: ``len(batch_images(batch))``."""
        return len(self.batch_images(batch))

    # --- the batch contract: the step ---------------------------------------------------------

    def model_step(self, batch: Any) -> StepOutput:
        """Forward a batch; returns its loss, outputs and targets.

        Default: ``compute_loss(self(images), target)``; with ``model_returns_losses``, in
        training the sum of ``net(images, target)``'s losses (each in ``losses``, no outputs for
        the metrics) and in evaluation ``self(images)``'s predictions without a loss.
        """
        images, target = self.batch_images(batch), self.batch_target(batch)
        if self.model_returns_losses:
            if self.training:
                losses = dict(self.net(images, target))
                return StepOutput(loss=sum(losses.values()), outputs=None, target=target,  # type: ignore[arg-type]
                                  losses=losses)
            return StepOutput(loss=None, outputs=self(images), target=target)
        outputs = self(images)
        return StepOutput(loss=self.compute_loss(outputs, target), outputs=outputs, target=target)

    def predictions(self, outputs: Any) -> Any:
        """Hard predictions from the outputs (class index per sample or pixel), what the
        validation steps return as ``preds`` and the prediction grid draws. Default: argmax over
        dim 1."""
        # max().indices, not argmax: on a CPU torch's argmax over a dimension that is not the last
        # is ~15x slower (39 vs 2.5 ms for (256, 6, 32, 32) segmentation logits); the same indices.
        return outputs.max(dim=1).indices

    def metric_inputs(self, outputs: Any) -> Any:
        """What the metrics' ``update`` gets as predictions: the outputs themselves (scores, which
        top-k accuracy and average precision need). A task whose metrics use hard predictions
        alone returns :meth:`predictions` here: one arg-max for all its metrics, and smaller
        tensors to hold between training-metric updates."""
        return outputs

    def update_metrics(self, stage: str, outputs: Any, target: Any) -> None:
        """Give a step's outputs and targets to the metrics of ``stage`` (``train``, ``val``,
        ``test``). Default: ``stage_metrics(stage).update(metric_inputs(outputs), target)``; in
        training, tensors are held and given together every ``train_metrics_every_n_steps``
        steps (see :meth:`update_train_metrics`), other outputs every step."""
        if stage == "train":
            self.update_train_metrics(outputs, target)
        else:
            self.stage_metrics(stage).update(self.metric_inputs(outputs), target)

    def metric_scalars(self, stage: str, values: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What to log of a stage's computed metric ``values`` (keys ``<stage>/<name>``).

        Default: one-element values as scalars; 1-D values with one entry per class as
        ``<name>/<class name>`` (a NaN entry, a class absent from the split, is left out);
        anything else (a ``classes`` id tensor, per-threshold curves) is not logged, and named
        once as not logged.
        """
        scalars: dict[str, torch.Tensor] = {}
        classes = len(self.class_names) or int(getattr(self, "num_classes", 0) or 0)
        for name, value in values.items():
            if not isinstance(value, torch.Tensor):
                self._name_unlogged(name, type(value).__name__)
            elif value.numel() == 1:
                scalars[name] = value.squeeze()
            elif value.ndim == 1 and len(value) == classes:
                names = self.class_names if len(self.class_names) == len(value) else range(len(value))
                scalars.update({f"{name}/{class_name}": v for class_name, v in zip(names, value, strict=True)
                                if not torch.isnan(v)})
            else:
                self._name_unlogged(name, f"a tensor of shape {tuple(value.shape)}")
        return scalars

    def _name_unlogged(self, name: str, what: str) -> None:
        if name not in self._unlogged_metrics:
            self._unlogged_metrics.add(name)
            rank_zero_info(f"{name}: not logged ({what}: neither a scalar nor one value per class; "
                           "override metric_scalars to log it)")

    # --- the batch contract: figures ----------------------------------------------------------

    def prediction_figure(self, images: Any, target: Any, preds: Any) -> Any:
        """A matplotlib figure of a few validation samples with their predictions, or None (the
        prediction grid then says it does not apply). ``images`` as :meth:`batch_images` gives
        them, ``target`` and ``preds`` as the validation step returns them, the first few of each."""
        return None

    def sample_figure(self, batch: Any, max_images: int = 32) -> Any:
        """A matplotlib figure of a training batch's first samples as the model receives them
        (after augmentation), or None (not drawn). Default: the images denormalised, with their
        class labels as titles (:func:`~nnframe.core.cv_tools.sample_grid.training_samples_figure`)."""
        from nnframe.core.cv_tools.sample_grid import training_samples_figure

        images, target = self.batch_images(batch), self.batch_target(batch)
        if not isinstance(images, torch.Tensor) or not isinstance(target, torch.Tensor):
            return None
        return training_samples_figure(images, target, self.class_names, self.image_normalization(), max_images)

    # --- the batch contract: export and benchmarks ------------------------------------------------

    def export_module(self) -> nn.Module:
        """The module written by ``export`` (default: this one, ``forward(images) -> outputs``)."""
        return self

    def export_inputs(self, spec: Mapping[str, Any]) -> tuple[torch.Tensor, ...]:
        """Example inputs of :meth:`export_module`, traced by the exporter and run to check the
        exported model (so random, not zeros; the same for the same spec).

        Args:
            spec: ``batch_size``, ``channels``, ``height``, ``width`` (the export's input spec).

        Default: one batch of standard-normal images. Shape: ((batch, channels, height, width),).
        """
        batch_size = int(spec.get("batch_size", 1))
        generator = torch.Generator().manual_seed(batch_size)
        return (torch.randn(batch_size, int(spec["channels"]), int(spec["height"]), int(spec["width"]),
                            generator=generator),)

    def export_names(self) -> tuple[list[str], list[str]]:
        """The exported graph's input and output names. Default: ``(["images"], ["outputs"])``
        (several outputs under one name are numbered: ``outputs_0``, ``outputs_1``...)."""
        return ["images"], ["outputs"]

    def export_unsupported(self) -> str | None:
        """Why this task's model cannot be exported, or None. ``export`` stops with this
        reason, by name, before tracing anything."""
        return None

    def synthetic_batch(self, batch_size: int, image_size: int, in_channels: int, num_classes: int,
                        example: Any = None) -> Any:
        """A batch of the task's shape with random content, for the throughput benchmark.

        Args:
            batch_size, image_size, in_channels, num_classes: its size.
            example: a real training batch, when the benchmark has one.

        Default: with ``example``, its structure with ``batch_size`` samples (floating tensors
        standard-normal noise, integer ones, labels or masks, tiled from the example: see
        :func:`nnframe.core.benchmark.synthetic_batch.synthetic_batch`; a batch of tensors or
        lists of tensors, as cls, seg and ssl have); else ``(normal-noise images (B, C, H, W),
        class indices (B,))``. A task whose batches hold lists of samples (detection) overrides it.
        """
        if example is not None:
            from nnframe.core.benchmark.synthetic_batch import synthetic_batch

            return synthetic_batch(example, batch_size, torch.device("cpu"))
        images = torch.randn(batch_size, in_channels, image_size, image_size)
        return images, torch.randint(0, max(num_classes, 1), (batch_size,))

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
        datamodule = getattr(attached_trainer(self), "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "normalization"):
            return datamodule.normalization
        data = (self.nnframe_metadata.get("config") or {}).get("data") or {}
        return data.get("normalization", "imagenet")

    # --- Lightning hooks -------------------------------------------------------------------

    def forward(self, images: Any, *args: Any) -> Any:
        if self.channels_last and isinstance(images, torch.Tensor) and images.ndim == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        return self.net(images, *args)

    def setup(self, stage: str) -> None:
        if self.channels_last:
            self.net.to(memory_format=torch.channels_last)  # 4-D weights in place; a no-op when already
        if self.compile and stage == "fit":
            self.net = torch.compile(self.net)
        datamodule = getattr(attached_trainer(self), "datamodule", None)
        if datamodule is not None and not self.class_names:
            self.class_names = list(getattr(datamodule, "class_names", []))
        if (datamodule is not None and self.example_input_array is None and not self.compile
                and self.export_unsupported() is None):
            self.example_input_array = example_input(datamodule, self)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        step = self.model_step(batch)
        if step.loss is None:
            raise ValueError(f"{type(self).__name__}.model_step returned no loss in training")
        if step.outputs is not None:
            self.update_metrics("train", step.outputs, step.target)
        batch_size = self.batch_size_of(batch)
        self.log_train_loss(step.loss, batch_size=batch_size)
        self._log_named_losses("train", step.losses, batch_size, on_step=True)
        return step.loss

    def update_train_metrics(self, outputs: Any, target: Any) -> None:
        """Give a training step's ``outputs`` and ``target`` to the training metrics, batched
        with the other steps since the last update (see ``train_metrics_every_n_steps``).
        Outputs or targets that are not tensors (lists of dicts) are given at once."""
        outputs = self.metric_inputs(outputs.detach() if isinstance(outputs, torch.Tensor) else outputs)
        if not isinstance(outputs, torch.Tensor) or not isinstance(target, torch.Tensor):
            self._flush_train_metrics()
            self.train_metrics.update(outputs, target)
            return
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
        """Log ``train/loss_step`` (this process's value, every step as Lightning logs) and, at the
        end of the epoch, ``train/loss_epoch`` (the mean over all samples of the epoch, across
        every process under DDP). The epoch mean is summed here on the device (one kernel per
        step, no synchronisation) and logged once per epoch, with its one collective under DDP.
        """
        self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=batch_size)
        detached = loss.detach().float()
        if self._train_loss_sum is None:
            self._train_loss_sum = detached * batch_size
        else:
            self._train_loss_sum.add_(detached, alpha=batch_size)
        self._train_loss_count += batch_size

    def _log_named_losses(self, stage: str, losses: Mapping[str, torch.Tensor], batch_size: int,
                          on_step: bool) -> None:
        """Log each named part of the loss as ``<stage>/loss_<name>`` (a name already starting
        with ``loss`` as ``<stage>/<name>``)."""
        for name, value in losses.items():
            key = f"{stage}/{name}" if name.startswith("loss") else f"{stage}/loss_{name}"
            self.log(key, value.detach(), on_step=on_step, on_epoch=True, batch_size=batch_size,
                     sync_dist=not on_step)

    def _log_epoch_train_loss(self) -> None:
        if self._train_loss_sum is None or not self._train_loss_count:
            return
        # Logged with its sample count: Lightning sums value x count and the counts over processes.
        self.log("train/loss_epoch", self._train_loss_sum / self._train_loss_count, on_step=False, on_epoch=True,
                 prog_bar=True, batch_size=self._train_loss_count, sync_dist=True)
        self._train_loss_sum, self._train_loss_count = None, 0

    def _evaluation_step(self, stage: str, batch: Any) -> dict[str, Any]:
        step = self.model_step(batch)
        batch_size = self.batch_size_of(batch)
        if step.outputs is not None:
            self.update_metrics(stage, step.outputs, step.target)
        result: dict[str, Any] = {"target": step.target}
        if step.loss is not None:
            self.log(f"{stage}/loss", step.loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=batch_size,
                     sync_dist=True)
            result["loss"] = step.loss
        self._log_named_losses(stage, step.losses, batch_size, on_step=False)
        if step.outputs is not None:
            result["preds"] = self.predictions(step.outputs)
        return result

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        return self._evaluation_step("val", batch)

    def test_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
        return self._evaluation_step("test", batch)

    def stage_metrics(self, stage: str) -> MetricCollection:
        """The metric collection of ``stage`` (``train``, ``val`` or ``test``)."""
        return getattr(self, f"{stage}_metrics")

    def on_fit_start(self) -> None:
        if self.model_returns_losses:
            not_applicable("val/loss", f"{type(self).__name__}'s model computes its losses in training mode only")

    def on_test_start(self) -> None:
        if self.model_returns_losses:
            not_applicable("test/loss", f"{type(self).__name__}'s model computes its losses in training mode only")

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
        # The best value so far belongs to training: an evaluation (``trainer.validate``) reports
        # what it measured only.
        if self.trainer.sanity_checking or self.trainer.state.fn != TrainerFn.FITTING or self.monitor not in values:
            return
        self.best_metric(values[self.monitor])
        self.log(f"{self.monitor}_best", self.best_metric.compute(), prog_bar=True)

    def on_test_epoch_end(self) -> None:
        self._log_epoch_metrics("test")

    def _log_epoch_metrics(self, stage: str) -> dict[str, torch.Tensor]:
        """Compute (synced across processes by torchmetrics), log (what :meth:`metric_scalars`
        keeps) and reset one stage's metrics."""
        if stage == "train":
            self._flush_train_metrics()
        collection = self.stage_metrics(stage)
        if not any(metric.update_called for metric in collection.values()):
            return {}
        values = collection.compute()
        collection.reset()
        scalars = self.metric_scalars(stage, values)
        # The monitored metric (val/acc) in the progress bar, beside its best value.
        monitored = scalars.pop(self.monitor, None) if stage == "val" else None
        self.log_dict(scalars, prog_bar=False)
        if monitored is not None:
            self.log(self.monitor, monitored, prog_bar=True)
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

        if attached_trainer(self) is None or self.trainer.state.fn != "fit":
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
        fp16_scaled = attached_trainer(self) is not None and str(self.trainer.precision) == "16-mixed"
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
