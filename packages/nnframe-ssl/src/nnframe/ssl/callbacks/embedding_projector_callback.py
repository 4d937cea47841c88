"""The TensorBoard embedding projector of the validation images at the end of training."""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch.nn import functional as F

from nnframe.core.callbacks._tensorboard import tensorboard_writer
from nnframe.core.cv_tools import denormalize, resolve_normalization


class EmbeddingProjectorCallback(L.Callback):
    """Writes backbone features of validation images, with thumbnails and class labels, for
    TensorBoard's PROJECTOR tab (PCA / t-SNE / UMAP of the learnt representation).

    Args:
        max_samples: validation images embedded.
        thumbnail_size: side of the sprite thumbnails in pixels.
    """

    def __init__(self, max_samples: int = 1000, thumbnail_size: int = 32) -> None:
        self.max_samples = max_samples
        self.thumbnail_size = thumbnail_size

    @rank_zero_only
    @torch.no_grad()
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = tensorboard_writer(trainer)
        datamodule = trainer.datamodule
        if writer is None or datamodule is None:
            return
        backbone = getattr(pl_module, "backbone", pl_module)
        mean, std = resolve_normalization(getattr(datamodule, "normalization", "imagenet"))
        names = list(getattr(pl_module, "class_names", []) or [])
        was_training = backbone.training
        backbone.eval()
        features, labels, thumbs, seen = [], [], [], 0
        for images, target in datamodule.val_dataloader():
            features.append(backbone(images.to(pl_module.device)).flatten(1).cpu())
            labels += [names[int(t)] if 0 <= int(t) < len(names) else str(int(t)) for t in target]
            small = F.interpolate(images.float(), size=(self.thumbnail_size, self.thumbnail_size), mode="bilinear",
                                  align_corners=False)
            thumbs.append(denormalize(small, mean, std))
            seen += len(images)
            if seen >= self.max_samples:
                break
        backbone.train(was_training)
        if not features:
            return
        n = min(seen, self.max_samples)
        writer.add_embedding(torch.cat(features)[:n], metadata=labels[:n], label_img=torch.cat(thumbs)[:n],
                             global_step=trainer.global_step, tag="val/embeddings")
        writer.flush()
