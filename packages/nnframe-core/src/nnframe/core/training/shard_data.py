"""``nnframe <task> shard``: the run's data, checked as ``train`` checks it, written as tar shards."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig

from nnframe.core.training.config_checks import validate_config
from nnframe.core.training.instantiate import build_datamodule
from nnframe.core.training.run_summary import apply_extras, print_data_summary


def shard_data(cfg: DictConfig) -> Path:
    """Build the data of ``cfg`` as a run would (the pre-flight check included: unusable files stop
    it, or are left out with ``data.skip_corrupt=true``) and write its train, val and test splits
    to ``cfg.shard.output_dir`` (see :func:`~nnframe.core.data.shards.write_shards`).

    Returns:
        The index ``shards.json``: train on it with ``data=webdataset data.shards=<its folder>``.
    """
    from nnframe.core.data.shards import write_shards

    validate_config(cfg)
    apply_extras(cfg)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = build_datamodule(cfg, stage="fit")  # train and val, and test when cfg.test
    print_data_summary(datamodule.summary())
    index = write_shards(datamodule, cfg.shard.output_dir, int(cfg.shard.samples_per_shard))
    folder = index.parent.absolute()  # the printed command works from any folder
    rank_zero_info(f"shards written: {folder}\ntrain on them with `nnframe {cfg.task_name} train "
                   f"data=webdataset data.shards={folder}`")
    return index


def shard_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> shard`` runs."""
    shard_data(cfg)
