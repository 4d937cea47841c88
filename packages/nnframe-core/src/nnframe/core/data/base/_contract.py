"""What a dataset and a datamodule subclass must define, and the check of what ``build_dataset``
returns (see :mod:`nnframe.core.contracts`)."""

from __future__ import annotations

from typing import Any

from nnframe.core.contracts import ContractError

VISION_DATASET_MEMBERS = {
    "class_names": 'class_names = ["cat", "dog"]   # index = label (or a @property returning the list)',
    "__len__": "def __len__(self) -> int: return len(self.samples)",
    "load": "def load(self, index): return image, label   # a PIL image or (C, H, W) tensor, an int "
            "(a tv_tensors.Mask for segmentation)",
}

VISION_DATAMODULE_MEMBERS = {
    "build_dataset": "def build_dataset(self, split, transform): return MyDataset(self.root / split, transform)"
                     "   # split: train, val or test",
}

_WRAP_EXAMPLE = ('return WrappedDataset(dataset, class_names=["cat", "dog"], transform=transform)'
                 "   # from nnframe.core.data import WrappedDataset")


def check_split_dataset(datamodule: Any, split: str, dataset: Any) -> None:
    """Check that ``datamodule.build_dataset(split, ...)`` returned a usable dataset.

    A dataset needs ``__len__`` and ``__getitem__`` returning ``(image, target)``, and class
    names: its own ``class_names`` (every :class:`~nnframe.core.data.VisionDataset` has them)
    unless the datamodule defines ``class_names`` itself.

    Raises:
        ContractError: naming the datamodule, the split, what was returned and how to fix it.
    """
    where = f"{type(datamodule).__name__}.build_dataset({split!r})"
    if dataset is None:
        raise ContractError(f"{where} returned None: return the dataset of the split, e.g.\n"
                            "    return MyDataset(self.root / split, transform)")
    kind = type(dataset).__name__
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise ContractError(f"{where} returned a {kind}, which is not a dataset (it needs __len__ and "
                            "__getitem__ returning (image, target)): return a nnframe.core.data.VisionDataset")
    from nnframe.core.data.base.vision_datamodule import VisionDataModule

    names_from_datamodule = type(datamodule).class_names is not VisionDataModule.class_names
    if not names_from_datamodule and not hasattr(dataset, "class_names"):
        raise ContractError(
            f"{where} returned a {kind}, which has no class_names (the class names, index = label). "
            f"Return a nnframe.core.data.VisionDataset subclass, or wrap your dataset:\n    {_WRAP_EXAMPLE}"
        )
