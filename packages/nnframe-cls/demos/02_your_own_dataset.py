# %% [markdown]
# # Your own dataset: subclass core's base classes, train on it
#
# A dataset is a `VisionDataset` (`class_names`, `__len__`, `load(index) -> (image, label)`)
# and a `VisionDataModule` whose `build_dataset(split, transform)` returns it for `train`, `val`
# and `test`; the base classes do the transforms, loaders, class counts and checks. Here both
# live in the notebook and make images of stripes in memory; in a project, put them in a module
# and a `configs/data/<name>.yaml` (`nnframe init my_project` writes such a project).

# %% tags=["parameters"]
# The full demo trains for about a minute on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
NUM_TRAIN, NUM_EVAL, EPOCHS = (384, 128, 2) if SMALL else (3000, 500, 5)

# %% [markdown]
# ## The dataset: four kinds of stripes
# `load` returns an image tensor `(channels, height, width)` with values in [0, 1] and an int
# label; `class_names` is a plain class attribute.

# %%
import math
from collections.abc import Callable
from typing import Any

import torch

from nnframe.core.data import VisionDataModule, VisionDataset


class StripesDataset(VisionDataset):
    """Noisy coloured stripes: horizontal, vertical, diagonal, or a checkerboard."""

    class_names = ["horizontal", "vertical", "diagonal", "checkerboard"]

    def __init__(self, num_samples: int, image_size: int = 32, seed: int = 0,
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(len(self.class_names), (num_samples,), generator=generator)
        y, x = torch.meshgrid(torch.arange(image_size), torch.arange(image_size), indexing="ij")
        period = torch.empty(num_samples, 1, 1).uniform_(4, 10, generator=generator)
        phase = torch.rand(num_samples, 1, 1, generator=generator) * 2 * math.pi
        waves = {0: y, 1: x, 2: x + y}
        images = []
        for label, p, ph in zip(self.labels.tolist(), period, phase, strict=True):
            if label == 3:
                pattern = torch.sin(2 * math.pi * x / p + ph) * torch.sin(2 * math.pi * y / p + ph)
            else:
                pattern = torch.sin(2 * math.pi * waves[label] / p + ph)
            colour = torch.rand(3, 1, 1, generator=generator)
            image = 0.5 + 0.35 * pattern * colour + 0.1 * torch.randn(3, image_size, image_size, generator=generator)
            images.append(image.clamp(0, 1))
        self.images = torch.stack(images)  # (N, 3, H, W) float in [0, 1]

    @property
    def targets(self) -> list[int]:
        return self.labels.tolist()

    def __len__(self) -> int:
        return len(self.images)

    def load(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


class StripesDataModule(VisionDataModule):
    """Train/val/test splits of stripes, each from its own seed."""

    def __init__(self, num_train: int = 3000, num_val: int = 500, num_test: int = 500, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sizes = {"train": num_train, "val": num_val, "test": num_test}

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> StripesDataset:
        offset = {"train": 0, "val": 1, "test": 2}[split]
        return StripesDataset(self.sizes[split], self.image_size, seed=self.seed * 10 + offset, transform=transform)


# %% [markdown]
# ## Look at the data before training

# %%
import tempfile
from pathlib import Path

from nnframe.core import show
from nnframe.core.cv_tools import labelled_image_grid

# Figures made before training go to a temporary folder (the run directory does not exist yet).
look_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_"))
samples = StripesDataset(16, seed=123)
samples_png = show(labelled_image_grid(samples.images, [samples.class_names[int(y)] for y in samples.labels]),
                   "stripes_samples", look_dir)

# %% [markdown]
# ## Point the config's `data` at the class, and train
# The composed config is an OmegaConf object: replace its `data` node by one whose `_target_`
# is the class (`__main__.StripesDataModule` here; `my_project.StripesDataModule` in a module).
# The keys are the constructor's arguments; `num_classes: null` takes the number from the data.

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, train

transform = {"_target_": "nnframe.core.cv_tools.classification_eval_transform", "image_size": "${data.image_size}",
             "normalization": "${data.normalization}"}
cfg = compose("cls", ["model=simple_cnn", f"trainer.max_epochs={EPOCHS}", "run_name=stripes"])
cfg.data = {
    "_target_": f"{StripesDataModule.__module__}.{StripesDataModule.__qualname__}",
    "num_train": NUM_TRAIN, "num_val": NUM_EVAL, "num_test": NUM_EVAL,
    "image_size": 32, "in_channels": 3, "num_classes": None,
    "normalization": [[0.5, 0.5, 0.5], [0.25, 0.25, 0.25]],  # the data's mean and std
    "batch_size": 64, "seed": 0,
    "train_transform": {**transform, "_target_": "nnframe.core.cv_tools.classification_train_transform",
                        "crop": "random_crop", "crop_padding": 2, "hflip": True},
    "eval_transform": transform,
}
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
print(f"val/acc {metrics['val/acc']:.3f} (chance: 0.25), test/acc {metrics['test/acc']:.3f}")
show(curves_figure(read_scalars(run_dir), [["train/loss_epoch", "val/loss"], ["val/acc"]]), "curves",
     run_dir / "figures")

# %% [markdown]
# A dataset that misses part of the contract fails when it is created, saying what to add:

# %%
from nnframe.core.contracts import ContractError


class NoNames(VisionDataset):
    def __len__(self) -> int:
        return 1

    def load(self, index: int) -> tuple[torch.Tensor, int]:
        return torch.zeros(3, 8, 8), 0


try:
    NoNames()
except ContractError as error:
    contract_message = str(error)
    print(contract_message)
