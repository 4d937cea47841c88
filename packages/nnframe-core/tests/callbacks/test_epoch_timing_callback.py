"""EpochTimingCallback: its data share is the time the loader takes, not other callbacks' work."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nnframe.core.callbacks import EpochTimingCallback
from nnframe.core.data.loading.fetch_timing import TimedFetches
from nnframe.core.testing import ToyClassifier


class SlowLoader:
    """A DataLoader whose every batch takes ``delay`` seconds to arrive."""

    def __init__(self, loader: DataLoader, delay: float) -> None:
        self.loader, self.delay = loader, delay

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            time.sleep(self.delay)
            yield batch


class TimedSlowLoader(TimedFetches, SlowLoader):
    """The slow loader timing its own fetches, as the datamodules' training loaders do."""


class SlowCallback(L.Callback):
    """Busy for ``seconds`` at the start and at the end of every training step (a figure, a
    logger write: work that is not waiting for data)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_batch_start(self, *args: Any) -> None:
        time.sleep(self.seconds)

    def on_train_batch_end(self, *args: Any) -> None:
        time.sleep(self.seconds)


def _epoch_line(caplog: pytest.LogCaptureFixture, loader_delay: float, callback_delay: float,
                timing_first: bool, timed: bool = True) -> tuple[int, int]:
    data = TensorDataset(torch.rand(64, 3, 16, 16), torch.randint(0, 5, (64,)))
    loader = (TimedSlowLoader if timed else SlowLoader)(DataLoader(data, batch_size=8), loader_delay)
    timing, slow = EpochTimingCallback(), SlowCallback(callback_delay)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        callbacks=[timing, slow] if timing_first else [slow, timing])
    with caplog.at_level(logging.INFO):
        trainer.fit(ToyClassifier(), train_dataloaders=loader)
    match = re.search(r"epoch 0: [\d.]+ s, (\d+)% waiting for data, (\d+)% compute, (\d+) img/s", caplog.text)
    assert match, caplog.text
    return int(match.group(1)), int(match.group(3))


@pytest.mark.parametrize("timing_first", [True, False])
def test_data_share_is_the_loaders_time_whatever_the_callback_order(caplog: pytest.LogCaptureFixture,
                                                                   timing_first: bool) -> None:
    # The loader: 8 x 0.05 s; the other callback: 8 x 2 x 0.05 s, twice the loader's time. Timed
    # between two steps, the callback's work would count as data (about 75%); timed at the fetch, 33%.
    share, img_s = _epoch_line(caplog, loader_delay=0.05, callback_delay=0.05, timing_first=timing_first)
    assert 20 <= share <= 45, share
    assert 40 <= img_s <= 60, img_s  # 64 images in ~1.2 s of training steps


def test_a_fast_loader_is_not_reported_as_waiting(caplog: pytest.LogCaptureFixture) -> None:
    share, _ = _epoch_line(caplog, loader_delay=0.0, callback_delay=0.05, timing_first=False)
    assert share <= 10, share


def test_a_loader_that_does_not_time_its_fetches_counts_the_time_between_steps(
        caplog: pytest.LogCaptureFixture) -> None:
    # The other callback's 2 x 0.05 s per step count as data then: (0.05 + 0.1) / (0.05 + 0.1 + compute).
    share, _ = _epoch_line(caplog, loader_delay=0.05, callback_delay=0.05, timing_first=True, timed=False)
    assert share >= 60, share


@pytest.mark.parametrize("on_device", [False, True])
def test_the_datamodules_training_loader_times_its_fetches(on_device: bool) -> None:
    from nnframe.core.data import ShapesDataModule

    datamodule = ShapesDataModule(num_train=32, num_val=8, num_test=8, image_size=16, batch_size=8,
                                  on_device=on_device, num_workers=0, persistent_workers=False, pin_memory=False)
    datamodule.setup("fit")
    train, val = datamodule.train_dataloader(), datamodule.val_dataloader()
    assert isinstance(train, TimedFetches) and not isinstance(val, TimedFetches)
    assert train.fetch_seconds == 0.0
    assert len(list(train)) == 4 and train.fetch_seconds > 0.0
    assert isinstance(train, DataLoader) is not on_device  # still a DataLoader for Lightning's DDP sampler
