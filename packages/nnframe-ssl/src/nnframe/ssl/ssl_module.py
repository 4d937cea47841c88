"""The self-supervised task module: a backbone trained by a method, monitored by kNN."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from lightly.utils.scheduler import cosine_schedule
from lightning.pytorch.utilities import rank_zero_info
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from nnframe.core.backbones import Preprocessing, backbone_preprocessing, create_backbone
from nnframe.core.compat.lightning import attached_trainer
from nnframe.core.errors import NnframeError, user_message
from nnframe.core.modules import StepOutput, TaskModule
from nnframe.ssl._data import eval_loader, labelled_train_dataset
from nnframe.ssl.knn import embed, knn_accuracy, knn_top1_predictions
from nnframe.ssl.methods import SSLMethod
from nnframe.ssl.sample_figure import views_samples_figure


class SSLModule(TaskModule):
    """Pretrains ``backbone`` with ``method`` on batches of augmented views.

    Training batches are ``(views, target)`` (the target is ignored); validation and test
    batches are ``(images, labels)``: the labels serve only the kNN classifier, whose bank is
    the labelled training split with the evaluation transform, embedded again at the start of
    every validation epoch (as in lightly's benchmarks).

    The loss comes from the method, so :meth:`model_step` computes it (training: the method's
    loss on the views, no outputs for the metrics; evaluation: the kNN classes as the outputs,
    no loss) and there is no ``compute_loss``.

    Logs ``train/loss_step``, ``train/loss_epoch``, ``train/momentum`` (momentum methods), ``val/knn_top1``,
    ``val/knn_top1_best``, ``test/knn_top1`` and, once before training, ``val/knn_top1_init``
    (the same backbone at its random initialisation, the baseline to beat).

    Args:
        method: partial of an :class:`~nnframe.ssl.methods.SSLMethod`, called with the backbone.
        optimizer: partial optimizer.
        num_classes: classes of the labelled evaluation data.
        backbone: registered backbone name (``simple_cnn``, ``cifar_resnet18``) or a timm model.
        in_chans: input channels.
        pretrained: start from the published weights (timm).
        pretrained_file: start from a local weights file (timm's format, a state dict, or an
            nnframe backbone file).
        knn_k: neighbours of the kNN classifier.
        knn_t: temperature of the kNN classifier.
        knn_bank_size: at most this many bank samples (None: the whole split).
        scheduler, scheduler_interval, monitor, monitor_mode, compile: see
            :class:`~nnframe.core.modules.TaskModule`.
    """

    def __init__(
        self,
        method: Callable[..., SSLMethod],
        optimizer: Callable[..., torch.optim.Optimizer],
        num_classes: int,
        backbone: str = "simple_cnn",
        in_chans: int = 3,
        pretrained: bool = False,
        knn_k: int = 200,
        knn_t: float = 0.1,
        knn_bank_size: int | None = None,
        scheduler: Callable[..., Any] | None = None,
        monitor: str = "val/knn_top1",
        pretrained_file: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        self.num_classes = num_classes
        self._knn_top1_init: float | None = None  # the baseline, kept in checkpoints for a resumed run
        net = create_backbone(backbone, pretrained=pretrained, in_chans=in_chans, pretrained_file=pretrained_file)
        super().__init__(net=net, optimizer=optimizer, scheduler=scheduler, monitor=monitor, **kwargs)
        self.backbone_name = backbone
        self.method = method(backbone=self.net)
        self.knn_k = knn_k
        self.knn_t = knn_t
        self.knn_bank_size = knn_bank_size
        self._bank: tuple[torch.Tensor, torch.Tensor] | None = None
        self._bank_dataset: Any = None
        self.knn_skipped: str | None = None  # why `predict` has no kNN class

    pretrained_weight_args: ClassVar[Mapping[str, Any]] = {"pretrained": False, "pretrained_file": None}

    @classmethod
    def preprocessing(cls, model_cfg: Mapping[str, Any]) -> Preprocessing | None:
        return backbone_preprocessing(str(model_cfg.get("backbone", "")), bool(model_cfg.get("pretrained")),
                                      model_cfg.get("pretrained_file"))

    def backbone_module(self) -> torch.nn.Module:
        return self.net

    @property
    def backbone(self) -> torch.nn.Module:
        """The encoder being pretrained (what ``export`` writes)."""
        return self.net

    # --- TaskModule API ----------------------------------------------------------------------

    def build_metrics(self) -> MetricCollection:
        if self.num_classes < 2:  # one unlabelled folder: every kNN answer is right
            from nnframe.core.modules import not_applicable

            not_applicable("the kNN monitor (val/knn_top1)", "the data has one class: its accuracy is always 1")
        # torchmetrics needs two classes at least; with one, the value is 1.0 (said above)
        return MetricCollection({"knn_top1": MulticlassAccuracy(max(self.num_classes, 2), average="micro")})

    def batch_size_of(self, batch: Any) -> int:
        """Images in a batch: a training batch holds a list of views of the same images."""
        images = self.batch_images(batch)
        return len(images[0]) if isinstance(images, list | tuple) else len(images)

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        """The evaluation outputs are already the kNN classes. Shape: (B,)."""
        return outputs

    def sample_figure(self, batch: Any, max_images: int = 32) -> Any:
        """The views of the first training images, one row per image (``train/samples``, ``inspect``)."""
        images = self.batch_images(batch)
        if isinstance(images, list | tuple):
            return views_samples_figure(images, self.image_normalization(), max_images)
        return super().sample_figure(batch, max_images)

    # --- training ----------------------------------------------------------------------------

    def momentum(self) -> float | None:
        """The EMA momentum of this step (cosine schedule), or None for methods without one."""
        if not self.method.uses_momentum:
            return None
        total = max(1, int(self.trainer.estimated_stepping_batches)) if attached_trainer(self) is not None else 1
        return cosine_schedule(min(self.global_step, total), total, self.method.momentum_start,
                               self.method.momentum_end)

    def model_step(self, batch: Any) -> StepOutput:
        """Training: the method's loss on the batch's views (no outputs for the metrics).
        Evaluation: the kNN class of each labelled image as the outputs (no loss)."""
        if self.training:
            return StepOutput(loss=self._views_loss(self.batch_images(batch)), outputs=None, target=None)
        images, target = self.batch_images(batch), self.batch_target(batch)
        keep = target >= 0
        images, target = images[keep], target[keep]
        assert self._bank is not None, "the kNN bank is built at the start of each evaluation epoch"
        features = F.normalize(self(images).flatten(1), dim=1)
        preds = knn_top1_predictions(features, *self._bank, self.num_classes, self.knn_k, self.knn_t)
        return StepOutput(loss=None, outputs=preds, target=target)

    def _views_loss(self, views: Any) -> torch.Tensor:
        if self.channels_last:  # the methods call the backbone on each view, not self.forward
            views = [v.contiguous(memory_format=torch.channels_last) if v.ndim == 4 else v for v in views]
        momentum = self.momentum()
        if momentum is not None:
            self.method.momentum_update(self.net, momentum)
            self.log("train/momentum", momentum, on_step=True, on_epoch=False)
        return self.method.loss(self.net, list(views), self.current_epoch)

    def on_after_backward(self) -> None:
        self.method.on_after_backward(self.current_epoch)

    # --- kNN evaluation ----------------------------------------------------------------------

    def _build_bank(self) -> None:
        datamodule = self.trainer.datamodule
        self._broadcast_buffers()
        if self._bank_dataset is None:
            self._bank_dataset = labelled_train_dataset(datamodule)
        self._bank = embed(self.net, eval_loader(datamodule, self._bank_dataset), self.device, self.knn_bank_size)

    def _broadcast_buffers(self) -> None:
        """Give every process rank 0's BatchNorm statistics before embedding the bank.

        DDP copies rank 0's buffers at the start of each forward through its wrapper, but each
        process then updates its own statistics in its last training step; the bank is embedded
        outside the wrapper, so without this each process would embed it with other statistics
        than the checkpoint (and than the queries) have.
        """
        if self.trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            for buffer in self.net.buffers():
                torch.distributed.broadcast(buffer, src=0)

    def on_train_start(self) -> None:
        super().on_train_start()
        if self.global_step > 0 or self.trainer.datamodule is None:
            # Resumed: the baseline was measured by the first run, and comes back from its checkpoint
            # into the run's final metrics; its loggers have it already (no second row).
            if self._knn_top1_init is not None:
                self.log("val/knn_top1_init", torch.tensor(self._knn_top1_init), logger=False)
            return
        self._build_bank()
        assert self._bank is not None
        # The whole validation split on every process (not its DDP shard): the same value everywhere.
        datamodule = self.trainer.datamodule
        features, labels = embed(self.net, eval_loader(datamodule, datamodule.datasets["val"]), self.device)
        accuracy = knn_accuracy(features, labels, *self._bank, self.num_classes, self.knn_k, self.knn_t)
        self.log("val/knn_top1_init", accuracy)
        self._knn_top1_init = float(accuracy)
        rank_zero_info(f"kNN top-1 of the randomly initialised backbone: {accuracy:.4f}")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        if self._knn_top1_init is not None:  # a plain float: checkpoints load with weights_only
            checkpoint["nnframe"]["knn_top1_init"] = self._knn_top1_init

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        value = checkpoint.get("nnframe", {}).get("knn_top1_init")
        self._knn_top1_init = float(value) if value is not None else None

    def on_validation_epoch_start(self) -> None:
        self._build_bank()

    def on_test_epoch_start(self) -> None:
        self._build_bank()

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        self._bank = None  # free the memory between epochs

    # --- prediction (`nnframe ssl predict`) ------------------------------------------------------

    @property
    def has_knn_bank(self) -> bool:
        """Whether ``predict_step`` returns kNN classes (the labelled training data could be loaded)."""
        return self._bank is not None and len(self._bank[0]) > 0

    def on_predict_start(self) -> None:
        """Embed the labelled training split as the kNN bank, if its data is available."""
        self._bank, self.knn_skipped = None, None
        if self.trainer.datamodule is None:
            self.knn_skipped = "no datamodule"
            return
        try:
            self._build_bank()
        except (NnframeError, OSError, RuntimeError) as error:  # e.g. the dataset is not downloaded here
            self._bank, self.knn_skipped = None, user_message(error)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        """Shape: ``embeddings`` (batch, features), not normalised; ``knn_class`` (batch,) with a bank."""
        images = self.batch_images(batch)
        features = self(images).flatten(1)
        outputs = {"embeddings": features}
        if self.has_knn_bank:
            assert self._bank is not None
            outputs["knn_class"] = knn_top1_predictions(F.normalize(features, dim=1), *self._bank,
                                                        self.num_classes, self.knn_k, self.knn_t)
        return outputs

    def on_predict_end(self) -> None:
        self._bank = None

    def on_test_epoch_end(self) -> None:
        super().on_test_epoch_end()
        self._bank = None
