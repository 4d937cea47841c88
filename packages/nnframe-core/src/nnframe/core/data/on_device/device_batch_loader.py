"""The on-device data path: a whole in-memory dataset as one uint8 tensor on the training device.

For small datasets (shapes, CIFAR, MNIST, STL-10 at low resolution) a DataLoader applying PIL
or tensor transforms image by image is the bottleneck on a GPU; holding the dataset on the
device and augmenting whole batches there removes it (as the fastest CIFAR-10 trainers do).
Segmentation datasets hold a mask per image, which moves with its image (see
:meth:`~nnframe.core.data.on_device.device_augment.BatchAugmentation.augment_pair`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, SequentialSampler, Subset
from torchvision.transforms.v2 import functional as TF

from nnframe.core.data.loading.fetch_timing import TimedFetches
from nnframe.core.data.on_device.device_augment import BatchAugmentation, TransformPlan, plan_from_transform
from nnframe.core.errors import ConfigError, DatasetError


def _as_nchw_uint8(data: Any) -> torch.Tensor:
    tensor = torch.as_tensor(np.asarray(data)) if not isinstance(data, torch.Tensor) else data
    if tensor.dtype != torch.uint8:
        raise DatasetError(f"data.on_device needs uint8 images, the dataset holds {tensor.dtype}")
    if tensor.ndim == 3:  # (N, H, W) grey (MNIST)
        return tensor[:, None]
    if tensor.shape[-1] in (1, 3) and tensor.shape[1] not in (1, 3):  # (N, H, W, C) (CIFAR)
        return tensor.permute(0, 3, 1, 2).contiguous()
    return tensor  # (N, C, H, W) (shapes, STL-10)


def dataset_tensors(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole dataset as ``(images, targets)``, untransformed: (N, C, H, W) uint8 images and
    (N,) int64 labels or (N, H, W) masks.

    Reads the arrays of in-memory datasets directly (a dataset's own ``tensors()``, as nnframe's
    shapes have; torchvision's CIFAR, MNIST, FashionMNIST, STL-10, possibly wrapped in a
    ``Subset``), else loads every sample.
    """
    indices: list[int] | None = None
    source: Any = dataset
    while True:
        if isinstance(source, Subset):
            sub = list(source.indices)
            indices = sub if indices is None else [sub[i] for i in indices]
            source = source.dataset
        elif hasattr(source, "dataset") and not hasattr(source, "data") and not hasattr(source, "images"):
            source = source.dataset  # nnframe's WrappedDataset
        else:
            break
    own = getattr(source, "tensors", None)
    images = getattr(source, "images", None)
    if images is None:
        images = getattr(source, "data", None)
    labels = getattr(source, "labels", None)
    if labels is None:
        labels = getattr(source, "targets", None)
    if callable(own):
        images_t, labels_t = own()
        images_t = _as_nchw_uint8(images_t)
    elif images is not None and labels is not None and len(images) == len(labels):
        images_t, labels_t = _as_nchw_uint8(images), torch.as_tensor(np.asarray(labels), dtype=torch.long)
    else:
        images_t, labels_t = _load_all(dataset)
        indices = None
    if indices is not None:
        index = torch.as_tensor(indices, dtype=torch.long)
        images_t, labels_t = images_t[index], labels_t[index]
    return images_t, labels_t


def _load_all(dataset: Any) -> tuple[torch.Tensor, torch.Tensor]:
    load = getattr(dataset, "load", None) or dataset.__getitem__
    images, targets = [], []
    for index in range(len(dataset)):
        image, target = load(index)
        if not isinstance(target, int | np.integer | np.ndarray | torch.Tensor):
            raise ConfigError(_untensored(f"sample {index} of {type(dataset).__name__} has a "
                                          f"{type(target).__name__} target"))
        images.append(TF.to_image(image))
        targets.append(torch.as_tensor(target).as_subclass(torch.Tensor))  # an int label or a (H, W) mask
    if len({tuple(i.shape) for i in images}) > 1 or len({tuple(t.shape) for t in targets}) > 1:
        raise DatasetError("data.on_device needs images (and masks) of one size; resize them or set "
                           "data.on_device=false")
    return _as_nchw_uint8(torch.stack(images)), torch.stack(targets).long()


def _untensored(what: str) -> str:
    return (f"data.on_device=true holds the data as one image tensor and one target tensor (class labels "
            f"or masks), and {what}: set data.on_device=false to load it through the DataLoader")


def on_device_unsupported(datamodule: Any) -> str | None:
    """Why ``datamodule``'s samples cannot take the on-device path (a ``ConfigError`` message),
    or None: a datamodule that collates its own batches (``collate`` overridden: lists of
    images, dicts of boxes) has targets that the path cannot stack."""
    from nnframe.core.data.base.vision_datamodule import VisionDataModule

    if type(datamodule).collate is not VisionDataModule.collate:
        return _untensored(f"{type(datamodule).__name__} collates its own batches (it overrides collate)")
    return None


