"""Every experiment, model and data option of the classification task composes."""

from __future__ import annotations

from importlib.resources import files

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from nnframe.core.testing import compose_task_config


def _options(group: str) -> list[str]:
    return sorted(p.name[:-5] for p in files("nnframe.cls.configs").joinpath(group).iterdir() if p.name.endswith(".yaml"))


@pytest.mark.parametrize("experiment", _options("experiment"))
def test_experiment_composes(experiment: str, tmp_path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", [f"experiment={experiment}"], output_dir=tmp_path)
    assert cfg.run_name == experiment
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves
    assert get_class(cfg.model._target_).__name__ == "ClassificationModule"


@pytest.mark.parametrize("data", _options("data"))
def test_data_option_composes(data: str, tmp_path) -> None:
    overrides = [f"data={data}"] + (["data.root=/some/where"] if data == "image_folder" else [])
    cfg = compose_task_config("nnframe.cls.configs", overrides, output_dir=tmp_path)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert resolved["model"]["in_chans"] == resolved["data"]["in_channels"]
    get_class(cfg.data._target_)


@pytest.mark.parametrize("model", _options("model"))
def test_model_option_builds(model: str, tmp_path) -> None:
    from hydra.utils import instantiate

    cfg = compose_task_config("nnframe.cls.configs", [f"model={model}", "model.backbone=simple_cnn"],
                              output_dir=tmp_path)
    module = instantiate(cfg.model)
    import torch

    assert module(torch.zeros(2, 3, 32, 32)).shape == (2, 5)


def test_callbacks_are_cores_defaults_plus_the_confusion_matrix() -> None:
    cfg = compose_task_config("nnframe.cls.configs")
    core = compose_task_config("nnframe.cls.configs", ["callbacks=default"])
    assert "confusion_matrix" not in core.callbacks  # core's defaults hold no task's figure
    assert set(cfg.callbacks) == {*core.callbacks, "confusion_matrix"}
    assert get_class(cfg.callbacks.confusion_matrix._target_).__name__ == "ConfusionMatrixCallback"
