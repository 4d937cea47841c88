"""What a checkpoint's stored config may build: the allow-list of ``_target_``s, checked over the
whole tree before anything is imported or built."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nnframe.core import project_paths
from nnframe.core.checkpointing.config_targets import check_config_targets
from nnframe.core.errors import CheckpointError
from nnframe.core.training.checkpoint_config import apply_checkpoint_config

GENUINE = {
    "model": {"_target_": "nnframe.cls.ClassificationModule", "backbone": "simple_cnn",
              "optimizer": {"_target_": "torch.optim.AdamW", "_partial_": True, "lr": 0.001},
              "scheduler": {"_target_": "nnframe.core.optim.warmup_cosine", "_partial_": True},
              "loss": {"_target_": "torch.nn.CrossEntropyLoss"}},
    "data": {"_target_": "nnframe.core.data.ShapesDataModule", "image_size": 16,
             "train_transform": {"_target_": "nnframe.core.cv_tools.classification_train_transform"},
             "views": [{"_target_": "lightly.transforms.SimCLRTransform"}, {"_target_": "functools.partial"}]},
}


def _refused(config: dict, match: str) -> None:
    with pytest.raises(CheckpointError, match=match) as error:
        check_config_targets(config, "/runs/x/last.ckpt")
    assert "/runs/x/last.ckpt" in str(error.value) and "\n" not in str(error.value)


def test_nnframes_own_configs_pass() -> None:
    check_config_targets(GENUINE, "last.ckpt")


@pytest.mark.parametrize(("node", "key", "target"), [
    ({"_target_": "torch.load", "f": "x.pt", "weights_only": False}, "model.net._target_", "torch.load"),
    ({"_target_": "builtins.exec", "_args_": ["print(1)"]}, "model.net._target_", "builtins.exec"),
    ({"_target_": "os.system", "_partial_": True}, "model.net._target_", "os.system"),
    # allowed prefixes whose attribute chain reaches something else
    ({"_target_": "torch.nn.modules.module.torch.load"}, "model.net._target_", "torch.nn.modules.module.torch.load"),
    ({"layers": [{"_target_": "torch.nn.Linear"}, {"_target_": "nnframe.core.checkpointing.atomic_checkpoint_io.os.system"}]},
     r"model.net.layers\[1\]._target_", "nnframe.core.checkpointing.atomic_checkpoint_io.os.system"),
    # a library's function (timm's loader takes weights_only=False) and nnframe's file writers
    ({"_target_": "timm.models.load_checkpoint", "checkpoint_path": "x.pt"}, "model.net._target_",
     "timm.models.load_checkpoint"),
    ({"_target_": "nnframe.core.checkpointing.atomic_text_write"}, "model.net._target_",
     "nnframe.core.checkpointing.atomic_text_write"),
])
def test_a_target_outside_the_allow_list_is_refused_naming_key_and_target(node: dict, key: str, target: str) -> None:
    config = {**GENUINE, "model": {**GENUINE["model"], "net": node}}
    _refused(config, rf"^{key}={target} is not allowed in a checkpoint's config: /runs/x/last.ckpt")


def test_interpolations_and_odd_targets_are_refused() -> None:
    # oc.create would build a node with a _target_ after the check
    _refused({"data": {"root": "${oc.create:{_target_: os.system}}"}}, r"^data.root=\$\{oc.create.*an interpolation")
    _refused({"data": {"_target_": ["os.system"]}}, "not a dotted name")
    _refused({"data": {"_target_": "os.system; x"}}, "not a dotted name")


def test_nothing_is_imported_when_the_tree_holds_a_refused_target(monkeypatch: pytest.MonkeyPatch) -> None:
    imported = []
    monkeypatch.setattr("hydra.utils.get_object", lambda name: imported.append(name))
    _refused({"model": {"_target_": "nnframe.cls.ClassificationModule", "net": {"_target_": "os.system"}}}, "os.system")
    assert imported == []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "configs").mkdir(parents=True)
    (root / "proj_pkg_x1").mkdir()
    (root / "proj_pkg_x1" / "__init__.py").write_text("class Data:\n    pass\n\ndef build():\n    return 1\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(project_paths, "_project_roots", [])
    monkeypatch.delenv(project_paths.CONFIG_DIR_ENV, raising=False)
    monkeypatch.chdir(root)
    return root


def test_the_projects_own_package_is_allowed_only_with_its_config_dir(project: Path) -> None:
    config = {"data": {"_target_": "proj_pkg_x1.Data", "build": {"_target_": "proj_pkg_x1.build"}}}
    # From the folder alone (a downloaded model folder would be one), the package is not allowed;
    # the message says how to allow your own.
    _refused(config, r"proj_pkg_x1.Data .*run with --config-dir <your project>/configs")
    project_paths.use_project(project / "configs")  # what --config-dir configs does
    check_config_targets(config, "last.ckpt")


def test_apply_checkpoint_config_checks_the_groups_it_takes() -> None:
    cfg = OmegaConf.create({"ckpt_path": "/runs/x/last.ckpt", "model": {"_target_": "nnframe.cls.ClassificationModule"},
                            "data": {"_target_": "nnframe.core.data.ShapesDataModule"}})
    bad = {"config": {"model": {"_target_": "nnframe.cls.ClassificationModule",
                                "net": {"_target_": "torch.load", "f": "x"}}, "data": GENUINE["data"]}}
    with pytest.raises(CheckpointError, match=r"^model.net._target_=torch.load is not allowed .*/runs/x/last.ckpt"):
        apply_checkpoint_config(cfg, bad)
    # Groups the checkpoint does not rebuild (trainer, callbacks) are never built from it.
    harmless = {"config": {**GENUINE, "trainer": {"_target_": "lightning.pytorch.Trainer"}}}
    assert apply_checkpoint_config(cfg, harmless).model.optimizer._target_ == "torch.optim.AdamW"
