"""Composing a task's config the way the command line does, for tests."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from nnframe.core.resolvers import register_resolvers

# Overrides for a quiet, fast test run: no printing, progress bar, figures, sanity check or test.
QUIET_RUN: tuple[str, ...] = (
    "test=false",
    "trainer.num_sanity_val_steps=0",
    "+trainer.enable_progress_bar=false",
    "extras.print_config=false",
    "extras.print_data_summary=false",
    "callbacks.progress_bar=null",
    "callbacks.prediction_grid=null",
    "callbacks.confusion_matrix=null",
    "callbacks.training_samples=null",
    "callbacks.epoch_timing=null",
)


def compose_task_config(
    config_package: str,
    overrides: list[str] | None = None,
    output_dir: str | Path | None = None,
    config_name: str = "config",
    action: str = "train",
) -> DictConfig:
    """Compose ``config_package``'s primary config with ``overrides`` as ``nnframe`` would.

    Args:
        config_package: e.g. ``"nnframe.cls.configs"``.
        overrides: Hydra overrides, e.g. ``["trainer.max_epochs=1"]``.
        output_dir: run directory to write to (``paths.output_dir``, logs under it).
        config_name: the primary config.
        action: the value of ``action``.

    Returns:
        The config, with the Hydra config set so that ``${hydra:...}`` interpolations resolve.
    """
    register_resolvers()
    GlobalHydra.instance().clear()
    all_overrides = [f"action={action}", *(overrides or [])]
    with initialize_config_module(config_module=config_package, version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=all_overrides, return_hydra_config=True)
    if output_dir is not None:
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(output_dir)
            cfg.paths.output_dir = str(output_dir)
            cfg.paths.log_dir = str(Path(output_dir).parent)
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg
