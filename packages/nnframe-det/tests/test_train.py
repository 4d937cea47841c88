"""The default detector learns the embedded shapes: the issue's target, val mAP@0.5 >= 0.7."""

from __future__ import annotations

import pytest

from nnframe.core.testing.compose import compose_task_config

pytestmark = pytest.mark.slow


def test_default_run_learns_the_shapes(tmp_path):
    from nnframe.core.training import train

    cfg = compose_task_config("nnframe.det.configs", [], output_dir=tmp_path)  # fcos_tiny, 4000 shapes, 3 epochs
    metrics = train(cfg)
    assert metrics["val/map_50"] >= 0.7, metrics
    assert metrics["test/map_50"] >= 0.7, metrics
    per_class = {k: v for k, v in metrics.items() if k.startswith("test/ap/")}
    assert len(per_class) == 5 and min(per_class.values()) > 0.3, per_class
