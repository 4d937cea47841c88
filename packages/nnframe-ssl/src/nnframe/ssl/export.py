"""``nnframe ssl export``: the pretrained backbone as a file ``nnframe cls train`` starts from."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig, OmegaConf

from nnframe.core.backbones import save_backbone_weights
from nnframe.core.output_dir import in_run_dir
from nnframe.core.training.run_summary import apply_extras, print_start_config
from nnframe.ssl._checkpoint import load_ssl_module


def export_backbone(cfg: DictConfig) -> Path:
    """Write the backbone of ``cfg.ckpt_path`` to ``cfg.export.output`` (core's backbone format).

    Returns:
        The written file; use it as ``nnframe cls train model.backbone=<name>
        model.pretrained_file=<file>``.
    """
    model, cfg = load_ssl_module(cfg, "export")
    apply_extras(cfg)
    print_start_config(cfg)  # the checkpoint is read: a started run
    output = in_run_dir(cfg.export.output, cfg.paths.output_dir)
    normalization = cfg.data.get("normalization")
    metadata = {"source": "nnframe ssl", "checkpoint": str(cfg.ckpt_path),
                "method": type(model.method).__name__, "in_chans": int(cfg.model.get("in_chans", 3)),
                # what the backbone was trained on: data.normalization=auto of a fine-tune follows it
                "normalization": OmegaConf.to_container(normalization) if OmegaConf.is_config(normalization)
                else normalization,
                "image_size": cfg.data.get("image_size")}
    save_backbone_weights(output, model.backbone, model.backbone_name, metadata=metadata)
    rank_zero_info(f"backbone {model.backbone_name!r} written to {output}\n"
                   f"fine-tune it: nnframe cls train model.backbone={model.backbone_name} "
                   f"model.pretrained_file={output}")
    return output


def export_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe ssl export`` runs."""
    export_backbone(cfg)
