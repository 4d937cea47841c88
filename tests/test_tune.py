"""``nnframe cls tune``: batch-size scaling then the LR range test on a tiny config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from nnframe.core.testing import compose_task_config
from nnframe.core.tuning import tune

TINY = [
    "data.num_train=256", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=4",
    "trainer.accelerator=cpu", "extras.print_config=false", "extras.print_data_summary=false",
    "tune.num_steps=15", "tune.early_stop_threshold=null", "tune.batch_size_max_trials=2",
    "tune.batch_size_steps=1", "+trainer.enable_progress_bar=false", "trainer.num_sanity_val_steps=0",
    "logger.tensorboard.log_graph=false",
]


@pytest.mark.slow
def test_tune_finds_batch_size_and_lr_and_logs_the_curve(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", TINY, output_dir=tmp_path, action="tune")
    result = tune(cfg)

    # power mode: 4 then 8, where the cap of 2 trials stops it (nothing runs out of memory on CPU)
    assert result.overrides["data.batch_size"] == 8
    assert 1e-6 <= result.overrides["model.optimizer.lr"] <= 1.0
    assert len(result.lr_curve["lr"]) == 15 and result.lr_curve["lr"] == sorted(result.lr_curve["lr"])
    assert "data.batch_size=8 model.optimizer.lr=" in result.command_line()
    assert json.loads((tmp_path / "tune.json").read_text())["overrides"] == result.overrides
    assert (tmp_path / "lr_finder.png").is_file()

    events = EventAccumulator(str(tmp_path / "tensorboard")).Reload()
    assert len(events.Scalars("tune/lr_finder/loss")) == 15
    assert "tune/lr_finder" in events.Tags()["images"]
