"""Building the run's objects from the composed config."""

from __future__ import annotations

from typing import Any

import hydra
import lightning as L
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.checkpointing import AtomicCheckpointIO
from nnframe.core.data.vision_datamodule import VisionDataModule
from nnframe.core.errors import ConfigError
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing


def _instantiate(node: Any, what: str, **kwargs: Any) -> Any:
    try:
        return hydra.utils.instantiate(node, **kwargs)
    except hydra.errors.InstantiationException as error:
        cause = error.__cause__
        if cause is not None and type(cause).__module__.startswith("nnframe"):
            raise cause from None  # already a clear nnframe error
        raise ConfigError(f"cannot build {what} from the config: {error}") from error


def instantiate_group(group: DictConfig | None, what: str) -> list[Any]:
    """Instantiate every entry of a group such as ``callbacks`` or ``logger`` (None entries skipped)."""
    if not group:
        return []
    return [_instantiate(node, f"{what}.{name}") for name, node in group.items()
            if isinstance(node, DictConfig) and "_target_" in node]


def build_datamodule(cfg: DictConfig, stage: str | None = "fit") -> VisionDataModule:
    """Instantiate ``cfg.data``, prepare (download) and set it up for ``stage``; fill in
    ``data.num_classes`` from the data when it is null, and the ``auto`` preprocessing values
    from the model (:func:`~nnframe.core.training.auto_preprocessing.resolve_auto_preprocessing`)."""
    resolve_auto_preprocessing(cfg)
    datamodule = _instantiate(cfg.data, "data")
    datamodule.prepare_data()
    if stage is not None:
        datamodule.setup(stage)
    if "num_classes" in cfg.data and cfg.data.num_classes is None and hasattr(datamodule, "num_classes"):
        with open_dict(cfg):
            cfg.data.num_classes = datamodule.num_classes
    return datamodule


def build_model(cfg: DictConfig, class_names: list[str], weights_from_checkpoint: bool = False) -> L.LightningModule:
    """Instantiate ``cfg.model`` and attach the metadata saved in its checkpoints.

    Args:
        cfg: the run config.
        class_names: the data's classes.
        weights_from_checkpoint: the weights come from a checkpoint next (eval, predict, export):
            the model class's ``pretrained_weight_args`` (e.g. ``pretrained=False``) are passed
            so that no pretrained weights are downloaded or read for nothing.
    """
    overrides: dict[str, Any] = {}
    if weights_from_checkpoint and cfg.model.get("_target_"):
        try:
            model_class = hydra.utils.get_class(cfg.model._target_)
        except Exception:  # instantiating reports a bad _target_
            model_class = None
        overrides = {key: value for key, value in getattr(model_class, "pretrained_weight_args", {}).items()
                     if key in cfg.model}
    model = _instantiate(cfg.model, "model", **overrides)
    model.class_names = list(class_names)
    model.nnframe_metadata = {
        "task": cfg.task_name,
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    return model


def build_trainer(cfg: DictConfig, callbacks: list[Any], loggers: list[Any] | bool) -> L.Trainer:
    """Instantiate ``cfg.trainer`` with checkpoints written atomically."""
    plugins = list(cfg.trainer.get("plugins") or [])
    return _instantiate(cfg.trainer, "trainer", callbacks=callbacks, logger=loggers,
                        plugins=[*plugins, AtomicCheckpointIO()])
