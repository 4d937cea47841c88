"""A run stopped mid-epoch (Ctrl-C or SIGTERM) and resumed with ``resume=true`` trains on exactly
the batches the uninterrupted run trains on from the stop on (same images, order and random
augmentations: the hash of every training batch is compared) and ends with the same weights and
validation metrics: with the on-device data path, with the DataLoader path, and under DDP.

Every run is the real ``nnframe cls train`` command with the default callbacks; a
:class:`~nnframe.core.testing.BatchHashRecorder` writes each run's batch hashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nnframe.core.testing import read_batch_hashes

pytestmark = pytest.mark.slow

# 256 images in batches of 16: 16 steps per epoch, 32 in all. Random crop and flip stay on.
TINY = ["data.num_train=256", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=2", "trainer.deterministic=true", "trainer.accelerator=cpu", "seed=7", "test=false"]
STEPS_PER_EPOCH = 16


def _nnframe_train(run_dir: Path, hashes: Path, name: str, *overrides: str) -> subprocess.CompletedProcess[str]:
    """``nnframe cls train`` in a new process, recording its batches as ``<hashes>/<name>_rank<r>.txt``."""
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, *overrides,
               "+callbacks.hashes._target_=nnframe.core.testing.BatchHashRecorder",
               f"+callbacks.hashes.dirpath={hashes}", f"+callbacks.hashes.name={name}", f"hydra.run.dir={run_dir}"]
    # One thread in every run: float reductions differ between thread counts.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def _stop_options(signal: str, at_step: int, rank: int | None = None) -> list[str]:
    options = ["+callbacks.stop._target_=nnframe.core.testing.SignalCallback", f"+callbacks.stop.signal={signal}",
               f"+callbacks.stop.at_step={at_step}"]
    return options + ([f"+callbacks.stop.rank={rank}"] if rank is not None else [])


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]


def _val_metrics(run_dir: Path) -> dict[str, float]:
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed", record
    return {k: v for k, v in record["metrics"].items() if k.startswith("val/")}


def _stop_and_resume(tmp_path: Path, overrides: list[str], signal: str, at_step: int, exit_code: int,
                     ranks: int = 1, stop_rank: int | None = None) -> str:
    """Run uninterrupted, then stopped by ``signal`` after ``at_step`` and resumed; assert the two
    are the same batch for batch from the stop on, in weights and in validation metrics. Returns
    the resumed run's output."""
    hashes = tmp_path / "hashes"
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    done = _nnframe_train(reference, hashes, "reference", *overrides)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]

    stopped = _nnframe_train(interrupted, hashes, "stopped", *overrides, *_stop_options(signal, at_step, stop_rank))
    assert stopped.returncode == exit_code, (stopped.stdout + stopped.stderr)[-3000:]
    assert torch.load(interrupted / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == at_step

    resumed = _nnframe_train(interrupted, hashes, "resumed", *overrides, "resume=true")
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output[-3000:]

    for rank in range(ranks):
        expected = read_batch_hashes(hashes / f"reference_rank{rank}.txt")
        before = read_batch_hashes(hashes / f"stopped_rank{rank}.txt")
        after = read_batch_hashes(hashes / f"resumed_rank{rank}.txt")
        assert len(expected) == 2 * STEPS_PER_EPOCH // ranks  # each process takes its share of the batches
        assert before == expected[:at_step]
        # The resumed run starts at the batch after the stop and sees what the uninterrupted run saw.
        assert after[0][:2] == expected[at_step][:2], (after[0], expected[at_step])
        assert after == expected[at_step:], [(e[:2], a[:2]) for e, a in zip(expected[at_step:], after, strict=False)
                                             if e != a][:5]
    want, got = _weights(reference), _weights(interrupted)
    assert want.keys() == got.keys()
    for name in want:
        assert torch.equal(want[name], got[name]), name
    assert _val_metrics(interrupted) == _val_metrics(reference)
    return output


def test_ctrl_c_mid_epoch_then_resume_is_exact_on_device(tmp_path: Path) -> None:
    at_step = STEPS_PER_EPOCH + 5  # epoch 1, after its batch 4
    output = _stop_and_resume(tmp_path, ["data.on_device=true"], "SIGINT", at_step, 130)
    assert f"resumed at epoch 1, batch 5 of {STEPS_PER_EPOCH}" in output, output[-3000:]


def test_sigterm_mid_epoch_then_resume_is_exact_with_the_dataloader(tmp_path: Path) -> None:
    at_step = 7  # epoch 0, after its batch 6
    output = _stop_and_resume(tmp_path, ["data.on_device=false"], "SIGTERM", at_step, 143)
    assert f"resumed at epoch 0, batch 7 of {STEPS_PER_EPOCH}" in output, output[-3000:]


def test_ddp_sigterm_mid_epoch_then_resume_is_exact_with_the_dataloader(tmp_path: Path) -> None:
    # Two processes, 8 steps per epoch; SIGTERM reaches rank 1 alone (as a scheduler may send it).
    overrides = ["trainer=ddp_cpu", "trainer.devices=2", "data.on_device=false"]
    output = _stop_and_resume(tmp_path, overrides, "SIGTERM", 11, 143, ranks=2, stop_rank=1)
    assert "resumed at epoch 1, batch 3 of 8" in output, output[-3000:]
