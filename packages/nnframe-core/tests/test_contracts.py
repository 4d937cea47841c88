"""Base classes say what a subclass lacks, when it is created; a split without class names says
how to wrap it at setup, and following that hint works."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import torch
from torch.utils.data import TensorDataset

from nnframe.core.callbacks import PredictionWriter
from nnframe.core.contracts import ContractError
from nnframe.core.cv_tools import classification_eval_transform
from nnframe.core.data import VisionDataModule, VisionDataset, WrappedDataset
from nnframe.core.errors import NnframeError
from nnframe.core.modules import TaskModule


class ImageOnly(VisionDataset):
    def __len__(self) -> int:
        return 4

    def load(self, index: int) -> tuple[torch.Tensor, int]:
        return torch.rand(3, 16, 16), index % 2


def test_dataset_without_class_names_names_it_and_shows_how_to_add_it() -> None:
    with pytest.raises(ContractError) as info:
        ImageOnly()
    message = str(info.value)
    assert message.startswith("ImageOnly, a subclass of nnframe.core.data.VisionDataset, does not define class_names.")
    assert 'class_names = ["cat", "dog"]' in message
    assert isinstance(info.value, NnframeError) and isinstance(info.value, TypeError)


def test_dataset_missing_several_members_lists_each_with_an_example() -> None:
    class Empty(VisionDataset):
        class_names = ["a"]

    message = str(pytest.raises(ContractError, Empty).value)
    assert "does not define __len__, load. Add them" in message
    assert "def __len__(self) -> int:" in message and "def load(self, index):" in message


class WithAttribute(ImageOnly):
    class_names = ["even", "odd"]


class WithProperty(ImageOnly):
    @property
    def class_names(self) -> list[str]:
        return ["even", "odd"]


def test_class_attribute_or_property_both_satisfy_the_contract() -> None:
    for cls in (WithAttribute, WithProperty):
        dataset = cls()
        assert dataset.class_names == ["even", "odd"] and dataset[1][1] == 1
        assert type(pickle.loads(pickle.dumps(dataset))) is cls  # DataLoader workers unpickle it


def test_datamodule_without_build_dataset() -> None:
    class NoBuild(VisionDataModule):
        pass

    message = str(pytest.raises(ContractError, NoBuild).value)
    assert "NoBuild, a subclass of nnframe.core.data.VisionDataModule, does not define build_dataset" in message
    assert "def build_dataset(self, split, transform):" in message


def test_task_module_and_prediction_writer_without_their_methods() -> None:
    class LossOnly(TaskModule):
        def compute_loss(self, outputs: Any, target: torch.Tensor) -> torch.Tensor:
            return outputs.sum()

    with pytest.raises(ContractError, match=r"(?s)LossOnly, a subclass of nnframe.core.modules.TaskModule, does not "
                                            r"define build_metrics\..*def build_metrics\(self\)"):
        LossOnly(net=torch.nn.Identity(), optimizer=torch.optim.SGD)

    class Writer(PredictionWriter):
        def header(self) -> list[str]:
            return ["path"]

    with pytest.raises(ContractError, match=r"(?s)Writer, .* does not define rows\..*def rows\(self, prediction, paths\)"):
        Writer("out")


def test_segmentation_datamodule_without_load_split() -> None:
    seg_data = pytest.importorskip("nnframe.seg.data")

    class NoSplits(seg_data.SegmentationDataModule):
        pass

    with pytest.raises(ContractError, match="does not define load_split"):
        NoSplits()


class TensorData(VisionDataModule):
    """``build_dataset`` returns a plain TensorDataset of (image tensor, target), or wraps it."""

    def __init__(self, wrap: bool = False, returns_none: bool = False, **kwargs: Any) -> None:
        super().__init__(batch_size=8, image_size=16, normalization="shapes", **kwargs)
        self.wrap, self.returns_none = wrap, returns_none

    def build_dataset(self, split: str, transform: Any) -> Any:
        if self.returns_none:
            return None
        generator = torch.Generator().manual_seed(len(split))
        dataset = TensorDataset(torch.rand(20, 3, 16, 16, generator=generator), torch.arange(20) % 2)
        if self.wrap:  # the hint of the error below, word for word
            return WrappedDataset(dataset, class_names=["cat", "dog"], transform=transform)
        return dataset


def test_plain_dataset_without_class_names_fails_at_setup_with_the_wrap_hint() -> None:
    with pytest.raises(ContractError) as info:
        TensorData().setup("fit")
    message = str(info.value)
    assert "TensorData.build_dataset('train') returned a TensorDataset, which has no class_names" in message
    assert 'return WrappedDataset(dataset, class_names=["cat", "dog"], transform=transform)' in message
    with pytest.raises(ContractError, match=r"TensorData.build_dataset\('train'\) returned None"):
        TensorData(returns_none=True).setup("fit")


def test_following_the_hint_gives_transformed_batches_and_class_names() -> None:
    transform = classification_eval_transform(16, "shapes")
    datamodule = TensorData(wrap=True, train_transform=transform, eval_transform=transform)
    datamodule.setup("fit")
    assert datamodule.class_names == ["cat", "dog"] and datamodule.num_classes == 2
    images, target = next(iter(datamodule.train_dataloader()))
    assert images.shape == (8, 3, 16, 16) and images.dtype == torch.float32
    assert float(images.min()) < 0  # normalised by the transform ((x - 0.5) / 0.25), not raw [0, 1]
    assert target.tolist() == [t % 2 for t in target.tolist()]


def test_datamodule_that_defines_class_names_itself_needs_none_on_the_dataset() -> None:
    class Named(TensorData):
        class_names = ["cat", "dog"]

    datamodule = Named()
    datamodule.setup("fit")
    assert datamodule.num_classes == 2 and len(datamodule.datasets["train"]) == 20
