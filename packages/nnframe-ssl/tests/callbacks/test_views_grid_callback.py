"""The training views figure: the original images beside the views the method makes, readable."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest
import torch

from nnframe.core.data import DeviceBatchLoader
from nnframe.core.testing import compose_task_config
from nnframe.core.training.instantiate import build_datamodule
from nnframe.ssl.callbacks import sample_views, views_figure
from nnframe.ssl.callbacks.views_grid_callback import view_names


def test_view_names_tell_global_from_local_crops() -> None:
    assert view_names([torch.zeros(1, 3, 32, 32)] * 2) == ["view 1", "view 2"]
    views = [torch.zeros(1, 3, 32, 32)] * 2 + [torch.zeros(1, 3, 12, 12)] * 2
    assert view_names(views) == ["global 1 (32 px)", "global 2 (32 px)", "local 1 (12 px)", "local 2 (12 px)"]


def test_views_figure_labels_columns_and_draws_32px_images_large() -> None:
    figure = views_figure(torch.rand(6, 3, 32, 32), [torch.rand(6, 3, 32, 32)] * 2, title="training views, epoch 5")
    figure.canvas.draw()
    (axis,) = figure.axes
    panels = axis.images
    assert len(panels) == 18
    assert [t.get_text() for t in axis.texts[:3]] == ["original", "view 1", "view 2"]
    renderer = figure.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in panels]
    assert not any(t.get_window_extent(renderer).overlaps(b) for t in axis.texts for b in boxes)
    assert not any(figure._suptitle.get_window_extent(renderer).overlaps(b) for b in boxes)
    width_px = boxes[0].width
    assert width_px >= 100, f"a 32 px view is drawn {width_px:.0f} px wide"
    total = figure.get_size_inches() * figure.dpi
    assert total[0] <= 1400 and total[1] <= 1000
    plt.close(figure)


@pytest.mark.parametrize("on_device", [False, True])
def test_sample_views_makes_the_training_views_of_the_first_images(tiny, run_dir: Path, on_device: bool) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr"), f"data.on_device={str(on_device).lower()}"],
                              output_dir=run_dir)
    datamodule = build_datamodule(cfg, stage="fit")  # as a run builds it (normalization=auto resolved)
    # What the callback reads of the trainer (its loader is built without one: on the CPU).
    trainer = SimpleNamespace(datamodule=datamodule, train_dataloader=datamodule.train_dataloader(), current_epoch=0)
    assert isinstance(trainer.train_dataloader, DeviceBatchLoader) == on_device
    originals, views = sample_views(trainer, 4)
    assert originals.shape == (4, 3, 16, 16) and len(views) == 2
    assert all(v.shape == (4, 3, 16, 16) and v.min() >= 0 and v.max() <= 1 for v in views)
    assert not torch.equal(views[0], views[1]), "two random views differ"
