"""`trainer=ddp_cpu trainer.devices=2` from the same command, with the default callbacks, loggers and
progress bar (which deadlocked at the first epoch end before: the bar read the synced epoch metrics
on rank 0 alone): Lightning re-launches the command for rank 1 into the same run directory; rank 0
alone writes checkpoints and logs; metrics are reduced over both ranks; the run learns as well as
one process with the same global batch.

Slow (about 2 minutes on a 2-core machine: three processes each import torch and Lightning,
and one 2-process and one 1-process run of 4 short epochs)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import compose_task_config
from nnframe.core.training import evaluate, train

pytestmark = pytest.mark.slow

CONFIGS = "nnframe.cls.configs"
GLOBAL_BATCH = 32
# Short, yet long enough that both runs are near their plateau (~0.9 val/acc; chance is 0.2):
# earlier, the two trajectories (different data order and augmentation draws) still differ by
# a few points. No augmentation, to learn faster.
TINY = [
    "data.num_train=4000",
    "data.num_val=1000",
    "data.num_test=32",
    "data.image_size=16",
    "data.train_transform.crop=resize",
    "data.train_transform.hflip=false",
    "model.optimizer.lr=0.006",
    "trainer.max_epochs=4",
    "seed=7",
]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2-process run (each with half the global batch), logging to TensorBoard and CSV."""
    outputs = tmp_path_factory.mktemp("outputs")
    run_dir = outputs / "ddp"
    command = [sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, "trainer=ddp_cpu",
               "trainer.devices=2", f"data.batch_size={GLOBAL_BATCH // 2}", "logger=many",
               "+callbacks.rank_loss._target_=nnframe.core.testing.RankLossRecorder",
               f"+callbacks.rank_loss.dirpath={run_dir}", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "test/acc" in done.stdout  # the test stage ran too, on both processes
    return run_dir


def _metrics(run_dir: Path) -> dict[str, float]:
    return json.loads((run_dir / "run.json").read_text())["metrics"]


def test_two_processes_write_one_run(ddp_run: Path) -> None:
    # One run directory; rank 1 only adds its log file (and here the recorder's file) to it.
    assert [p.name for p in ddp_run.parent.iterdir()] == ["ddp"]
    assert (ddp_run / "train_ddp_process_1.log").is_file()
    checkpoints = sorted(p.name for p in (ddp_run / "checkpoints").iterdir())
    assert len(checkpoints) == 2 and checkpoints[1] == "last.ckpt"  # best + last, each written once
    assert not list(ddp_run.rglob("version_*"))
    # TensorBoard event files are named events.out.tfevents.<time>.<host>.<pid>.<n>: one writer.
    writers = {p.name.rsplit(".", 2)[1] for p in (ddp_run / "tensorboard").glob("events.out.tfevents.*")}
    assert len(writers) == 1


def test_validation_metrics_are_reduced_over_both_ranks(ddp_run: Path, tmp_path: Path) -> None:
    # One process evaluating the same weights on the whole validation split gets the same values.
    last = ddp_run / "checkpoints" / "last.ckpt"
    check = evaluate(compose_task_config(CONFIGS, [*TINY, "logger=many", f"ckpt_path={last}"],
                                         output_dir=tmp_path / "eval", action="eval"))
    ddp = _metrics(ddp_run)
    assert check["val/acc"] == pytest.approx(ddp["val/acc"], abs=1e-6)
    assert check["val/loss"] == pytest.approx(ddp["val/loss"], rel=1e-4)


def test_epoch_train_loss_is_the_mean_over_both_ranks(ddp_run: Path) -> None:
    ranks = [json.loads((ddp_run / f"train_loss_rank{r}.json").read_text()) for r in (0, 1)]
    with (ddp_run / "csv" / "metrics.csv").open() as file:
        logged = [float(row["train/loss_epoch"]) for row in csv.DictReader(file) if row["train/loss_epoch"]]
    assert len(logged) == len(ranks[0]) == len(ranks[1]) == 4  # one value per epoch, written once
    for epoch, value in enumerate(logged):
        (sum0, n0), (sum1, n1) = ranks[0][epoch], ranks[1][epoch]
        assert value == pytest.approx((sum0 + sum1) / (n0 + n1), rel=1e-5), epoch
    # The ranks' own means differ by far more than that tolerance, so rank 0's alone would fail.
    assert any(abs(s0 / n0 - s1 / n1) > 1e-3 for (s0, n0), (s1, n1) in zip(*ranks, strict=True))


def test_accuracy_matches_one_process_with_the_same_global_batch(ddp_run: Path, tmp_path: Path) -> None:
    single = train(compose_task_config(CONFIGS, [*TINY, "logger=many", f"data.batch_size={GLOBAL_BATCH}"],
                                       output_dir=tmp_path / "single"))
    ddp = _metrics(ddp_run)
    assert ddp["val/acc"] > 0.8 and single["val/acc"] > 0.8
    assert abs(ddp["val/acc"] - single["val/acc"]) <= 0.05
