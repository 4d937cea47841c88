"""``DetectionModule``: a torchvision detector trained on its own losses, evaluated with COCO mAP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn
from torchmetrics import MetricCollection

from nnframe.core.modules import StepOutput, TaskModule
from nnframe.det.metrics import DetectionMAP
from nnframe.det.models.torchvision_detectors import has_background_class

#: Loss names as torchvision's detectors return them -> the logged part (``train/loss_<part>``).
_LOSS_PREFIX = "loss_"


def _plain(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.as_subclass(torch.Tensor) if isinstance(tensor, torch.Tensor) else torch.as_tensor(tensor)


class DetectionModule(TaskModule):
    """A torchvision detector (``net(images, targets)`` returns its losses in training,
    ``net(images)`` a dict of ``boxes``, ``scores``, ``labels`` per image in evaluation) with
    COCO mAP (:class:`~nnframe.det.metrics.DetectionMAP`) on the validation and test splits.

    Batches are ``(list of (C, H, W) images in [0, 1], list of target dicts)``. The data's class
    ``k`` is the network's ``k + 1`` for detectors whose class 0 is the background (Faster
    R-CNN, SSD). Crowd regions (``iscrowd``) are not training targets; the metric ignores them
    as COCO does. There is no validation loss (the detectors compute losses in training only).

    Args:
        net: the detector.
        score_threshold: the lowest score drawn in figures and written by ``predict``.
        **kwargs: :class:`~nnframe.core.modules.TaskModule` arguments (optimizer, scheduler, monitor...).
    """

    #: The network computes its own losses (the core contract's switch; see issue 23).
    model_returns_losses: ClassVar[bool] = True
    pretrained_weight_args: ClassVar[dict[str, Any]] = {}
    #: ONNX only: torch.export (``pt2``, and the TorchScript tracer) cannot trace torchvision's
    #: detectors, which branch on their data; ONNX falls back to torch.onnx's TorchScript-based exporter.
    export_formats: ClassVar[tuple[str, ...]] = ("onnx",)

    def __init__(self, net: nn.Module, score_threshold: float = 0.3, **kwargs: Any) -> None:
        kwargs.setdefault("monitor", "val/map")
        super().__init__(net=net, **kwargs)
        self.score_threshold = score_threshold
        self.label_offset = 1 if has_background_class(net) else 0

    # --- what the task provides ------------------------------------------------------------

    def build_metrics(self) -> MetricCollection:
        return MetricCollection({"map": DetectionMAP()})

    def compute_loss(self, outputs: Any, target: Any) -> torch.Tensor:
        """The training loss: the sum of the detector's losses (``outputs``, a dict)."""
        return torch.stack([value for value in outputs.values()]).sum()

    # --- batches ---------------------------------------------------------------------------

    def batch_images(self, batch: Any) -> list[torch.Tensor]:
        """The images of a batch (a list of (C, H, W) tensors)."""
        return list(batch[0])

    def batch_target(self, batch: Any) -> list[dict[str, Any]]:
        return list(batch[1])

    def batch_size_of(self, batch: Any) -> int:
        return len(batch[0])

    def training_targets(self, targets: Sequence[dict[str, Any]]) -> list[dict[str, torch.Tensor]]:
        """The targets the network trains on: crowd regions left out (COCO's rule), the class ids
        shifted past the background class where the network has one."""
        out = []
        for target in targets:
            keep = _plain(target["iscrowd"]) == 0 if "iscrowd" in target else slice(None)
            out.append({"boxes": _plain(target["boxes"])[keep].float(),
                        "labels": _plain(target["labels"])[keep] + self.label_offset})
        return out

    def metric_targets(self, targets: Sequence[dict[str, Any]]) -> list[dict[str, torch.Tensor]]:
        """The targets the metric takes: every box, crowd regions flagged."""
        out = []
        for target in targets:
            labels = _plain(target["labels"])
            crowd = _plain(target["iscrowd"]) if "iscrowd" in target else torch.zeros_like(labels)
            out.append({"boxes": _plain(target["boxes"]).float(), "labels": labels, "iscrowd": crowd})
        return out

    def detections(self, outputs: Sequence[dict[str, torch.Tensor]]) -> list[dict[str, torch.Tensor]]:
        """The network's detections with the data's class ids."""
        return [{"boxes": o["boxes"], "scores": o["scores"], "labels": o["labels"] - self.label_offset}
                for o in outputs]

    # --- steps (the core contract: model_step, update_metrics, predictions) ----------------

    def forward(self, images: torch.Tensor | Sequence[torch.Tensor], *args: Any) -> list[dict[str, torch.Tensor]]:
        """Detections of ``images`` ((B, C, H, W) or a list of (C, H, W), in [0, 1]), with the
        data's class ids; the network must be in evaluation mode."""
        return self.detections(self.net(list(images)))

    def model_step(self, batch: Any) -> StepOutput:
        """Training: the detector's losses on the training targets (crowd regions left out, class
        ids shifted where the network has a background class); evaluation: its detections."""
        images, targets = self.batch_images(batch), self.batch_target(batch)
        if self.training:
            losses = {name.removeprefix(_LOSS_PREFIX): value
                      for name, value in self.net(images, self.training_targets(targets)).items()}
            return StepOutput(loss=self.compute_loss(losses, targets), outputs=None, target=targets, losses=losses)
        return StepOutput(loss=None, outputs=self(images), target=targets)

    def update_metrics(self, stage: str, outputs: Any, target: Any) -> None:
        self.stage_metrics(stage).update(outputs, self.metric_targets(target))

    def predictions(self, outputs: Any) -> Any:
        """The detections themselves (what the prediction grid draws)."""
        return outputs

    def setup(self, stage: str) -> None:
        super().setup(stage)
        for collection in (self.train_metrics, self.val_metrics, self.test_metrics):
            for metric in collection.values():
                metric.class_names = list(self.class_names)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        for collection in (self.train_metrics, self.val_metrics, self.test_metrics):
            for metric in collection.values():
                metric.class_names = list(self.class_names)

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, Any]:
        images = self.batch_images(batch)
        return {"detections": self(images), "images": images}

    # --- figures ---------------------------------------------------------------------------

    def prediction_figure(self, images: Any, target: Any, preds: Any) -> Any:
        """Validation images with their true (thin) and predicted (thick, class and score) boxes."""
        from nnframe.det.figures import detection_figure

        return detection_figure(list(images), self.class_names, list(target), list(preds), self.score_threshold,
                                header=f"thin: true boxes; thick: predicted (score >= {self.score_threshold})")

    def sample_figure(self, batch: Any, max_images: int = 16) -> Any:
        """The first training images as the model receives them (augmented), with their boxes."""
        from nnframe.det.figures import detection_figure

        count = min(max_images, 16)
        return detection_figure(self.batch_images(batch)[:count], self.class_names, self.batch_target(batch)[:count])

    # --- export and benchmarks -------------------------------------------------------------

    def export_unsupported(self) -> str | None:
        return None

    def export_module(self) -> nn.Module:
        """The detector for one image: ``(1, C, H, W)`` in [0, 1] -> ``boxes`` (N, 4) XYXY,
        ``scores`` (N,), ``labels`` (N,) with the data's class ids."""
        return ExportedDetector(self.net, self.label_offset)

    def export_inputs(self, spec: Any) -> tuple[torch.Tensor, ...]:
        """One random image in [0, 1] (torchvision's detectors export for one image at a time)."""
        generator = torch.Generator().manual_seed(0)
        return (torch.rand(1, int(spec["channels"]), int(spec["height"]), int(spec["width"]), generator=generator),)

    def export_names(self) -> tuple[list[str], list[str]]:
        return ["images"], ["boxes", "scores", "labels"]

    def synthetic_batch(self, batch_size: int, image_size: int, in_channels: int, num_classes: int,
                        example: Any = None) -> Any:
        """Random images in [0, 1] with 1-3 random boxes each."""
        generator = torch.Generator().manual_seed(0)
        images = [torch.rand(in_channels, image_size, image_size, generator=generator) for _ in range(batch_size)]
        targets = []
        for _ in range(batch_size):
            count = int(torch.randint(1, 4, (1,), generator=generator))
            corner = torch.rand(count, 2, generator=generator) * image_size * 0.6
            size = (torch.rand(count, 2, generator=generator) * 0.3 + 0.1) * image_size
            targets.append({"boxes": torch.cat([corner, corner + size], dim=1),
                            "labels": torch.randint(0, max(num_classes, 1), (count,), generator=generator),
                            "iscrowd": torch.zeros(count, dtype=torch.int64)})
        return images, targets


class ExportedDetector(nn.Module):
    """A torchvision detector as one exported graph: one image in, its detections out.

    Shape: (1, C, H, W) -> boxes (N, 4), scores (N,), labels (N,).
    """

    def __init__(self, net: nn.Module, label_offset: int = 0) -> None:
        super().__init__()
        self.net = net
        self.label_offset = label_offset

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        detections = self.net([images[0]])[0]
        return detections["boxes"], detections["scores"], detections["labels"] - self.label_offset
