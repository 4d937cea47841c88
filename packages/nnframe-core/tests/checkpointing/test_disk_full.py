"""A full disk while writing a checkpoint: one clear error naming the file, the old file kept,
no temporary file left; orphan temporary files of a killed writer are removed on request."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from nnframe.core.checkpointing import atomic_torch_save
from nnframe.core.checkpointing.atomic_checkpoint_io import remove_orphan_temp_files
from nnframe.core.errors import TrainingError


def test_no_space_names_the_checkpoint_and_keeps_the_old_one(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "last.ckpt"
    atomic_torch_save({"version": 1}, path)

    def full(obj, handle) -> None:
        handle.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(TrainingError, match=rf"no space left .* writing the checkpoint {path}.*paths\.log_dir="):
        atomic_torch_save({"version": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_other_write_errors_are_not_called_a_full_disk(tmp_path: Path, monkeypatch) -> None:
    def broken(obj, handle) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_torch_save({"version": 2}, tmp_path / "last.ckpt")


def test_orphan_temporary_checkpoints_are_removed(tmp_path: Path) -> None:
    orphan = tmp_path / ".last.ckpt.abc123.tmp"
    orphan.write_bytes(b"half a checkpoint")
    kept = [tmp_path / "last.ckpt", tmp_path / ".run.json.tmp", tmp_path / "notes.tmp"]
    for path in kept:
        path.write_bytes(b"x")
    assert remove_orphan_temp_files(tmp_path) == [orphan]
    assert sorted(tmp_path.iterdir()) == sorted(kept)
