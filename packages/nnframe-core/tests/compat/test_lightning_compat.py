"""What nnframe relies on in Lightning beyond its public API (``nnframe.core.compat.lightning``):
where a checkpoint holds the training loaders' states, and Lightning's dropping of them when the
training data is set up before the restore (issue 20550), which ``RNGStateCallback`` makes up for.
A failure here means Lightning changed: adapt or remove the workaround."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import TensorDataset

from nnframe.core.callbacks import RNGStateCallback
from nnframe.core.compat.lightning import train_loader_states
from nnframe.core.data import ResumableDataLoader
from nnframe.core.data.loading.epoch_sampler import EpochSeededRandomSampler

BATCHES = 8  # per epoch


class _Model(L.LightningModule):
    """Records the first value of every training batch; reads ``estimated_stepping_batches`` in
    ``configure_optimizers`` (as a schedule with ``total_steps`` does) when told to."""

    def __init__(self, reads_total_steps: bool) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)
        self.reads_total_steps = reads_total_steps
        self.seen: list[int] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        self.seen.append(int(batch[0][0, 0]))
        return self.layer(batch[0]).mean()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        if self.reads_total_steps:
            assert self.trainer.estimated_stepping_batches == 2 * BATCHES
        return torch.optim.SGD(self.parameters(), lr=0.01)

    def train_dataloader(self) -> ResumableDataLoader:
        dataset = TensorDataset(torch.arange(8.0 * BATCHES).unsqueeze(1))
        sampler = EpochSeededRandomSampler(dataset, seed=0)
        return _RecordingLoader(dataset, batch_size=8, sampler=sampler)


class _RecordingLoader(ResumableDataLoader):
    loads: list[dict[str, int]] = []  # noqa: RUF012 (a record across instances, for the test)

    def load_state_dict(self, state: dict[str, int]) -> None:
        _RecordingLoader.loads.append(state)
        super().load_state_dict(state)


class _SaveAt(Callback):
    def __init__(self, path: Path, step: int) -> None:
        self.path, self.step = path, step

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)


def _trainer(tmp_path: Path, *callbacks: Callback) -> L.Trainer:
    return L.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                     callbacks=list(callbacks), default_root_dir=tmp_path)


def _stopped_checkpoint(tmp_path: Path) -> tuple[Path, list[int]]:
    """A checkpoint after step 11 (epoch 1, batch 3), and what the uninterrupted run trained on."""
    path = tmp_path / "step11.ckpt"
    model = _Model(reads_total_steps=False)
    _trainer(tmp_path, _SaveAt(path, BATCHES + 3)).fit(model)
    return path, model.seen


def test_the_checkpoint_holds_the_training_loader_state_where_nnframe_reads_it(tmp_path: Path) -> None:
    path, _ = _stopped_checkpoint(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    assert train_loader_states(checkpoint) == [{"epoch": 1, "batches": 3}]
    assert train_loader_states({}) == []


def test_lightning_drops_the_loader_state_when_configure_optimizers_reads_the_total_steps(tmp_path: Path) -> None:
    path, _ = _stopped_checkpoint(tmp_path)
    _RecordingLoader.loads.clear()
    _trainer(tmp_path).fit(_Model(reads_total_steps=False), ckpt_path=path)
    assert _RecordingLoader.loads == [{"epoch": 1, "batches": 3}]  # Lightning's own restore
    _RecordingLoader.loads.clear()
    _trainer(tmp_path).fit(_Model(reads_total_steps=True), ckpt_path=path)
    # Lightning issue 20550: if this fails, Lightning restores the state itself now.
    assert _RecordingLoader.loads == []


def test_rng_state_callback_gives_the_loader_its_position_back(tmp_path: Path) -> None:
    path, uninterrupted = _stopped_checkpoint(tmp_path)
    model = _Model(reads_total_steps=True)
    _trainer(tmp_path, RNGStateCallback()).fit(model, ckpt_path=path)
    assert model.seen == uninterrupted[BATCHES + 3:]
