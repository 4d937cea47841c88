"""The default recipe learns: kNN accuracy clearly above the same backbone at random init."""

from __future__ import annotations

from nnframe.core.testing import compose_task_config
from nnframe.core.training import train


def test_simclr_on_shapes_beats_its_random_initialisation(run_dir) -> None:
    # The default experiment (SimCLR, small CNN, batch views on the device), shortened:
    # 2000 images at batch 128 for 12 epochs = 180 steps.
    overrides = ["data.num_train=2000", "trainer.max_epochs=12", "test=false"]
    metrics = train(compose_task_config("nnframe.ssl.configs", overrides, output_dir=run_dir))
    initial, final = metrics["val/knn_top1_init"], metrics["val/knn_top1_best"]
    assert final > initial + 0.08, f"kNN top-1 {final:.3f} vs {initial:.3f} at random init"
