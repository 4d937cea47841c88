"""``${nnframe.linear_scaled_lr:base,reference}`` scales with the batch of all processes of all nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core.testing import compose_task_config

CONFIGS = "nnframe.cls.configs"
SCALED = "model.optimizer.lr=${nnframe.linear_scaled_lr:0.1,256}"


@pytest.mark.parametrize(("overrides", "lr"), [
    (["data.batch_size=32"], 0.1 * 32 / 256),  # one process
    (["trainer=ddp", "trainer.devices=4", "data.batch_size=32"], 0.1 * 128 / 256),
    # two nodes of 4 GPUs: 256 images per step, not the 128 of one node (solo-learn#188)
    (["trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2", "data.batch_size=32"], 0.1),
    (["trainer=ddp", "trainer.devices=[0,1]", "trainer.num_nodes=2", "data.batch_size=32",
      "trainer.accumulate_grad_batches=2"], 0.1 * 256 / 256),
])
def test_lr_follows_the_global_batch_of_every_node(overrides: list[str], lr: float, tmp_path: Path) -> None:
    cfg = compose_task_config(CONFIGS, [*overrides, SCALED], output_dir=tmp_path)
    assert cfg.model.optimizer.lr == pytest.approx(lr)


def test_torchrun_nodes_count_their_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")  # torchrun --nproc-per-node=8, on each of 2 nodes
    cfg = compose_task_config(CONFIGS, ["trainer=ddp_torchrun", "trainer.num_nodes=2", "data.batch_size=16", SCALED],
                              output_dir=tmp_path)
    assert cfg.model.optimizer.lr == pytest.approx(0.1 * 16 * 8 * 2 / 256)
