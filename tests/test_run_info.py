"""A run's HPARAMS columns and TEXT entries, from a config composed as the command line does."""

from __future__ import annotations

from pathlib import Path

import yaml

from nnframe.core.testing import compose_task_config
from nnframe.core.training.run_info import command_line, run_hparams, run_text


def test_hparams_are_the_overrides_then_the_tasks_keys_with_config_values(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", ["model.optimizer.lr=1e-2", "model=timm", "resume=false",
                                                       "paths.data_dir=/data", "data.batch_size=16"], tmp_path)
    params = run_hparams(cfg)
    # the command line first (as config keys, groups by their option), then cfg.hparams
    assert list(params)[:3] == ["model.optimizer.lr", "model", "data.batch_size"]
    assert params["model.optimizer.lr"] == 0.01 and params["model"] == "timm" and params["data.batch_size"] == 16
    assert {"model.backbone", "model.optimizer.weight_decay", "trainer.max_epochs", "seed"} <= set(params)
    assert not any(key.startswith(("resume", "paths", "action", "choice/", "hydra")) for key in params)


def test_ssl_hparams_name_the_method_and_its_optimizer(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", ["method=byol"], tmp_path)
    params = run_hparams(cfg)
    assert params["method"] == "byol"
    assert isinstance(params["method.optimizer.lr"], float)
    assert params["backbone.name"] == "simple_cnn"


def test_text_entries_give_the_command_the_config_and_the_environment(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.seg.configs", ["trainer.max_epochs=2", "model.arch=fpn"], tmp_path)
    assert command_line(cfg) == "nnframe seg train trainer.max_epochs=2 model.arch=fpn"
    (text,) = run_text(cfg).values()  # one entry: TensorBoard shows it as one card per run
    command, environment, config = (text.split(f"#### {name}\n\n", 1)[1] for name in ("Command", "Environment", "Config"))
    assert command.startswith("    nnframe seg train trainer.max_epochs=2 model.arch=fpn\n")
    assert "| torch |" in environment and "| nnframe-seg |" in environment
    assert "git commit" in environment  # this checkout is a git repository
    parsed = yaml.safe_load("\n".join(line[4:] for line in config.splitlines()))
    assert parsed["model"]["arch"] == "fpn" and parsed["trainer"]["max_epochs"] == 2


def test_trial_ids_start_with_the_task_and_the_jobs_swept_values(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    from nnframe.core.training.run_info import trial_id

    cfg = compose_task_config("nnframe.cls.configs", [], tmp_path)
    sweep = tmp_path / "logs" / "cls" / "train" / "shapes" / "multirun_2026-01-01_00-00-00"
    ids = []
    for job in ("0_model.optimizer.lr=0.001,data.batch_size=32", "1_model.optimizer.lr=0.01,data.batch_size=32"):
        OmegaConf.update(cfg, "paths", {"log_dir": str(tmp_path / "logs"), "output_dir": str(sweep / job)},
                         force_add=True)
        ids.append(trial_id(cfg))
    # HPARAMS shows the first ~15 characters of a trial id: they must tell the jobs apart.
    assert [i[:15] for i in ids] == ["cls 0_lr=0.001,", "cls 1_lr=0.01,b"], ids
    assert ids[0].endswith("(train/shapes/multirun_2026-01-01_00-00-00/0_model.optimizer.lr=0.001,data.batch_size=32)")
