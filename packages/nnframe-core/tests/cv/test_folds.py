"""k-fold splits: a partition of the training split, stratified by class, and the fold datasets."""

from __future__ import annotations

import pytest
import torch

from nnframe.core.cv import FoldSubset, fold_indices, summarize
from nnframe.core.errors import ConfigError


def test_the_folds_partition_the_training_split() -> None:
    validated: list[int] = []
    for fold in range(5):
        train, val = fold_indices(103, 5, fold, seed=3)
        assert not set(train) & set(val) and sorted(train + val) == list(range(103))
        assert len(val) in (20, 21)
        validated += val
    assert sorted(validated) == list(range(103))  # every sample validated exactly once


def test_stratified_folds_keep_the_class_proportions() -> None:
    targets = torch.tensor([0] * 60 + [1] * 30 + [2] * 9)  # imbalanced
    for fold in range(3):
        _, val = fold_indices(len(targets), 3, fold, seed=0, targets=targets)
        assert torch.bincount(targets[val], minlength=3).tolist() == [20, 10, 3]


def test_the_seed_shuffles_and_is_the_same_for_every_fold() -> None:
    assert fold_indices(50, 2, 0, seed=1) == fold_indices(50, 2, 0, seed=1)
    assert fold_indices(50, 2, 0, seed=1) != fold_indices(50, 2, 0, seed=2)
    assert fold_indices(50, 2, 0, seed=1)[1] != list(range(25))  # shuffled, not the first half


@pytest.mark.parametrize(("folds", "fold", "message"), [(1, 0, "at least 2 folds"), (3, 3, "choose 0 to 2"),
                                                        (30, 0, "has 20 samples")])
def test_bad_fold_settings_name_the_key(folds: int, fold: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        fold_indices(20, folds, fold)


class _Labelled(torch.utils.data.Dataset):
    class_names = ["a", "b", "c"]

    def __init__(self) -> None:
        self.transform = "train"

    def __len__(self) -> int:
        return 9

    def __getitem__(self, index: int) -> tuple[int, str]:
        return index, self.transform

    def load(self, index: int) -> int:
        return index * 10


def test_a_fold_subset_counts_its_own_labels_and_keeps_the_class_names() -> None:
    targets = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    subset = FoldSubset(_Labelled(), [0, 1, 3, 8], targets)
    assert subset.label_counts() == [2, 1, 1] and subset.class_names == ["a", "b", "c"]
    assert subset.load(2) == 30 and subset[3] == (8, "train")
    subset.transform = "eval"  # what VisionDataModule.set_transforms does
    assert subset[0] == (0, "eval")


def test_summary_is_mean_and_sample_std_of_what_every_fold_logged() -> None:
    summary = summarize([{"val/acc": 0.8, "test/acc": 0.7}, {"val/acc": 0.9, "test/acc": 0.9}, {"val/acc": 1.0}])
    assert set(summary) == {"val/acc"}
    assert summary["val/acc"]["mean"] == pytest.approx(0.9) and summary["val/acc"]["std"] == pytest.approx(0.1)
