"""Building the run's objects from the composed config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import lightning as L
from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.checkpointing import AtomicCheckpointIO
from nnframe.core.data.base.vision_datamodule import VisionDataModule
from nnframe.core.errors import ConfigError, DatasetError
from nnframe.core.external_launch import set_threads_per_process
from nnframe.core.loggers import continue_logs_from
from nnframe.core.training.auto_preprocessing import print_preprocessing, resolve_auto_preprocessing
from nnframe.core.training.data_values import AUTO, resolve_data_values
from nnframe.core.training.stop_signals import install_stop_signals

_TRANSFORM_KEYS = ("train_transform", "eval_transform")
#: Splits each stage builds and checks before its first step (None: eval's); "fit" and None add
#: test when the run tests (``test=true``).
_STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), None: ("val",)}


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


def build_loggers(cfg: DictConfig, resumed_step: int | None = None) -> list[Any]:
    """Instantiate ``cfg.logger``; for a run resumed from a checkpoint taken after ``resumed_step``
    steps, the loggers forget what the interrupted run logged from that step on: TensorBoard
    loggers get ``purge_step`` (unless the config sets one) and the CSV logger drops those rows
    (:func:`~nnframe.core.loggers.continue_logs_from`)."""
    group = cfg.get("logger")
    loggers = []
    for name, node in (group or {}).items():
        if not isinstance(node, DictConfig) or "_target_" not in node:
            continue
        extra: dict[str, Any] = {}
        if resumed_step is not None and "purge_step" not in node and _is_tensorboard(node.get("_target_")):
            extra["purge_step"] = resumed_step
        loggers.append(_instantiate(node, f"logger.{name}", **extra))
    if resumed_step is not None:
        continue_logs_from(loggers, resumed_step)
    return loggers


def _is_tensorboard(target: Any) -> bool:
    try:
        cls = hydra.utils.get_class(str(target))
    except Exception:  # a wrong _target_: instantiating it says so
        return False
    return isinstance(cls, type) and issubclass(cls, TensorBoardLogger)


def _without_transforms(cfg: DictConfig) -> VisionDataModule:
    overrides = {key: None for key in _TRANSFORM_KEYS if key in cfg.data}
    return _instantiate(cfg.data, "data", **overrides)


def attach_transforms(cfg: DictConfig, datamodule: VisionDataModule) -> None:
    """Instantiate ``cfg.data``'s transforms (now that its values are concrete) and give them to
    the datamodule."""
    transforms = {key: _instantiate(cfg.data[key], f"data.{key}") if cfg.data.get(key) is not None else None
                  for key in _TRANSFORM_KEYS if key in cfg.data}
    if transforms:
        datamodule.set_transforms(transforms.get("train_transform"), transforms.get("eval_transform"))


def build_datamodule(cfg: DictConfig, stage: str | None = "fit", stop_on_issues: bool = True) -> VisionDataModule:
    """Build ``cfg.data`` in two phases, so that values can come from the data:

    1. resolve the preprocessing that follows the model (``data.normalization=auto``:
       :func:`~nnframe.core.training.auto_preprocessing.resolve_auto_preprocessing`, printed
       once the data check has passed, with the config tree), then
       instantiate the datamodule without its transforms, prepare (download) it, build the
       splits ``stage`` needs (and test, when the run tests) and run the pre-flight data check
       on them (problems stop here, before any step);
    2. resolve ``auto`` values and other data-dependent values into ``cfg.data``
       (:mod:`~nnframe.core.training.data_values`) and fill ``data.num_classes`` when null;
    3. instantiate the transforms from the now concrete config and attach them.

    With ``stop_on_issues=False`` (``inspect``) the check's problems are only recorded in
    ``datamodule.data_report`` (unusable files left out) instead of raised.
    """
    # data.normalization=auto (and the transforms' auto interpolation / crop) follow the model's
    # pretrained weights; resolved from the config alone, before anything is built with them.
    preprocessing = resolve_auto_preprocessing(cfg, announce=False)
    datamodule = _without_transforms(cfg)
    if hasattr(datamodule, "data_report"):
        datamodule.data_report.stop_on_issues = stop_on_issues
    datamodule.prepare_data()
    splits = list(_STAGE_SPLITS[stage])
    if stage in ("fit", None) and cfg.get("test"):
        splits.append("test")
    if hasattr(datamodule, "setup_splits"):
        datamodule.setup_splits(splits)
    elif stage is not None:
        datamodule.setup(stage)
    try:
        resolved = resolve_data_values(cfg, datamodule)
    except ConfigError as error:
        report = getattr(datamodule, "data_report", None)
        if stop_on_issues or report is None or not report.issues:
            raise
        # inspect: an auto value that cannot be measured because the check left no usable file
        # (masks that do not pair...) is a consequence; the check's problems are the report.
        raise DatasetError(f"{report.error_message()}\n(no samples drawn: the data's auto values "
                           "(data.image_size...) are measured on the usable training files, and none is left; "
                           "fix the problems above)") from error
    if "num_classes" in cfg.data and cfg.data.num_classes is None and hasattr(datamodule, "num_classes"):
        with open_dict(cfg):
            cfg.data.num_classes = datamodule.num_classes
    attach_transforms(cfg, datamodule)
    from nnframe.core.training.run_summary import print_start_config, save_config

    if (resolved or preprocessing is not None) and cfg.get("paths") and cfg.paths.get("output_dir") and Path(cfg.paths.output_dir).is_dir():
        save_config(cfg, cfg.paths.output_dir)  # the saved config holds the resolved values
    # The start went well (the data is there and checked): now the tree and the preprocessing
    # chosen, whose "the dataset's own statistics" is only said once there is a dataset.
    print_start_config(cfg)
    if preprocessing is not None:
        print_preprocessing(preprocessing)
    return datamodule


def build_predict_datamodule(cfg: DictConfig) -> VisionDataModule:
    """The datamodule of ``predict``: no splits, only the transforms (the checkpoint's config
    holds concrete values; an ``auto`` left means the checkpoint has no config)."""
    left = [key for key, value in cfg.data.items() if not OmegaConf.is_missing(cfg.data, key) and value == AUTO]
    if left:
        raise ConfigError(f"{', '.join(f'data.{k}=auto' for k in left)}: the checkpoint does not say what the "
                          "model was trained with; set the values on the command line")
    datamodule = _without_transforms(cfg)
    attach_transforms(cfg, datamodule)
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
    """Instantiate ``cfg.trainer`` with checkpoints written atomically, and SIGTERM / Ctrl-C
    stopping every process at the same step (:mod:`nnframe.core.training.stop_signals`).

    Without a progress bar among ``callbacks`` (``callbacks.progress_bar=null``) there is none,
    unless ``+trainer.enable_progress_bar=true`` asks for Lightning's default one.
    """
    set_threads_per_process()  # torchrun / srun processes: what Lightning sets for the processes it starts
    plugins = list(cfg.trainer.get("plugins") or [])
    extra: dict[str, Any] = {}
    if cfg.trainer.get("enable_progress_bar") is None and not any(isinstance(c, ProgressBar) for c in callbacks):
        extra["enable_progress_bar"] = False
    trainer = _instantiate(cfg.trainer, "trainer", callbacks=callbacks, logger=loggers,
                           plugins=[*plugins, AtomicCheckpointIO()], **extra)
    install_stop_signals(trainer)
    return trainer
