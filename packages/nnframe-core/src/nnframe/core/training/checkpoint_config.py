"""Rebuilding a run's model and data config from what its checkpoint saved."""

from __future__ import annotations

from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.checkpointing.config_targets import check_config_targets
from nnframe.core.errors import CheckpointError

REBUILT_GROUPS = ("model", "data")


def _command_line_overrides(cfg: DictConfig) -> list[str]:
    from nnframe.core.composition import hydra_config_of

    hydra_cfg = hydra_config_of(cfg)
    return list(hydra_cfg.overrides.task) if hydra_cfg is not None else []


def apply_checkpoint_config(cfg: DictConfig, metadata: dict[str, Any]) -> DictConfig:
    """Use the checkpoint's ``model`` and ``data`` configs unless the command line chose
    another option of that group (or an experiment); ``<group>.<key>=value`` overrides given on the
    command line are applied on top, so ``data.batch_size=8`` still works.

    The groups taken from the checkpoint may build only allowed ``_target_``s
    (:func:`~nnframe.core.checkpointing.config_targets.check_config_targets`), checked before
    anything is built.

    Raises:
        CheckpointError: the checkpoint's config names a target that is not allowed.
    """
    saved = metadata.get("config")
    if not saved:
        return cfg
    overrides = _command_line_overrides(cfg)
    chosen = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o and "." not in o.split("=", 1)[0]}
    if "experiment" in chosen:
        return cfg
    source = cfg.get("ckpt_path") or "the checkpoint"
    if not isinstance(saved, dict):
        raise CheckpointError(f"{source} is not an nnframe checkpoint (its stored config is not a mapping)")
    check_config_targets({group: saved[group] for group in REBUILT_GROUPS if group in saved and group not in chosen},
                         source)
    saved_cfg = OmegaConf.create(saved)
    with open_dict(cfg):
        for group in REBUILT_GROUPS:
            if group in saved_cfg and group not in chosen:
                cfg[group] = saved_cfg[group]
                for override in overrides:
                    key, _, value = override.partition("=")
                    if key.startswith(f"{group}."):
                        OmegaConf.update(cfg, key, yaml.safe_load(value) if value else None, merge=True)
    return cfg
