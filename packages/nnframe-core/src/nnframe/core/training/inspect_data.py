"""``inspect(cfg)``: what a run would train on, without training: the data summary, every
problem the pre-flight check finds, and a PNG grid of augmented training samples as the model
receives them."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import matplotlib.pyplot as plt
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig

from nnframe.core.errors import DatasetError
from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.training.config_checks import ensure_writable_dir, validate_config
from nnframe.core.training.instantiate import build_datamodule, build_model
from nnframe.core.training.run_summary import apply_extras, print_data_summary, report_data_counts


def inspect_data(cfg: DictConfig) -> Path | None:
    """Build and check the run's data as ``train`` would, print the summary and every problem,
    and save the first training batch, augmented, as ``<run dir>/train_samples.png``, drawn by
    the task module's ``sample_figure`` (the model is built without pretrained weights: only
    its drawing is used).

    Unusable files are left out of the grid (and listed) even without ``data.skip_corrupt``, so
    that one look shows everything a run would stop on.

    Returns:
        The PNG, or None for a task that draws no samples (said as not applicable).

    Raises:
        DatasetError: after the summary and the grid, when a train run would stop on a problem.
    """
    validate_config(cfg)
    ensure_writable_dir(cfg.paths.output_dir)
    apply_extras(cfg)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = build_datamodule(cfg, stage="fit", stop_on_issues=False)
    report = datamodule.data_report
    print_data_summary(datamodule.summary())
    report_data_counts(report, cfg.paths.output_dir)
    batch = next(iter(datamodule.train_dataloader()))
    model = build_model(cfg, datamodule.class_names, weights_from_checkpoint=True)
    figure = model.sample_figure(batch)
    path: Path | None = None
    if figure is None:
        not_applicable("inspect's train_samples.png", f"{type(model).__name__}.sample_figure draws nothing")
    else:
        path = Path(cfg.paths.output_dir) / "train_samples.png"
        figure.savefig(path, dpi=120)
        plt.close(figure)
        rank_zero_info(f"training samples as the model receives them (augmented): {path}")
    if report.issues:
        raise DatasetError(report.error_message() + "\n(a train run with this config stops on these problems)")
    rank_zero_info("no problem found: `nnframe "
                   f"{cfg.task_name} train` with the same overrides trains on this data")
    return path


def inspect_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> inspect`` runs."""
    inspect_data(cfg)
