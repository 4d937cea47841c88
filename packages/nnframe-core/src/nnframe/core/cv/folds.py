"""k-fold splits of a training split: which samples train and which validate in fold ``k``."""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import Dataset, Subset

from nnframe.core.errors import ConfigError, DatasetError


def _group_folds(groups: Sequence[Hashable], folds: int, seed: int, targets: torch.Tensor | None) -> list[int]:
    """The fold of every sample when each group goes whole into one fold.

    Greedy, as scikit-learn's ``StratifiedGroupKFold`` (written here: scikit-learn is not a
    dependency for one loop): the groups, largest first (a seeded shuffle orders groups of one
    size), each go to the fold whose class counts it brings closest to an equal share of every
    class (least squares); without ``targets``, every sample counts as one class, so fold sizes
    are balanced. Ties go to the smaller fold.
    """
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    if len(members) < folds:
        raise ConfigError(f"cv.folds={folds} but the training split has only {len(members)} groups "
                          f"(data.group_column): a group is never split across folds, so set cv.folds={len(members)} "
                          "or fewer")
    labels = [0] * len(groups) if targets is None else targets.tolist()
    totals: dict[int, int] = {}
    for label in labels:
        totals[label] = totals.get(label, 0) + 1
    names = list(members)
    shuffled = [names[i] for i in torch.randperm(len(names), generator=torch.Generator().manual_seed(seed)).tolist()]
    shuffled.sort(key=lambda name: -len(members[name]))  # stable: the shuffle orders groups of one size
    counts: list[dict[int, int]] = [{} for _ in range(folds)]
    sizes = [0] * folds
    assignment = [0] * len(groups)
    for name in shuffled:
        brought: dict[int, int] = {}
        for index in members[name]:
            brought[labels[index]] = brought.get(labels[index], 0) + 1

        def growth(f: int, brought: dict[int, int] = brought) -> tuple[float, int, int]:
            # how much the squared distance of fold f's class counts from an equal share grows
            cost = sum(n * (2 * (counts[f].get(label, 0) - totals[label] / folds) + n) for label, n in brought.items())
            return cost, sizes[f], f

        best = min(range(folds), key=growth)
        for label, n in brought.items():
            counts[best][label] = counts[best].get(label, 0) + n
        sizes[best] += len(members[name])
        for index in members[name]:
            assignment[index] = best
    return assignment


def fold_indices(num_samples: int, folds: int, fold: int, seed: int = 0, targets: torch.Tensor | None = None,
                 groups: Sequence[Hashable] | None = None) -> tuple[list[int], list[int]]:
    """The training and validation indices of fold ``fold`` of ``folds``.

    The samples are shuffled with ``seed`` and dealt to the folds in turn; with ``targets`` (one
    class per sample) each class is dealt on its own, so every fold holds each class in the
    proportion of the whole (stratified, as scikit-learn's ``StratifiedKFold``). Fold ``k``
    validates on its part and trains on the others; over all folds every sample is validated
    exactly once. With ``groups`` (one group per sample, e.g. a patient id), every group lies
    whole in one fold, and the folds are balanced by class (with ``targets``) and size as well as
    whole groups allow.

    Args:
        num_samples: size of the training split.
        folds: number of folds (at least 2).
        fold: which fold, ``0 <= fold < folds``.
        seed: seed of the shuffle (the same for every fold, so the folds partition the data).
        targets: class index per sample, Shape: (num_samples,); None: not stratified.
        groups: group per sample (``num_samples`` of them); None: no groups.

    Returns:
        ``(train indices, val indices)``, each sorted.

    Raises:
        ConfigError: ``folds`` or ``fold`` out of range, or fewer samples (groups) than folds.
    """
    if folds < 2:
        raise ConfigError(f"cv.folds={folds}: k-fold cross-validation needs at least 2 folds")
    if not 0 <= fold < folds:
        raise ConfigError(f"cv.fold={fold} is not one of the {folds} folds: choose 0 to {folds - 1}")
    if num_samples < folds:
        raise ConfigError(f"cv.folds={folds} but the training split has {num_samples} samples")
    if groups is not None:
        if len(groups) != num_samples:
            raise ValueError(f"{len(groups)} groups for {num_samples} samples")
        assignment = _group_folds(groups, folds, seed, targets)
        return ([i for i, f in enumerate(assignment) if f != fold], [i for i, f in enumerate(assignment) if f == fold])
    generator = torch.Generator().manual_seed(seed)
    classes = ([torch.arange(num_samples)] if targets is None else
              [torch.nonzero(targets == label).flatten() for label in torch.unique(targets)])
    validate: list[int] = []
    offset = 0  # continue dealing where the previous class stopped: fold sizes differ by at most one
    for members in classes:
        shuffled = members[torch.randperm(len(members), generator=generator)].tolist()
        validate.extend(index for position, index in enumerate(shuffled) if (position + offset) % folds == fold)
        offset += len(shuffled)
    held_out = set(validate)
    return [i for i in range(num_samples) if i not in held_out], sorted(validate)


