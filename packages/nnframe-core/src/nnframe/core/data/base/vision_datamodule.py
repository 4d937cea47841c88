"""Base ``LightningDataModule``: splits, the pre-flight data check, loaders, the predict folder,
and a dataset summary."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, SequentialSampler, Subset, default_collate

from nnframe.core.contracts import check_members
from nnframe.core.data.base._contract import VISION_DATAMODULE_MEMBERS, check_split_dataset
from nnframe.core.data.base.image_files import ImageFileDataset
from nnframe.core.data.checks.data_report import DataReport
from nnframe.core.data.loading.class_balance import (
    ClassBalancedSampler,
    check_class_balance,
    class_counts,
    inverse_frequency_weights,
)
from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler
from nnframe.core.data.loading.resumable_data_loader import TimedResumableDataLoader
from nnframe.core.errors import ConfigError, DatasetError

_STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), None: ("train", "val", "test")}


class VisionDataModule(L.LightningDataModule):
    """Loads the train/val/test splits of one dataset and serves their dataloaders.

    A subclass provides ``build_dataset(split, transform)`` returning a
    :class:`~nnframe.core.data.VisionDataset` for ``train``, ``val`` and ``test`` (may be the
    same data as val when the dataset has no test split), and may override ``prepare_data``
    to download and ``check_data`` to add its own checks (masks, say) to the pre-flight check.

    Every split is checked when it is built (:func:`~nnframe.core.data.checks.data_check.check_splits`):
    every file identified, unusable files left out (``skip_corrupt``) or listed in one error,
    class sets compared. ``data_report`` holds what the check found.

    Another ``(image, target)`` dataset works wrapped in
    :class:`~nnframe.core.data.WrappedDataset` with its class names (or with ``class_names``
    defined on the datamodule). A subclass without ``build_dataset`` fails at construction with
    an example of it; a split without class names fails at ``setup``.

    Args:
        batch_size: training batch size (per process).
        eval_batch_size: validation/test/predict batch size (default: ``batch_size``).
        num_workers: dataloader worker processes (0 loads in the main process).
        pin_memory: page-locked batches for faster host-to-GPU copies.
        persistent_workers: keep workers alive between epochs (only with ``num_workers > 0``).
        drop_last: drop the last incomplete training batch.
        seed: seed of the training shuffle (order = f(seed, epoch)).
        num_classes: expected number of classes; checked against the data (None: take the data's).
        train_transform: called as ``transform(image, target)`` on training samples.
        eval_transform: the same for validation, test and prediction.
        in_channels: image channels the model receives.
        image_size: side of the images the model receives; ``auto``: from the data (resolved
            by ``build_datamodule``, see ``nnframe.core.training.data_values``).
        normalization: the stats the transforms normalise with (a name in
            ``cv_tools.NORMALIZATION_STATS`` or ``[mean, std]``), used to draw images back.
        on_device: hold the train/val/test splits as uint8 tensors on the training device and
            augment whole batches there (in-memory datasets; see ``device_batch_loader``).
        skip_corrupt: leave out samples whose files the pre-flight check finds unusable
            (counted in the data summary and at the end of the run) instead of stopping.
        decode_check: decode every image fully in the pre-flight check (finds damage inside
            files whose header and end marker are intact; slower, cached like the rest).
        max_image_size: the largest side ``image_size=auto`` chooses.
        min_image_size: the smallest side ``image_size=auto`` chooses (smaller images are
            upscaled: what the network needs, e.g. 32 for the small CNNs).
        image_size_multiple: ``image_size=auto`` is a multiple of this (a segmentation
            encoder's output stride).
        auto_augment, random_erasing: the training transform's policy and erasing probability
            (the data config passes them to ``train_transform``; kept here to report them and to
            stop ``on_device`` runs that cannot apply them).
        mixup_alpha, cutmix_alpha: MixUp / CutMix of training batches (see
            :meth:`train_batch_mixing`; the classification module applies it).
        class_balance: ``sampler`` (draw classes equally often), ``loss_weights`` (see
            :meth:`class_weights`) or None.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> VisionDataModule:
        check_members(cls, "nnframe.core.data.VisionDataModule", VISION_DATAMODULE_MEMBERS)  # a clear error, not None later
        return super().__new__(cls)

    def __init__(
        self,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        num_classes: int | None = None,
        train_transform: Callable[..., Any] | None = None,
        eval_transform: Callable[..., Any] | None = None,
        in_channels: int = 3,
        image_size: int | str = 32,
        normalization: str | Sequence[Sequence[float]] = "imagenet",
        on_device: bool = False,
        skip_corrupt: bool = False,
        decode_check: bool = False,
        max_image_size: int = 224,
        min_image_size: int = 1,
        image_size_multiple: int = 1,
        auto_augment: str | None = None,
        random_erasing: float = 0.0,
        mixup_alpha: float = 0.0,
        cutmix_alpha: float = 0.0,
        class_balance: str | None = None,
    ) -> None:
        super().__init__()
        check_class_balance(class_balance)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers and num_workers > 0
        self.drop_last = drop_last
        self.seed = seed
        self.expected_num_classes = num_classes
        self.train_transform = train_transform
        self.eval_transform = eval_transform
        self.in_channels = in_channels
        self.image_size = image_size
        self.normalization = normalization
        self.on_device = on_device
        self.skip_corrupt = skip_corrupt
        self.decode_check = decode_check
        self.max_image_size = max_image_size
        self.min_image_size = min_image_size
        self.image_size_multiple = image_size_multiple
        self.auto_augment = auto_augment
        self.random_erasing = random_erasing
        self.mixup_alpha = mixup_alpha
        self.cutmix_alpha = cutmix_alpha
        self.class_balance = class_balance
        self.datasets: dict[str, Dataset] = {}
        self.predict_dir: str | None = None
        self.data_report = DataReport()

    @abstractmethod
    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> Dataset:
        """Return the dataset of ``split`` (``train``, ``val`` or ``test``) with ``transform``."""

    def setup(self, stage: str | None = None) -> None:
        """Build (and check) the splits ``stage`` needs, once."""
        if stage == "predict":
            if not self.predict_dir:
                raise DatasetError("predict needs a folder of images: add predict.input_dir=/path/to/images")
            self.datasets["predict"] = ImageFileDataset(self.predict_dir, self._predict_transform(),
                                                        "L" if self.in_channels == 1 else "RGB")
            return
        self.setup_splits(_STAGE_SPLITS.get(stage, ("train", "val", "test")))

    def setup_splits(self, splits: Sequence[str]) -> DataReport:
        """Build the ``splits`` not built yet and run the pre-flight check on them.

        Raises:
            DatasetError: every problem the check found, with the files and the fix.
        """
        from nnframe.core.data.checks.data_check import check_splits

        new = [split for split in splits if split not in self.datasets]
        if self.on_device and "train" in new:
            self._check_on_device_switches()
        for split in new:
            transform = self.train_transform if split == "train" else self.eval_transform
            self.datasets[split] = self.build_dataset(split, transform)
            check_split_dataset(self, split, self.datasets[split])
            if len(self.datasets[split]) == 0:
                raise DatasetError(f"the {split} split of {type(self).__name__} is empty")
        if new:
            check_splits(self, new)
        if "train" in new:
            self._check_a_training_batch()
        self._check_num_classes()
        return self.data_report

    def _check_a_training_batch(self) -> None:
        """Stop, before training, a training split smaller than one batch when the incomplete
        batch is dropped: the epoch would have no batch (Lightning: "No training batches")."""
        size = len(self.datasets["train"])
        if self.drop_last and size < self.batch_size:
            fit = 2 ** int(math.log2(size)) if size > 0 else 1
            raise DatasetError(
                f"the training split has {size} images, fewer than data.batch_size={self.batch_size}, and "
                "data.drop_last=true leaves out the incomplete batch: an epoch would have no training batch. "
                f"Add data.batch_size={fit} (or smaller), or add images")


    @classmethod
    def default_normalization(cls, data_cfg: Mapping[str, Any]) -> str | Sequence[Sequence[float]]:
        """The dataset's own normalisation (what ``data.normalization=auto`` gives without
        pretrained weights): a name in ``NORMALIZATION_STATS`` or ``[mean, std]``.

        Args:
            data_cfg: the data config (a subclass may read e.g. its dataset name).
        """
        return "imagenet"

    def collate(self, samples: list[Any]) -> Any:
        """Build a batch from a list of dataset samples: the ``collate_fn`` of every loader of
        the datamodule (train, val, test, predict). Default: ``torch.utils.data.default_collate``
        (``(images (B, C, H, W), targets (B, ...))``).

        A task whose samples do not stack (images of several sizes, a dict of boxes per image)
        returns what its module's ``batch_images`` / ``batch_target`` read, e.g.
        ``tuple(zip(*samples))``: ``(list of images, list of target dicts)`` as torchvision's
        detection references do. Such a datamodule cannot use ``data.on_device`` (stopped
        before training, by name).
        """
        return default_collate(samples)

    def _check_on_device_switches(self) -> None:
        """Stop, before training, an ``on_device`` run with a switch the batch path cannot do."""
        from nnframe.core.data.on_device.device_batch_loader import on_device_unsupported

        reason = on_device_unsupported(self)
        if reason is not None:
            raise ConfigError(reason)
        blocked = [f"data.auto_augment={self.auto_augment}" if self.auto_augment else "",
                   f"data.random_erasing={self.random_erasing}" if self.random_erasing else "",
                   "data.class_balance=sampler" if self.class_balance == "sampler" else ""]
        blocked = [b for b in blocked if b]
        if blocked:
            raise ConfigError(
                f"data.on_device=true has no batch version of {', '.join(blocked)} (per-image "
                "transforms / sampling): add data.on_device=false to apply it image by image in the "
                "DataLoader (mixup, cutmix and class_balance=loss_weights work on the device)")

    def train_targets(self) -> torch.Tensor:
        """The class of every training sample. Shape: (N,) int64.

        Raises:
            DatasetError: the training split does not list its targets.
        """
        if "train" not in self.datasets:
            self.setup("fit")
        targets = getattr(self.datasets["train"], "targets", None)
        if targets is None:
            raise DatasetError(f"data.class_balance needs the training labels, and {type(self).__name__}'s "
                               "training split does not list them (targets); set data.class_balance=null")
        return torch.as_tensor(list(targets) if not isinstance(targets, torch.Tensor) else targets,
                               dtype=torch.long)

    def class_weights(self) -> torch.Tensor | None:
        """With ``class_balance=loss_weights``, the per-class weights of the training loss
        (inverse class frequency, ``N / (C * count)``), else None. Shape: (num_classes,)."""
        if self.class_balance != "loss_weights":
            return None
        return inverse_frequency_weights(class_counts(self.train_targets(), self.num_classes))

    def train_batch_mixing(self) -> Callable[..., Any] | None:
        """With ``mixup_alpha`` / ``cutmix_alpha``, what mixes a training batch
        ``(images, labels) -> (images, soft targets)`` (see ``cv_tools.MixUpCutMix``), else None."""
        from nnframe.core.cv_tools.batch_mixing import batch_mixing

        if not self.mixup_alpha and not self.cutmix_alpha:
            return None
        return batch_mixing(self.num_classes, self.mixup_alpha, self.cutmix_alpha)

    def recipe_rows(self) -> list[tuple[str, str]]:
        """The training-data switches that are on, as ``(key, what it does)`` rows for the summary."""
        rows = []
        if self.auto_augment:
            rows.append(("data.auto_augment", str(self.auto_augment)))
        if self.random_erasing:
            rows.append(("data.random_erasing", f"p={self.random_erasing}"))
        if self.mixup_alpha:
            rows.append(("data.mixup_alpha", f"MixUp, Beta({self.mixup_alpha}, {self.mixup_alpha})"))
        if self.cutmix_alpha:
            rows.append(("data.cutmix_alpha", f"CutMix, Beta({self.cutmix_alpha}, {self.cutmix_alpha})"))
        if self.mixup_alpha and self.cutmix_alpha:
            rows.append(("", "one of MixUp / CutMix per batch, at random"))
        if self.class_balance == "sampler":
            rows.append(("data.class_balance", "sampler: classes drawn equally often (with replacement)"))
        elif self.class_balance == "loss_weights":
            rows.append(("data.class_balance", "loss_weights: training loss weighted by 1 / class count"))
        return rows

    def set_transforms(self, train_transform: Callable[..., Any] | None,
                       eval_transform: Callable[..., Any] | None) -> None:
        """Use these transforms from now on, also in the splits already built (the run builds
        the datamodule first and its transforms once values such as ``image_size=auto`` are
        known)."""
        self.train_transform, self.eval_transform = train_transform, eval_transform
        for split, dataset in self.datasets.items():
            if split == "predict":
                dataset.transform = self._predict_transform()
            elif hasattr(dataset, "transform"):
                dataset.transform = train_transform if split == "train" else eval_transform
        self.__dict__.pop("_device_tensors", None)  # on-device copies were prepared for the old transform

    def check_data(self, report: DataReport, file_infos: dict[Any, Any], splits: Sequence[str]) -> None:
        """Task-specific checks of the pre-flight check (masks against images, say) of the
        ``splits`` just built: add issues, notes and tables to ``report``. ``file_infos`` maps
        each probed file to its ``FileInfo``."""

    def _predict_transform(self) -> Callable[..., Any] | None:
        return self.eval_transform

    def _check_num_classes(self) -> None:
        if self.expected_num_classes is None or not self.datasets:
            return
        found = len(self.class_names)
        if found != self.expected_num_classes:
            raise DatasetError(
                f"data.num_classes={self.expected_num_classes} but the dataset has {found} classes "
                f"({', '.join(self.class_names[:20])}); set data.num_classes={found} or leave it null"
            )

    @property
    def class_names(self) -> list[str]:
        """Class names of the dataset (index = label); builds the validation split if needed."""
        for split in ("train", "val", "test"):
            if split in self.datasets:
                return list(self.datasets[split].class_names)
        self.datasets["val"] = self.build_dataset("val", self.eval_transform)
        check_split_dataset(self, "val", self.datasets["val"])
        return list(self.datasets["val"].class_names)

    @property
    def num_classes(self) -> int:
        """Number of classes in the data."""
        return len(self.class_names)

    def _loader(self, split: str, train: bool = False) -> DataLoader:
        if self.on_device and split != "predict":
            from nnframe.core.data.on_device.device_batch_loader import build_device_loader

            return build_device_loader(self, split, train)  # type: ignore[return-value]
        dataset = self.datasets[split]
        sampler, generator, extra = None, None, {}
        overfit = train and self.overfitting()
        if train:
            generator = torch.Generator()
            if overfit:
                # The first batches of the first epoch's order, with its random draws, every epoch:
                # the same batches, augmentation included. The order is fixed in a Subset read in
                # sequence (Lightning swaps any other sampler for a SequentialSampler, with a
                # warning): in the stored order a class-per-folder dataset's first batches would
                # hold one class each, which BatchNorm cannot tell apart.
                order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(self.seed))
                dataset = Subset(dataset, order.tolist())
                sampler, extra = SequentialSampler(dataset), {"replay_seed": self.seed}
            elif self.class_balance == "sampler":
                sampler = ClassBalancedSampler(self.train_targets(), self.seed, self._current_epoch(), generator)
            else:
                sampler = EpochSeededRandomSampler(dataset, self.seed, self._current_epoch(), generator)
        # The training loader resumes mid-epoch (Lightning saves its position in checkpoints) and
        # times its fetches (the "waiting for data" of EpochTimingCallback).
        return (TimedResumableDataLoader if train else DataLoader)(
            dataset,
            batch_size=self.batch_size if train else self.eval_batch_size,
            sampler=sampler,
            generator=generator,
            drop_last=self.drop_last if train else False,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers and not overfit,  # fresh workers replay their draws
            # The default as the plain function: a bound method would pickle the whole datamodule
            # (and its trainer) into each worker under the spawn start method (macOS, Windows).
            collate_fn=default_collate if type(self).collate is VisionDataModule.collate else self.collate,
            **extra,
        )

    def overfitting(self) -> bool:
        """Whether the trainer overfits a few batches (``trainer.overfit_batches``, which
        ``debug=overfit`` sets): the training loaders then give the same batches every epoch."""
        trainer = self.trainer
        return bool(trainer is not None and trainer.overfit_batches)

    def _current_epoch(self) -> int:
        """The epoch the trainer is at (restored from a checkpoint when resuming), else 0."""
        trainer = self.trainer
        return int(trainer.fit_loop.epoch_progress.current.processed) if trainer is not None else 0

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader("predict")

    def summary(self) -> dict[str, Any]:
        """Sizes per split, class names and per-class counts, and what the data check found,
        for the start-of-run printout.

        Returns:
            ``{"splits": {split: size}, "classes": [...], "counts": {split: [count per class]},
            "report": DataReport}`` plus, in subclasses, ``"extra": {title: {row: value}}``.
        """
        counts: dict[str, list[int]] = {}
        for split, dataset in self.datasets.items():
            label_counts = getattr(dataset, "label_counts", None)
            split_counts = label_counts() if callable(label_counts) else None
            if split_counts is not None:
                counts[split] = list(split_counts) + [0] * (self.num_classes - len(split_counts))
        summary: dict[str, Any] = {
            "splits": {split: len(dataset) for split, dataset in self.datasets.items()},
            "classes": self.class_names,
            "counts": counts,
            "report": self.data_report,
        }
        rows = self.recipe_rows()
        if rows:
            summary["extra"] = {"training data switches": {"columns": ("switch", "effect"), "rows": rows}}
        return summary
