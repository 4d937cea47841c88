# %% [markdown]
# # Your own segmentation data: subclass core's base classes, train on it
#
# The same two classes as for classification: a `VisionDataset` whose `load(index)` returns an
# image and its mask (a `tv_tensors.Mask` of class indices, so the transforms move both
# together), and a `VisionDataModule` whose `build_dataset(split, transform)` returns it. Here:
# generated microscope-like images of cells (discs) and fibres (lines). For masks in files,
# `data=mask_folder data.root=...` reads `images/` + `masks/` folders with no code at all.

# %% tags=["parameters"]
# The full demo trains for a few minutes on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
NUM_TRAIN, NUM_EVAL, EPOCHS = (192, 64, 2) if SMALL else (2000, 300, 8)

# %%
from collections.abc import Callable
from typing import Any

import torch
from torchvision import tv_tensors

from nnframe.core.data import VisionDataModule, VisionDataset


class CellsDataset(VisionDataset):
    """Bright discs (cells) and thin lines (fibres) on a noisy background."""

    class_names = ["background", "cell", "fibre"]

    def __init__(self, num_samples: int, image_size: int = 32, seed: int = 0,
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        generator = torch.Generator().manual_seed(seed)
        y, x = torch.meshgrid(torch.arange(image_size).float(), torch.arange(image_size).float(), indexing="ij")
        images, masks = [], []
        for _ in range(num_samples):
            mask = torch.zeros(image_size, image_size, dtype=torch.long)
            for _ in range(int(torch.randint(1, 3, (1,), generator=generator))):  # fibres: lines 2 px wide
                angle = float(torch.rand(1, generator=generator)) * torch.pi
                offset = float(torch.rand(1, generator=generator) - 0.5) * image_size * 0.6
                distance = (x - image_size / 2) * torch.sin(torch.tensor(angle)) - (y - image_size / 2) * torch.cos(
                    torch.tensor(angle)) - offset
                mask[distance.abs() < 1.2] = 2
            for _ in range(int(torch.randint(1, 4, (1,), generator=generator))):  # cells: discs, drawn on top
                cx, cy = (torch.rand(2, generator=generator) * (image_size - 8) + 4).tolist()
                radius = float(torch.rand(1, generator=generator)) * 3 + 3
                mask[(x - cx) ** 2 + (y - cy) ** 2 < radius ** 2] = 1
            brightness = torch.tensor([0.15, 0.8, 0.55])[mask]
            image = brightness + 0.12 * torch.randn(image_size, image_size, generator=generator)
            tint = torch.tensor([0.9, 1.0, 0.8])[:, None, None]
            images.append((image[None] * tint).clamp(0, 1))
            masks.append(mask)
        self.images = torch.stack(images)  # (N, 3, H, W) float in [0, 1]
        self.masks = torch.stack(masks)    # (N, H, W) class indices

    def __len__(self) -> int:
        return len(self.images)

    def load(self, index: int) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
        return tv_tensors.Image(self.images[index]), tv_tensors.Mask(self.masks[index])


class CellsDataModule(VisionDataModule):
    """Train/val/test splits of cells, each from its own seed.

    Args:
        ignore_index: the mask value of unlabelled pixels (the seg task's configs read
            ``data.ignore_index``; this data has none).
    """

    def __init__(self, num_train: int = 2000, num_val: int = 300, num_test: int = 300,
                 ignore_index: int | None = 255, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes = {"train": num_train, "val": num_val, "test": num_test}
        self.ignore_index = ignore_index

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> CellsDataset:
        offset = {"train": 0, "val": 1, "test": 2}[split]
        return CellsDataset(self.sizes[split], self.image_size, seed=self.seed * 10 + offset, transform=transform)


# %% [markdown]
# ## Look at a few images and their masks

# %%
import tempfile
from pathlib import Path

from nnframe.core import show
from nnframe.core.cv_tools import labelled_image_grid
from nnframe.seg import overlay_mask

# Figures made before training go to a temporary folder (the run directory does not exist yet).
look_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_"))
samples = CellsDataset(4, seed=123)
overlays = [overlay_mask(image, mask, len(CellsDataset.class_names)) for image, mask in zip(samples.images, samples.masks,
                                                                                              strict=True)]
grid = labelled_image_grid(torch.cat([samples.images, torch.stack(overlays)]), ["image"] * 4 + ["mask: cell, fibre"] * 4,
                           columns=4)
samples_png = show(grid, "cells_samples", look_dir)

# %% [markdown]
# ## Point the config's `data` at the class and train
# The seg task's model and loss read `data.num_classes`, `data.in_channels` and
# `data.ignore_index`; the transforms `data.image_size` and `data.normalization`.

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, train

size = "${data.image_size}"
cfg = compose("seg", ["model=unet_small", f"trainer.max_epochs={EPOCHS}", "run_name=cells"])
cfg.data = {
    "_target_": f"{CellsDataModule.__module__}.{CellsDataModule.__qualname__}",
    "num_train": NUM_TRAIN, "num_val": NUM_EVAL, "num_test": NUM_EVAL,
    "image_size": 32, "in_channels": 3, "num_classes": 3, "ignore_index": 255,
    "normalization": [[0.4, 0.4, 0.4], [0.3, 0.3, 0.3]], "batch_size": 32, "seed": 0,
    "train_transform": {"_target_": "nnframe.seg.segmentation_train_transform", "image_size": size,
                        "normalization": "${data.normalization}", "min_scale": 0.8, "color_jitter": 0.0},
    "eval_transform": {"_target_": "nnframe.seg.segmentation_eval_transform", "image_size": size,
                       "normalization": "${data.normalization}"},
}
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
print(f"val/miou {metrics['val/miou']:.3f}; IoU per class:",
      {name: round(metrics[f"val/iou/{name}"], 3) for name in CellsDataset.class_names})
show(curves_figure(read_scalars(run_dir), [["train/loss_epoch", "val/loss"], ["val/miou", "val/iou/cell", "val/iou/fibre"]]),
     "curves", run_dir / "figures")
