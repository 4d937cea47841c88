"""The kNN monitor: correct on separable features, chance on noise, and logged by a real run."""

from __future__ import annotations

import torch

from nnframe.core.testing import compose_task_config
from nnframe.core.training import train
from nnframe.ssl.knn import embed, knn_accuracy


def _clusters(n: int, num_classes: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    centres = torch.nn.functional.normalize(torch.randn(num_classes, 32, generator=torch.Generator().manual_seed(0)))
    labels = torch.randint(0, num_classes, (n,), generator=generator)
    features = centres[labels] + noise * torch.randn(n, 32, generator=generator)
    return torch.nn.functional.normalize(features, dim=1), labels


def test_knn_accuracy_separates_clusters_and_is_chance_on_noise() -> None:
    bank, bank_labels = _clusters(400, 4, 0.05, seed=1)
    queries, labels = _clusters(200, 4, 0.05, seed=2)
    assert knn_accuracy(queries, labels, bank, bank_labels, num_classes=4, k=20) > 0.98
    noise = torch.nn.functional.normalize(torch.randn(200, 32), dim=1)
    assert knn_accuracy(noise, labels, bank, bank_labels, num_classes=4, k=20) < 0.45


def test_embed_drops_unlabelled_samples() -> None:
    batches = [(torch.randn(4, 3, 8, 8), torch.tensor([0, -1, 1, -1]))]
    backbone = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 5))
    features, labels = embed(backbone, batches)
    assert features.shape == (2, 5) and labels.tolist() == [0, 1]
    assert torch.allclose(features.norm(dim=1), torch.ones(2))


def test_training_run_logs_knn_accuracy_and_the_random_init_baseline(tiny, run_dir) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", tiny("simclr"), output_dir=run_dir)
    metrics = train(cfg)
    for key in ("val/knn_top1", "val/knn_top1_init", "val/knn_top1_best", "test/knn_top1", "train/loss_epoch"):
        assert key in metrics, sorted(metrics)
    assert 0.0 <= metrics["val/knn_top1"] <= 1.0
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    # TensorBoard: the grid of augmented views, the kNN curve, and the embedding projector.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard")).Reload()
    assert "train/views" in events.Tags()["images"]
    assert {"val/knn_top1", "val/knn_top1_init", "train/loss_epoch"} <= set(events.Tags()["scalars"])
    projector = (run_dir / "tensorboard" / "projector_config.pbtxt").read_text()
    assert "metadata.tsv" in projector and "sprite.png" in projector
