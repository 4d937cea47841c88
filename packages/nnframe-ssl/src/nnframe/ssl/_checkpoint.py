"""Rebuilding a pretrained :class:`SSLModule` from its checkpoint."""

from __future__ import annotations

from omegaconf import DictConfig

from nnframe.core.checkpointing import load_checkpoint, read_checkpoint_metadata
from nnframe.core.errors import CheckpointError, ConfigError
from nnframe.core.training.checkpoint_config import apply_checkpoint_config
from nnframe.core.training.instantiate import build_model
from nnframe.ssl.ssl_module import SSLModule


def load_ssl_module(cfg: DictConfig, action: str) -> tuple[SSLModule, DictConfig]:
    """The module of ``cfg.ckpt_path`` (model and data configs taken from the checkpoint).

    Returns:
        The module in eval mode and the config with the checkpoint's model/data.

    Raises:
        ConfigError: no ``ckpt_path``.
        CheckpointError: missing, unreadable or foreign checkpoint, or weights that do not fit.
    """
    if not cfg.get("ckpt_path"):
        raise ConfigError(f"{action} needs a pretrained checkpoint: add ckpt_path=<run dir>/checkpoints/last.ckpt")
    metadata = read_checkpoint_metadata(cfg.ckpt_path, cfg.task_name)
    cfg = apply_checkpoint_config(cfg, metadata)
    model = build_model(cfg, list(metadata.get("class_names", [])), weights_from_checkpoint=True)
    if not isinstance(model, SSLModule):
        raise ConfigError(f"model._target_ must build an SSLModule, got {type(model).__name__}")
    state = load_checkpoint(cfg.ckpt_path, mmap=False)["state_dict"]
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{cfg.ckpt_path} does not fit the configured model: {str(error)[:500]}") from error
    return model.eval(), cfg
