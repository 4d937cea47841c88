"""``predict(cfg)``: run a checkpoint on a folder of images and write the task's predictions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig

from nnframe.core.checkpointing import check_checkpoint_fits, read_checkpoint_metadata
from nnframe.core.errors import ConfigError
from nnframe.core.output_dir import in_run_dir
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing
from nnframe.core.training.checkpoint_config import apply_checkpoint_config
from nnframe.core.training.instantiate import build_model, build_predict_datamodule, build_trainer
from nnframe.core.training.progress_bar import progress_bar_callbacks
from nnframe.core.training.run_summary import apply_extras, print_start_config

if TYPE_CHECKING:
    from nnframe.core.data.base.image_files import ImageFileDataset


def predict(cfg: DictConfig) -> Path:
    """Predict every image under ``cfg.predict.input_dir`` with ``cfg.ckpt_path``.

    Returns:
        The predictions CSV (written by the task's ``predict.writer``).
    """
    if not cfg.get("ckpt_path"):
        raise ConfigError("predict needs a checkpoint: add ckpt_path=<run dir>/checkpoints/<file>.ckpt")
    if not cfg.predict.get("input_dir"):
        raise ConfigError("predict needs a folder of images: add predict.input_dir=/path/to/images")
    metadata = read_checkpoint_metadata(cfg.ckpt_path, cfg.task_name)
    cfg = apply_checkpoint_config(cfg, metadata)
    apply_extras(cfg)
    class_names = list(metadata.get("class_names", []))
    resolve_auto_preprocessing(cfg)  # a data= option given on the command line may say auto
    datamodule = build_predict_datamodule(cfg)
    datamodule.predict_dir = cfg.predict.input_dir
    model = build_model(cfg, class_names, weights_from_checkpoint=True)
    check_checkpoint_fits(cfg.ckpt_path, model, cfg.task_name)
    print_start_config(cfg)
    output_dir = in_run_dir(cfg.predict.output_dir, cfg.paths.output_dir)
    writer = hydra.utils.instantiate(cfg.predict.writer, output_dir=output_dir, class_names=class_names)
    trainer = build_trainer(cfg, callbacks=[writer, *progress_bar_callbacks(cfg)], loggers=False)
    trainer.predict(model, datamodule=datamodule, ckpt_path=cfg.ckpt_path, return_predictions=False, weights_only=True)
    for line in predicted_lines(trainer.predict_dataloaders.dataset, writer.outputs()):
        rank_zero_info(line)
    return writer.csv_path


def predicted_lines(dataset: ImageFileDataset, outputs: dict[str, Path], named: int = 3) -> list[str]:
    """What ``predict`` did: how many images it predicted, which files it ignored (the first
    ``named`` of them by name), and where each of the writer's ``outputs`` is."""
    count = len(dataset.paths)
    lines = [f"predicted {count} image{'s' if count != 1 else ''} from {dataset.root}"]
    if dataset.ignored:
        def name(path: str) -> str:
            return str(Path(path).relative_to(dataset.root)) if Path(path).is_relative_to(dataset.root) else path

        shown = "; ".join(f"{name(path)} - {reason}" for path, reason in dataset.ignored[:named])
        more = f"; and {len(dataset.ignored) - named} more" if len(dataset.ignored) > named else ""
        lines.append(f"ignored {len(dataset.ignored)} file{'s' if len(dataset.ignored) != 1 else ''}: {shown}{more}")
    width = max(len(label) for label in outputs) + 2 if outputs else 0
    lines += [f"{label + ':':<{width}}{path}" for label, path in outputs.items()]
    return lines


def predict_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> predict`` runs."""
    predict(cfg)