class FoldSubset(Subset):
    """A fold's part of a split: a ``Subset`` that keeps the dataset's class names and counts
    its own labels (the data summary and ``data.class_balance`` read them)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int], targets: torch.Tensor | None = None) -> None:
        super().__init__(dataset, list(indices))
        self.targets = None if targets is None else targets[torch.as_tensor(self.indices, dtype=torch.long)]

    @property
    def class_names(self) -> list[str]:
        """The class names of the whole dataset (index = label)."""
        return list(self.dataset.class_names)

    @property
    def transform(self) -> Any:
        """The transform of the samples (the underlying dataset's)."""
        return getattr(self.dataset, "transform", None)

    @transform.setter
    def transform(self, value: Any) -> None:
        self.dataset.transform = value

    def load(self, index: int) -> Any:
        """The untransformed sample ``index`` of this fold."""
        return self.dataset.load(self.indices[index])

    def label_counts(self) -> list[int] | None:
        """Samples per class in this fold, or None without single-label targets."""
        if self.targets is None or self.targets.ndim != 1:
            return None
        return torch.bincount(self.targets, minlength=len(self.class_names)).tolist()


def _stratification_targets(datamodule: Any) -> torch.Tensor | None:
    """One class per training sample, or None (masks, multi-label, unlabelled data)."""
    try:
        targets = datamodule.train_targets()
    except (DatasetError, AttributeError, TypeError):
        return None
    return targets if targets.ndim == 1 else None


def _fold_groups(datamodule: Any) -> list[str] | None:
    """The group of every training sample (a CSV's ``data.group_column``), or None."""
    train_groups = getattr(datamodule, "train_groups", None)
    return train_groups() if callable(train_groups) else None


def apply_fold(datamodule: Any, folds: int, fold: int, seed: int) -> None:
    """Make ``datamodule`` train on fold ``fold``'s training part and validate on its held-out
    part of the training split (with the evaluation transform); the test split is unchanged.

    Call it after the splits are built and checked (``build_datamodule``). The dataset's own
    validation split, if it has one, is not used: cross-validation validates on the training data.
    """
    train = datamodule.datasets["train"]
    targets = _stratification_targets(datamodule)
    groups = _fold_groups(datamodule)
    train_idx, val_idx = fold_indices(len(train), folds, fold, seed, targets, groups)
    evaluation = copy.copy(train)  # the same samples, read with the evaluation transform
    if hasattr(evaluation, "transform"):
        evaluation.transform = datamodule.eval_transform
    had_val = "val" in datamodule.datasets
    datamodule.datasets["train"] = FoldSubset(train, train_idx, targets)
    datamodule.datasets["val"] = FoldSubset(evaluation, val_idx, targets)
    datamodule.__dict__.pop("_device_tensors", None)  # on-device copies of the splits are rebuilt
    kind = "stratified by class" if targets is not None else "shuffled"
    if groups is not None:
        kind = f"{len(set(groups))} groups each in one fold, " + ("balanced by class" if targets is not None else
                                                                   "balanced by size")
    note = "; the dataset's own val split is not used" if had_val else ""
    rank_zero_info(f"cross-validation fold {fold} of {folds} ({kind}, seed {seed}): "
                   f"{len(train_idx)} training and {len(val_idx)} validation samples of the training split{note}")
