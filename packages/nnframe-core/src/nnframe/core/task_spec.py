"""Describes a task package to the ``nnframe`` command (found through entry points)."""

from __future__ import annotations

from dataclasses import dataclass, field

ENTRY_POINT_GROUP = "nnframe.tasks"


@dataclass(frozen=True)
class ActionSpec:
    """One action of a task, e.g. ``train``.

    Args:
        function: ``"module:function"`` taking the composed ``DictConfig``; imported lazily.
        help: one line shown by ``nnframe <task> --help``.
        config_name: primary config (in the task's config package) composed for this action.
    """

    function: str
    help: str
    config_name: str = "config"


def _default_actions() -> dict[str, ActionSpec]:
    return {
        "train": ActionSpec("nnframe.core.training:train_from_cli", "train a model (Hydra overrides allowed)"),
        "eval": ActionSpec("nnframe.core.training:evaluate_from_cli", "evaluate a checkpoint: ckpt_path=..."),
        "predict": ActionSpec(
            "nnframe.core.training:predict_from_cli",
            "predict a folder of images: ckpt_path=... predict.input_dir=... [predict.output_dir=...]",
        ),
        "inspect": ActionSpec("nnframe.core.training.inspect_data:inspect_from_cli",
                              "check the data and save a grid of augmented training samples, without training"),
        "tune": ActionSpec("nnframe.core.tuning:tune_from_cli", "find a learning rate and batch size for this config"),
        "export": ActionSpec("nnframe.core.exporting:export_from_cli",
                             "export a checkpoint: ckpt_path=... export.format=onnx|pt2|torchscript (those the task's "
                             "model lists in export_formats)"),
        "bench": ActionSpec("nnframe.core.benchmark:bench_from_cli",
                            "measure training/inference throughput per backbone (see the bench config group)"),
        "shard": ActionSpec("nnframe.core.training.shard_data:shard_from_cli",
                            "write the data's checked splits as tar shards for data=webdataset: shard.output_dir=..."),
    }


@dataclass(frozen=True)
class TaskSpec:
    """A task package as the command line sees it.

    Args:
        name: the word after ``nnframe`` (``cls``, ``seg``, ``ssl``).
        summary: one line for ``nnframe list``.
        config_package: Python package holding the task's Hydra configs.
        actions: action name -> what runs; train/eval/predict come from core by default.
        smoke_overrides: Hydra overrides that make every action of the task tiny (data sizes,
            image size, batch size, model widths) for the root end-to-end tests, which read them
            instead of naming the task; they shrink only, nothing is switched off (no callback,
            logger or check). Epochs are the test's own (``trainer.max_epochs=1``).
        monitor: the validation metric the task's default config monitors (``cfg.monitor``),
            e.g. ``val/acc``: the tests look for it in a run's metrics, logs and TensorBoard.
        refused_actions: actions other tasks have and this one lacks -> why, and what to do
            instead (the command's error instead of "unknown action").
    """

    name: str
    summary: str
    config_package: str
    actions: dict[str, ActionSpec] = field(default_factory=_default_actions)
    smoke_overrides: tuple[str, ...] = ()
    monitor: str = "val/acc"
    refused_actions: dict[str, str] = field(default_factory=dict)
