"""``run_name`` names what was trained: the experiment's name unless the command line chose an
option of a ``run_name_groups`` group, then those options; the run directory follows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig

from nnframe.core.resolvers import register_resolvers
from nnframe.core.testing import compose_task_config


@pytest.mark.parametrize(("package", "overrides", "name"), [
    ("nnframe.cls.configs", [], "shapes"),
    ("nnframe.cls.configs", ["experiment=cifar10_resnet18"], "cifar10_resnet18"),
    ("nnframe.cls.configs", ["data=image_folder", "data.root=/x", "model=timm"], "image_folder_timm"),
    ("nnframe.cls.configs", ["data=mnist"], "mnist_simple_cnn"),
    ("nnframe.cls.configs", ["data=mnist", "run_name=mine"], "mine"),
    ("nnframe.cls.configs", ["model.backbone=resnet18"], "shapes"),  # a key, not a group option
    ("nnframe.ssl.configs", [], "shapes_simclr"),
    ("nnframe.ssl.configs", ["method=byol"], "shapes_simple_cnn_byol"),
    ("nnframe.ssl.configs", ["experiment=cifar10_resnet18"], "cifar10_simclr"),
    ("nnframe.seg.configs", ["data=mask_folder", "data.root=/x"], "mask_folder_strided_unet_small"),
])
def test_run_name_and_directory(package: str, overrides: list[str], name: str, tmp_path: Path) -> None:
    assert compose_task_config(package, overrides, output_dir=tmp_path).run_name == name
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=package, version_base="1.3"):
        cfg = compose(config_name="config", overrides=["action=train", *overrides], return_hydra_config=True)
    HydraConfig().set_config(cfg)
    assert Path(cfg.hydra.run.dir).parent.name == name
    assert Path(cfg.hydra.run.dir).parent.parent.name == "train"
