"""Tar shards: written from a checked image folder, read back as the same samples, shuffled per
(seed, epoch), split by shard between processes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from torch.utils.data import DataLoader
from torchvision.transforms.functional import pil_to_tensor

from nnframe.core.data import ImageFolderDataModule, ShapesDataModule
from nnframe.core.data.shards import WebDatasetDataModule, samples_per_rank, write_shards
from nnframe.core.errors import DatasetError
from nnframe.core.testing.datasets import write_shapes_folder

PLAN = {"train": {"circle": 13, "square": 9}, "val": {"circle": 4, "square": 3}}


def _fingerprint(image, label) -> tuple[str, int]:
    return hashlib.sha1(image.tobytes()).hexdigest(), int(label)


@pytest.fixture(scope="module")
def folder_and_shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImageFolderDataModule, Path]:
    root = tmp_path_factory.mktemp("shards")
    folder = ImageFolderDataModule(write_shapes_folder(root / "folder", PLAN), seed=3)
    folder.setup_splits(["train", "val"])
    write_shards(folder, root / "shards", samples_per_shard=5)
    return folder, root / "shards"


def _stream(shards: Path, seed: int = 3) -> WebDatasetDataModule:
    datamodule = WebDatasetDataModule(str(shards), seed=seed)
    datamodule.setup_splits(["train", "val"])
    return datamodule


def _epoch(stream, epoch: int) -> list[tuple[str, int]]:
    stream.epoch = epoch
    return [_fingerprint(image, label) for image, label in stream]


def test_shards_hold_the_folders_samples_and_each_epoch_reads_every_one_once(folder_and_shards) -> None:
    folder, shards = folder_and_shards
    expected = sorted(_fingerprint(*folder.datasets["train"].load(i)) for i in range(len(folder.datasets["train"])))
    stream = _stream(shards).datasets["train"]
    assert len(stream) == len(expected) == 22
    first, second = _epoch(stream, 0), _epoch(stream, 1)
    assert sorted(first) == sorted(second) == expected
    assert first != second  # reshuffled each epoch
    assert _epoch(_stream(shards).datasets["train"], 0) == first  # the same (seed, epoch): the same order
    assert _epoch(_stream(shards, seed=4).datasets["train"], 0) != first
    val = _stream(shards).datasets["val"]
    assert [_fingerprint(*s) for s in val] == [_fingerprint(*folder.datasets["val"].load(i)) for i in range(7)]


def test_dataloader_workers_split_the_shards_and_still_read_every_sample_once(folder_and_shards) -> None:
    _, shards = folder_and_shards
    datamodule = _stream(shards)
    datamodule.num_workers = 2
    stream = datamodule.datasets["train"]
    stream.epoch = 1
    single = sorted(_epoch(stream, 1))
    loader = DataLoader(stream, batch_size=None, num_workers=2)
    assert sorted(_fingerprint(image, label) for image, label in loader) == single


def test_ddp_processes_read_disjoint_shards_and_the_same_number_of_samples(folder_and_shards) -> None:
    _, shards = folder_and_shards
    read = []
    for rank in (0, 1):
        stream = _stream(shards).datasets["train"]
        stream.set_processes(rank, 2)
        samples = _epoch(stream, 2)
        assert len(samples) == len(stream) == samples_per_rank([5, 5, 5, 5, 2], 2) == 7  # the 2 smallest shards
        read.append(set(samples))
    assert not read[0] & read[1]


def test_fewer_shards_than_processes_stops_with_the_fix_and_the_fix_works(folder_and_shards, tmp_path: Path) -> None:
    folder, shards = folder_and_shards
    with pytest.raises(DatasetError, match=r"5 training shard\(s\) for 8 processes.*shard.samples_per_shard"):
        _stream(shards).datasets["train"].set_processes(0, 8)
    write_shards(folder, tmp_path / "smaller", samples_per_shard=2)  # the fix: smaller shards, more of them
    stream = _stream(tmp_path / "smaller").datasets["train"]
    stream.set_processes(7, 8)
    assert len(_epoch(stream, 0)) == len(stream) == 2


def test_summary_counts_classes_and_sizes_from_the_index(folder_and_shards) -> None:
    folder, shards = folder_and_shards
    summary = _stream(shards).summary()
    assert summary["classes"] == ["circle", "square"]
    assert summary["counts"]["train"] == [13, 9] and summary["splits"] == {"train": 22, "val": 7}
    assert _stream(shards).data_report.splits["train"].median_short_side() == 32


def test_a_folder_without_an_index_names_the_command_that_writes_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"cannot read the shard index .*shards.json.*nnframe <task> shard"):
        WebDatasetDataModule(str(tmp_path)).prepare_data()


def test_in_memory_data_cannot_be_sharded_and_the_error_says_which_data_can(tmp_path: Path) -> None:
    datamodule = ShapesDataModule(num_train=8, num_val=4, num_test=4)
    datamodule.setup_splits(["train"])
    with pytest.raises(DatasetError, match="not read from files.*data=image_folder"):
        write_shards(datamodule, tmp_path / "shards")
    assert not (tmp_path / "shards").exists()  # refused before any folder is made


def test_image_and_mask_data_cannot_be_sharded_and_the_error_says_to_train_from_the_folder(tmp_path: Path) -> None:
    pairs = SimpleNamespace(file_kinds=("image", "label"), sample_files=lambda: [(Path("a.png"), Path("a_mask.png"))])
    datamodule = SimpleNamespace(datasets={"train": pairs}, seed=0, data_report=None, class_names=["bg", "fg"])
    with pytest.raises(DatasetError, match="image \\+ label files.*train image \\+ mask data from its folder"):
        write_shards(datamodule, tmp_path / "shards")
    assert not (tmp_path / "shards").exists()


def test_a_shard_loader_resumed_mid_epoch_hands_out_the_rest_of_that_epochs_batches(folder_and_shards) -> None:
    _, shards = folder_and_shards

    def loader():
        datamodule = _stream(shards)
        datamodule.batch_size = 4
        datamodule.set_transforms(lambda image, label: (pil_to_tensor(image), label), None)
        return datamodule._loader("train", train=True)  # the loader train_dataloader returns, without a trainer

    full = [labels.tolist() + [images.sum().item()] for images, labels in loader()]
    stopped = loader()
    iterator = iter(stopped)
    next(iterator), next(iterator)
    resumed = loader()
    resumed.load_state_dict(stopped.state_dict())
    assert [labels.tolist() + [images.sum().item()] for images, labels in resumed] == full[2:]


def test_overfitting_reads_the_same_batches_from_the_shards_every_epoch(folder_and_shards) -> None:
    """``debug=overfit`` (``trainer.overfit_batches``) on ``data=webdataset``: the first epoch's
    shuffle and random draws every epoch; without it each epoch reshuffles and draws anew."""
    import torch

    _, shards = folder_and_shards

    def batches(overfit_batches: int, epoch: int) -> list[list[float]]:
        datamodule = _stream(shards)
        datamodule.batch_size = 4
        # A random augmentation, drawn from the global generator as real transforms do.
        datamodule.set_transforms(lambda image, label: (pil_to_tensor(image) + torch.randint(0, 9, (1,)), label),
                                  None)
        progress = SimpleNamespace(current=SimpleNamespace(processed=epoch))
        datamodule.trainer = SimpleNamespace(overfit_batches=overfit_batches, global_rank=0, world_size=1,
                                             fit_loop=SimpleNamespace(epoch_progress=progress))
        return [labels.tolist() + [images.sum().item()] for images, labels in datamodule.train_dataloader()]

    torch.manual_seed(0)
    first = batches(3, 0)
    assert batches(3, 4) == first and batches(3, 1) == first
    assert batches(0, 0) != batches(0, 4)
