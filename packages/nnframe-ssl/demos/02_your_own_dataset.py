# %% [markdown]
# # Pretrain on your own images: subclass core's base classes
#
# Self-supervised training needs no labels, but the kNN monitor does: give the labels you have
# (or `-1` for unlabelled images: they are trained on and left out of the kNN bank). The dataset
# is a `VisionDataset` (`class_names`, `__len__`, `load(index) -> (image, label)`), the
# datamodule a `VisionDataModule` with `build_dataset(split, transform)`; the method's views
# come from the task's own transform. Here: generated textures, held in memory as uint8 tensors,
# which lets the views be made per batch on the training device (`data.on_device=true`).

# %% tags=["parameters"]
# The full demo trains for a few minutes on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
NUM_TRAIN, NUM_EVAL, EPOCHS = (512, 128, 2) if SMALL else (4000, 500, 15)

# %%
import math
from collections.abc import Callable
from typing import Any

import torch

from nnframe.core.data import VisionDataModule, VisionDataset


class TexturesDataset(VisionDataset):
    """Dots, stripes (any angle), a checkerboard or rings, in random colours and scales: classes
    that quarter turns and flips (two of SimCLR's augmentations) do not change."""

    class_names = ["dots", "stripes", "checkerboard", "rings"]

    def __init__(self, num_samples: int, image_size: int = 32, seed: int = 0,
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(len(self.class_names), (num_samples,), generator=generator)
        y, x = torch.meshgrid(torch.arange(image_size).float(), torch.arange(image_size).float(), indexing="ij")
        images = []
        for label in self.labels.tolist():
            period = float(torch.empty(1).uniform_(5, 10, generator=generator))
            angle = float(torch.rand(1, generator=generator)) * math.pi
            u = x * math.cos(angle) + y * math.sin(angle)
            v = -x * math.sin(angle) + y * math.cos(angle)
            wave = {
                0: torch.cos(2 * math.pi * u / period) * torch.cos(2 * math.pi * v / period) > 0.5,
                1: torch.sin(2 * math.pi * u / period) > 0,
                2: torch.sin(2 * math.pi * u / period) * torch.sin(2 * math.pi * v / period) > 0,
                3: torch.sin(2 * math.pi * ((x - image_size / 2) ** 2 + (y - image_size / 2) ** 2).sqrt() / period) > 0,
            }[label].float()
            low = torch.rand(3, 1, 1, generator=generator)
            high = (low + 0.5) % 1.0  # every channel differs by half the range: the pattern always shows
            image = low + (high - low) * wave + 0.08 * torch.randn(3, image_size, image_size, generator=generator)
            images.append((image.clamp(0, 1) * 255).to(torch.uint8))
        self.images = torch.stack(images)  # (N, 3, H, W) uint8

    @property
    def targets(self) -> list[int]:
        return self.labels.tolist()

    def __len__(self) -> int:
        return len(self.images)

    def load(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


class TexturesDataModule(VisionDataModule):
    """Train/val/test splits of textures, each from its own seed."""

    def __init__(self, num_train: int = 4000, num_val: int = 500, num_test: int = 500, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes = {"train": num_train, "val": num_val, "test": num_test}

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> TexturesDataset:
        offset = {"train": 0, "val": 1, "test": 2}[split]
        return TexturesDataset(self.sizes[split], self.image_size, seed=self.seed * 10 + offset, transform=transform)


# %%
import tempfile
from pathlib import Path

from nnframe.core import show
from nnframe.core.cv_tools import labelled_image_grid

# Figures made before training go to a temporary folder (the run directory does not exist yet).
look_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_"))
samples = TexturesDataset(16, seed=123)
grid = labelled_image_grid(samples.images.float() / 255, [samples.class_names[int(y)] for y in samples.labels])
samples_png = show(grid, "textures_samples", look_dir)

# %% [markdown]
# ## Point the config's `data` at the class, keeping the task's transforms
# `train_transform` makes the chosen method's views (`${method.views}`); `eval_transform` the
# plain images the kNN monitor embeds. Taken unchanged from the composed shapes config.

# %%
from pathlib import Path

from omegaconf import OmegaConf

from nnframe.core import compose, curves_figure, read_scalars, train

cfg = compose("ssl", [f"trainer.max_epochs={EPOCHS}", "run_name=textures_simclr"])
shapes_data = OmegaConf.to_container(cfg.data)  # unresolved: ${method.views} stays a reference
cfg.data = {
    "_target_": f"{TexturesDataModule.__module__}.{TexturesDataModule.__qualname__}",
    "num_train": NUM_TRAIN, "num_val": NUM_EVAL, "num_test": NUM_EVAL,
    "image_size": 32, "in_channels": 3, "num_classes": None,
    "normalization": [[0.5, 0.5, 0.5], [0.3, 0.3, 0.3]],
    "batch_size": 128, "drop_last": True, "on_device": True, "seed": 0,
    "train_transform": shapes_data["train_transform"], "eval_transform": shapes_data["eval_transform"],
}
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
print(f"kNN top-1 {metrics['val/knn_top1']:.3f} (random init {metrics['val/knn_top1_init']:.3f}, chance 0.25)")
show(curves_figure(read_scalars(run_dir), [["train/loss_epoch"], ["val/knn_top1"]]), "curves", run_dir / "figures")
