"""The same image folder trained from its folder and from its tar shards (``nnframe cls shard``,
``data=webdataset``), through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing.datasets import write_shapes_folder


def _nnframe(*args: str, cwd: Path) -> str:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in output, output[-4000:]
    return output


@pytest.mark.slow
def test_a_folder_and_its_shards_train_on_the_same_samples_and_both_learn(tmp_path: Path) -> None:
    root = write_shapes_folder(tmp_path / "folder", {"train": {"circle": 32, "square": 32},
                                                     "val": {"circle": 8, "square": 8}}, image_size=16)
    shards = tmp_path / "shards"
    output = _nnframe("cls", "shard", "data=image_folder", f"data.root={root}", f"shard.output_dir={shards}",
                      "shard.samples_per_shard=16", cwd=tmp_path)
    assert f"data=webdataset data.shards={shards}" in output
    assert len(list((shards / "train").glob("shard-*.tar"))) == 4
    common = ("seed=7", "trainer.max_epochs=10", "data.batch_size=8", "data.num_workers=0")
    metrics = {}
    for name, data in {"folder": ("data=image_folder", f"data.root={root}"),
                       "shards": ("data=webdataset", f"data.shards={shards}")}.items():
        run_dir = tmp_path / name
        output = _nnframe("cls", "train", *data, *common, f"hydra.run.dir={run_dir}", cwd=tmp_path)
        assert "data: train 64, val 16, test 16" in output  # the same samples (the epoch reads each once)
        # Measured on the folder (16 px, kept in shards.json), raised to cls folder data's 32 px minimum.
        assert "resolved: data.image_size=auto -> 32" in output and "data.min_image_size=32" in output
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "completed", record
        metrics[name] = record["metrics"]
    for name, values in metrics.items():  # both learn (chance: loss ln 2 = 0.69, accuracy 0.5)
        assert values["train/loss_epoch"] < 0.65 and values["test/acc"] > 0.6, (name, values)
    print({name: {k: round(v, 3) for k, v in values.items() if k in ("train/loss_epoch", "test/acc")}
           for name, values in metrics.items()})