def prepare_images(images: torch.Tensor, plan: TransformPlan, masks: bool = False) -> torch.Tensor:
    """Apply the plan's one-off resize / centre crop to the stored uint8 images, or with
    ``masks`` to (N, H, W) masks (nearest neighbour, as torchvision resizes a ``Mask``)."""
    stored = images[:, None] if masks else images
    interpolation = TF.InterpolationMode.NEAREST if masks else TF.InterpolationMode.BILINEAR
    if plan.resize is not None:
        square = (plan.resize, plan.resize)
        if plan.resize_square and tuple(stored.shape[-2:]) != square:
            stored = TF.resize(stored, list(square), interpolation=interpolation, antialias=not masks)
        elif not plan.resize_square and min(stored.shape[-2:]) != plan.resize:
            stored = TF.resize(stored, [plan.resize], interpolation=interpolation, antialias=not masks)
    if plan.center_crop is not None and tuple(stored.shape[-2:]) != (plan.center_crop, plan.center_crop):
        stored = TF.center_crop(stored, [plan.center_crop])
    return (stored[:, 0] if masks else stored).contiguous()


class DeviceBatchLoader:
    """Yields augmented batches from a dataset held on ``device``.

    Order: a permutation drawn from ``(seed, epoch)`` as :class:`EpochSeededRandomSampler` does
    (Lightning calls :meth:`set_epoch`), split across processes by rank. The augmentation of each
    batch draws from a device generator seeded from ``(seed, epoch, rank, batch index)``, so a run
    is reproducible and any batch's draws are known without drawing those of the batches before.

    Resumable mid-epoch: Lightning saves :meth:`state_dict` (the epoch and the batches handed out
    in it) in every checkpoint and gives it back to :meth:`load_state_dict` when it resumes, and
    the next iteration starts at the batch after the last one trained, with the same images and
    augmentation draws as the uninterrupted run (every process holds the same position, since they
    step in lockstep).

    Args:
        images: (N, C, H, W) uint8, on any device; moved to ``device`` once.
        labels: (N,) int64 labels, or (N, H, W) masks, which every geometric step moves with
            their images (batches then hold (B, H, W) int64 masks).
        batch_size: images per batch (per process).
        augmentation: what runs on every batch; a sequence of them yields one view per element
            (asymmetric or multi-crop self-supervised views).
        device: the training device.
        shuffle: random order per epoch (training) or the stored order (evaluation).
        drop_last: drop the last incomplete batch.
        views: 1 yields ``(images, labels)``; 2 yields ``((view1, view2), labels)`` with
            independent draws of one augmentation (two-view self-supervised methods); ignored
            when ``augmentation`` is a sequence.
        seed: base seed of order and augmentation.
        rank, world_size: this process's shard.
        ignore_index: mask value where a geometric step pads (masks only; None: 0).
        repeat_batches: every epoch the same batches: the order and the augmentation draws of
            epoch 0 (``trainer.overfit_batches``, which ``debug=overfit`` sets; its first batches
            then mix the classes, as the DataLoader path's do).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 augmentation: BatchAugmentation | Sequence[BatchAugmentation],
                 device: torch.device | str = "cpu", shuffle: bool = True, drop_last: bool = False,
                 views: int = 1, seed: int = 0, rank: int = 0, world_size: int = 1,
                 ignore_index: int | None = None, repeat_batches: bool = False) -> None:
        self.device = torch.device(device)
        self.repeat_batches = repeat_batches
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        if isinstance(augmentation, BatchAugmentation):
            self.augmentations = [augmentation] * views
            self.multi_view = views > 1
        else:
            self.augmentations = list(augmentation)
            self.multi_view = True
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.ignore_index = ignore_index
        self.masks = self.labels.ndim == 3
        if self.masks and self.multi_view:
            raise ConfigError("data.on_device makes one view of an image and its mask; set data.on_device=false")
        self.epoch = 0
        # Lightning calls loader.sampler.set_epoch(epoch) every epoch and reads these to decide
        # whether a loader shuffles.
        self.sampler: Any = self if shuffle else SequentialSampler(range(len(images)))
        self.batch_sampler = None
        self._position = (0, 0)  # (epoch, batches handed out in it) of the current iteration
        self._resume_at: tuple[int, int] | None = None  # from load_state_dict, for the next iteration

    def set_epoch(self, epoch: int) -> None:
        """Select the order and augmentation draws of ``epoch``."""
        self.epoch = epoch

    def _indices(self) -> torch.Tensor:
        n = len(self.images)
        if self.shuffle or self.repeat_batches:
            epoch = 0 if self.repeat_batches else self.epoch
            order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + epoch))
        else:
            order = torch.arange(n)
        return order[self.rank::self.world_size].to(self.device)

    def __len__(self) -> int:
        n = math.ceil(len(self.images) / self.world_size) if self.shuffle else len(self._indices())
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def state_dict(self) -> dict[str, int]:
        """Where training is in the data: ``{"epoch", "batches"}`` (batches handed out in that epoch).

        Lightning saves it in the checkpoint (its fit loop does so for every train loader that
        has ``state_dict`` and ``load_state_dict``)."""
        epoch, batches = self._position
        return {"epoch": epoch, "batches": batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Start the next iteration of epoch ``state["epoch"]`` at batch ``state["batches"]``
        (Lightning calls this before it iterates a loader resumed mid-epoch)."""
        self._resume_at = (int(state["epoch"]), int(state["batches"]))

    def _batch_seed(self, batch: int) -> int:
        """The seed of one batch's augmentation draws: a function of (seed, epoch, rank, batch)."""
        epoch = 0 if self.repeat_batches else self.epoch  # debug=overfit: the same draws every epoch
        mixed = np.random.SeedSequence([self.seed % 2**63, epoch, self.rank, batch])
        return int(mixed.generate_state(1, np.uint64)[0] >> np.uint64(1))

    def __iter__(self) -> Iterator[Any]:
        first = 0
        if self._resume_at is not None and self._resume_at[0] == self.epoch:
            first = self._resume_at[1]
        self._resume_at = None
        self._position = (self.epoch, first)
        generator = torch.Generator(device=self.device)
        indices = self._indices()
        for batch in range(first, math.ceil(len(indices) / self.batch_size)):
            index = indices[batch * self.batch_size:(batch + 1) * self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                break
            generator.manual_seed(self._batch_seed(batch))
            self._position = (self.epoch, batch + 1)
            raw = self.images.index_select(0, index)
            target = self.labels.index_select(0, index)
            if self.masks:
                yield self.augmentations[0].augment_pair(raw, target, generator, self.ignore_index)
            elif not self.multi_view:
                yield self.augmentations[0](raw, generator), target
            else:
                yield tuple(augment(raw, generator) for augment in self.augmentations), target


class TimedDeviceBatchLoader(TimedFetches, DeviceBatchLoader):
    """A :class:`DeviceBatchLoader` whose batches are timed (the training split's)."""


def build_device_loader(datamodule: Any, split: str, train: bool) -> DeviceBatchLoader:
    """The on-device loader of ``datamodule``'s ``split`` (used by ``VisionDataModule`` with
    ``on_device=true``): the split's transform is translated to batch operations, the stored
    images prepared once and cached on the trainer's device.

    A transform that makes several views provides ``batch_plans()``: one
    :class:`TransformPlan` per view, all with the same one-off resize and centre crop.
    """
    transform = datamodule.train_transform if train else datamodule.eval_transform
    batch_plans = getattr(transform, "batch_plans", None)
    plans = list(batch_plans()) if callable(batch_plans) else [plan_from_transform(transform)]
    if len({(p.resize, p.resize_square, p.center_crop) for p in plans}) != 1:
        raise ConfigError("data.on_device needs every view to start from the same stored image size "
                          "(one Resize/CenterCrop for all views); set data.on_device=false")
    plan = plans[0]
    trainer = datamodule.trainer
    device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
    cache: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]] = datamodule.__dict__.setdefault(
        "_device_tensors", {})
    key = (split, str(device))
    if key not in cache:
        images, targets = dataset_tensors(datamodule.datasets[split])
        if targets.ndim == 3:
            targets = prepare_images(targets, plan, masks=True)
            if len(targets) and int(targets.min()) >= 0 and int(targets.max()) <= 255:
                targets = targets.to(torch.uint8)  # a quarter of the bytes to gather per batch
        cache[key] = (prepare_images(images, plan).to(device), targets.to(device))
    images, labels = cache[key]
    overfit = datamodule.overfitting()
    loader = (TimedDeviceBatchLoader if train else DeviceBatchLoader)(
        images, labels, datamodule.batch_size if train else datamodule.eval_batch_size,
        [p.augmentation for p in plans] if callable(batch_plans) else plan.augmentation,
        # trainer.overfit_batches: the first epoch's first batches every epoch, as the datamodule's
        # DataLoader gives them (Lightning cannot reach into this loader's order).
        device=device, shuffle=train and not overfit, repeat_batches=train and overfit,
        drop_last=datamodule.drop_last if train else False,
        seed=datamodule.seed,
        rank=trainer.global_rank if trainer is not None else 0,
        world_size=trainer.world_size if trainer is not None else 1,
        ignore_index=getattr(datamodule, "ignore_index", None),  # a segmentation datamodule's own
    )
    if train and trainer is not None:
        loader.set_epoch(datamodule._current_epoch())
    return loader
