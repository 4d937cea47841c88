"""Every experiment composes into a buildable model; `nnframe list` shows the seg options."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files

import pytest
from hydra.utils import instantiate

from nnframe.core.cli import main
from nnframe.core.testing import compose_task_config

EXPERIMENTS = sorted(p.name[:-5] for p in files("nnframe.seg.configs").joinpath("experiment").iterdir()
                     if p.name.endswith(".yaml"))


def test_the_required_experiments_exist() -> None:
    assert {"shapes", "pets_unet", "voc_deeplabv3plus"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_and_builds_its_model(experiment: str) -> None:
    # No weight download in tests: the network is built from scratch. Experiments on your own
    # masks (data=mask_folder) take the number of classes from the command line.
    overrides = [f"experiment={experiment}", "model.encoder_weights=null"]
    if compose_task_config("nnframe.seg.configs", overrides).data.num_classes is None:
        overrides.append("data.num_classes=3")
    cfg = compose_task_config("nnframe.seg.configs", overrides)
    assert cfg.task_name == "seg" and cfg.monitor == "val/miou"
    assert cfg.model.num_classes == cfg.data.num_classes
    assert cfg.model.loss.terms  # the loss group filled model.loss
    for term in cfg.model.loss.terms.values():
        if "ignore_index" in term.loss:
            assert term.loss.ignore_index == cfg.data.ignore_index == 255
    model = instantiate(cfg.model)
    assert model.num_classes == cfg.data.num_classes


def test_default_is_shapes() -> None:
    cfg = compose_task_config("nnframe.seg.configs", [])
    assert cfg.run_name == "shapes"
    assert cfg.data._target_.endswith("ShapesSegmentationDataModule")


def test_nnframe_list_shows_seg_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    seg = out[out.index("seg:"):]
    for line in ("experiment", "loss", "model", "data"):
        assert any(row.split()[:1] == [line] for row in seg.splitlines()), line
    assert "ce_dice" in seg and "voc_deeplabv3plus" in seg and "mask_folder" in seg


def test_importing_the_package_does_not_import_torch() -> None:
    # A fresh interpreter: this test session has imported torch already.
    code = "import sys, nnframe.seg, nnframe.seg.task; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_callbacks_are_cores_defaults_plus_the_pixel_confusion_matrix() -> None:
    cfg = compose_task_config("nnframe.seg.configs", ["data.ignore_index=254"])
    core = compose_task_config("nnframe.seg.configs", ["callbacks=default"])
    assert "confusion_matrix" not in core.callbacks  # core's defaults hold no task's figure
    assert set(cfg.callbacks) == {*core.callbacks, "confusion_matrix"}
    matrix = cfg.callbacks.confusion_matrix
    assert (matrix.ignore_index, matrix.cell_text) == (254, "percent")  # the data's unlabelled value
    assert cfg.callbacks.prediction_grid.num_images == 6
    assert not compose_task_config("nnframe.seg.configs", ["callbacks=none"]).get("callbacks")
