"""Composing a task's config the way the command line does, for tests."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from nnframe.core.composition import compose_config, finish_run_config


def compose_task_config(
    config_package: str,
    overrides: list[str] | None = None,
    output_dir: str | Path | None = None,
    config_name: str = "config",
    action: str = "train",
    config_dir: str | Path | None = None,
) -> DictConfig:
    """Compose ``config_package``'s primary config with ``overrides`` as ``nnframe`` would.

    The same code as :func:`nnframe.core.compose`, by config package rather than task name.

    Args:
        config_package: e.g. ``"nnframe.cls.configs"``.
        overrides: Hydra overrides, e.g. ``["trainer.max_epochs=1"]``.
        output_dir: run directory to write to (``paths.output_dir``, ``paths.log_dir`` its parent);
            None: none (for tests that only look at the config; :func:`nnframe.core.compose`
            chooses one as the command line does).
        config_name: the primary config.
        action: the value of ``action``.
        config_dir: an extra config folder, as ``--config-dir``.

    Returns:
        The config, with the Hydra config set so that ``${hydra:...}`` interpolations resolve.
    """
    cfg = compose_config(config_package, overrides or [], config_name, action, config_dir)
    return finish_run_config(cfg, output_dir, new_run_dir=False)
