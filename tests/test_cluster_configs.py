"""Trainer and launcher configs for GPUs and clusters, checked on CPU: they compose, their
strategies build, and the SLURM launcher writes the sbatch script a multi-node DDP run needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import pytest
import submitit
import submitit.slurm.slurm
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.types import HydraContext
from lightning.pytorch.strategies import FSDPStrategy
from omegaconf import DictConfig

from nnframe.core.resolvers import register_resolvers
from nnframe.core.testing import compose_task_config

CONFIGS = "nnframe.cls.configs"


def _compose_with_hydra(overrides: list[str]) -> DictConfig:
    """The config including its ``hydra`` node (where the launcher settings live)."""
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=CONFIGS, version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


@pytest.mark.parametrize(
    ("trainer", "strategy", "devices", "num_nodes"),
    [("gpu", None, 1, None), ("ddp", "DDPStrategy", 4, 1), ("ddp_cpu", "DDPStrategy", 2, 1)],
)
def test_trainer_configs_compose(trainer: str, strategy: str | None, devices: int, num_nodes: int | None,
                                 tmp_path: Path) -> None:
    cfg = compose_task_config(CONFIGS, [f"trainer={trainer}"], output_dir=tmp_path)
    built = cfg.trainer.get("strategy")
    assert (built if built is None else built._target_.rsplit(".", 1)[1]) == strategy
    assert cfg.trainer.devices == devices and cfg.trainer.get("num_nodes") == num_nodes
    if built is not None:  # a collective that hangs ends the run: a finite timeout
        assert hydra.utils.instantiate(built)._timeout.total_seconds() == 600


def test_fsdp_config_builds_its_strategy(tmp_path: Path) -> None:
    cfg = compose_task_config(CONFIGS, ["trainer=fsdp"], output_dir=tmp_path)
    strategy = hydra.utils.instantiate(cfg.trainer.strategy)
    assert isinstance(strategy, FSDPStrategy)
    assert strategy.sharding_strategy.name == "FULL_SHARD" and strategy._state_dict_type == "full"


def test_torchrun_config_takes_devices_and_nodes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")  # what torchrun --nproc-per-node=8 sets
    monkeypatch.setenv("NNFRAME_NUM_NODES", "3")
    cfg = compose_task_config(CONFIGS, ["trainer=ddp_torchrun"], output_dir=tmp_path)
    assert cfg.trainer.strategy._target_.endswith("DDPStrategy")
    assert (cfg.trainer.devices, cfg.trainer.num_nodes) == (8, 3)


def test_torchrun_config_takes_the_number_of_nodes_from_torchrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NNFRAME_NUM_NODES", raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    monkeypatch.setenv("GROUP_WORLD_SIZE", "3")  # what torchrun --nnodes=3 sets
    cfg = compose_task_config(CONFIGS, ["trainer=ddp_torchrun"], output_dir=tmp_path)
    assert (cfg.trainer.devices, cfg.trainer.num_nodes) == (4, 3)


def test_slurm_launcher_writes_a_multi_node_ddp_sbatch_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("NNFRAME_SLURM_PARTITION", "gpu-long")
    cfg = _compose_with_hydra(["hydra/launcher=slurm", "trainer=ddp", "trainer.num_nodes=2",
                               "hydra.launcher.timeout_min=120", "hydra.job.name=cls_train"])
    launcher = hydra.utils.instantiate(cfg.hydra.launcher)
    launcher.setup(hydra_context=HydraContext(config_loader=None, callbacks=None),  # type: ignore[arg-type]
                   task_function=lambda _: None, config=cfg)

    scripts: list[str] = []

    def write_script_instead_of_submitting(executor: Any, *args: Any) -> list[Any]:
        scripts.append(executor._executor._make_submission_file_text("python -m nnframe.core.cli", "job0"))
        return []

    monkeypatch.setattr(submitit.AutoExecutor, "map_array", write_script_instead_of_submitting)
    # submitit refuses to build a SLURM executor where there is no srun (this machine)
    monkeypatch.setattr(submitit.slurm.slurm.SlurmExecutor, "affinity", classmethod(lambda cls: 1))
    launcher.launch([["model.optimizer.lr=0.001"]], initial_job_idx=0)
    (script,) = scripts
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --gpus-per-node=4",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --partition=gpu-long", "#SBATCH --time=120",
                 "#SBATCH --job-name=cls_train", "export PYTHONUNBUFFERED=1",
                 # Lightning's requeue signal, not submitit's USR2 (whose handler requeues without a save)
                 "#SBATCH --signal=USR1@120", "#SBATCH --requeue"):
        assert line in script, f"{line!r} missing from the sbatch script:\n{script}"
    assert script.count("--signal") == 1, script  # submitit's own --signal=USR2@... replaced
    assert str(tmp_path / "cls" / "train" / "shapes") in script  # logs go to the sweep directory
