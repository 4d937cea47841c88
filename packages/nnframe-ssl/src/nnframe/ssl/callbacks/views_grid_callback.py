"""A TensorBoard figure of the augmented views the method trains on, beside the original images."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_only
from matplotlib.figure import Figure
from torchvision.transforms.v2 import functional as TF

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.cv_tools import denormalize, resolve_normalization
from nnframe.core.cv_tools.panel_canvas import DPI, PanelCanvas, image_array, sample_blocks
from nnframe.core.data import DeviceBatchLoader

_PANEL_INCHES = 1.3


def view_names(views: Sequence[torch.Tensor]) -> list[str]:
    """``view 1``, ``view 2``; with views of two sizes (multi-crop) ``global 1``, ``local 1``, ..."""
    sizes = [v.shape[-1] for v in views]
    if len(set(sizes)) == 1:
        return [f"view {i + 1}" for i in range(len(views))]
    largest, names, counts = max(sizes), [], {"global": 0, "local": 0}
    for size in sizes:
        kind = "global" if size == largest else "local"
        counts[kind] += 1
        names.append(f"{kind} {counts[kind]} ({size} px)")
    return names


def views_figure(originals: torch.Tensor, views: Sequence[torch.Tensor], names: Sequence[str] | None = None,
                 title: str | None = None) -> Figure:
    """Each image as ``original | view 1 | view 2 | ...``, two images side by side from four on.

    Small images are drawn large (nearest neighbour), so a 32-pixel crop stays readable.

    Args:
        originals: (N, C, H, W) float in [0, 1], the images before augmentation.
        views: the views of those images, each (N, C, h, w) float in [0, 1].
        names: a column title per view (default :func:`view_names`).
        title: a line above the figure.
    """
    names = list(names or view_names(views))
    count = len(originals)
    panel, title_band, pad = round(_PANEL_INCHES * DPI), 25, 4
    width, height, cells = sample_blocks(count, 1 + len(views), panel, title_band, top=40 if title else 10)
    canvas = PanelCanvas(width, height + pad)
    for index in range(count):
        images = [originals[index], *(view[index] for view in views)]
        for offset, ((x, y), image, name) in enumerate(zip(cells[index], images, ["original", *names], strict=True)):
            canvas.image(image_array(image), x + pad, y, panel - 2 * pad, panel - 2 * pad)
            canvas.text(x + panel / 2, y - 4, name, fontsize=9, ha="center", va="bottom",
                        fontweight="bold" if offset == 0 else "normal")
    figure = canvas.finish()
    if title:
        figure.suptitle(title, fontsize=11, y=1 - 8 / canvas.height, va="top")
    return figure


def sample_views(trainer: L.Trainer, num_images: int) -> tuple[torch.Tensor, list[torch.Tensor]] | None:
    """The first ``num_images`` training images and fresh views of them, made as training makes
    them (on the device for ``data.on_device=true``, by the dataset's transform otherwise).

    Returns:
        ``(originals, views)``: (N, C, H, W) in [0, 1] and, per view, (N, C, h, w) in [0, 1];
        None when the training data gives no views.
    """
    datamodule = trainer.datamodule
    if datamodule is None:
        return None
    mean, std = resolve_normalization(getattr(datamodule, "normalization", "imagenet"))
    loader = trainer.train_dataloader
    if isinstance(loader, DeviceBatchLoader):
        raw = loader.images[:num_images]
        generator = torch.Generator(device=raw.device).manual_seed(trainer.current_epoch)
        views = [augment(raw, generator) for augment in loader.augmentations]
        originals = raw.float() / 255
    else:
        dataset = datamodule.datasets.get("train")
        load = getattr(dataset, "load", None)
        if dataset is None or load is None:
            return None
        count = min(num_images, len(dataset))
        samples = [dataset[i][0] for i in range(count)]
        if not isinstance(samples[0], list | tuple):
            return None
        views = [torch.stack([sample[v] for sample in samples]) for v in range(len(samples[0]))]
        size = max(v.shape[-1] for v in views)
        originals = torch.stack([TF.resize(TF.to_dtype(TF.to_image(load(i)[0]), torch.float32, scale=True),
                                           [size, size], antialias=True) for i in range(count)])
    views = [denormalize(v.float().cpu(), mean, std) for v in views]
    channels = views[0].shape[1]
    originals = originals.cpu()
    if originals.shape[1] != channels:  # a grey dataset drawn as its three-channel views
        originals = originals.expand(-1, channels, -1, -1) if originals.shape[1] == 1 else originals[:, :channels]
    size = max(v.shape[-1] for v in views)
    if originals.shape[-1] != size:
        originals = F.interpolate(originals, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return originals.clamp(0, 1), views


class AugmentedViewsCallback(L.Callback):
    """Logs ``train/views``: the first training images and the views the method makes of them,
    at the start of the first epoch and every ``every_n_epochs`` epochs after.

    Args:
        num_images: images drawn.
        every_n_epochs: draw every N epochs (0: only at the first epoch).
    """

    def __init__(self, num_images: int = 6, every_n_epochs: int = 5) -> None:
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs

    @rank_zero_only
    @torch.no_grad()
    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch
        due = epoch == 0 if self.every_n_epochs <= 0 else epoch % self.every_n_epochs == 0
        writer = tensorboard_writer(trainer)
        if not due or writer is None:
            return
        sample = sample_views(trainer, self.num_images)
        if sample is None:
            return
        originals, views = sample
        figure = views_figure(originals, views, title=f"training views, epoch {epoch}")
        writer.add_figure("train/views", figure, global_step=trainer.global_step)
