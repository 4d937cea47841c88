"""Every demo of every task package runs, on small sizes, and produces what it shows.

Each ``packages/nnframe-<task>/demos/*.py`` runs as a script would (``runpy``, ``__name__ ==
"__main__"``) in a fresh folder with ``NNFRAME_DEMO_SMALL=1``; then its check looks at the
variables the demo left (metrics, the run directory, tables) and the files it wrote (figures,
checkpoints, predictions, exports). A demo without a check fails, so none goes untested.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from nnframe.core.task_registry import discover_tasks

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DEMOS = sorted(ROOT.glob("packages/nnframe-*/demos/*.py"))


def _figures(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / f"{name}.png"
        assert path.is_file(), path
        with Image.open(path) as image:
            assert image.width > 150 and image.height > 150, (path, image.size)


def _cls_train_and_look(ns: dict[str, Any]) -> None:
    assert {"val/acc", "test/acc", "val/acc_best"} <= set(ns["metrics"])
    _figures(ns["figures"], "curves", "predictions", "confusion_matrix")
    assert len(ns["scalars"]["val/acc"]) == 2  # one point per epoch, read back from TensorBoard
    assert int(ns["confusion"].sum()) == 128  # the whole validation split
    assert len(ns["per_class"]) == 5 and all(0 <= acc <= 1 for acc in ns["per_class"])


def _cls_own_dataset(ns: dict[str, Any]) -> None:
    assert ns["metrics"]["val/acc"] > 0.4  # 4 classes: chance is 0.25
    assert ns["samples_png"].is_file() and not ns["samples_png"].is_relative_to(Path.cwd())
    _figures(ns["run_dir"] / "figures", "curves")
    assert "NoNames" in ns["contract_message"] and "class_names = [" in ns["contract_message"]


def _cls_predict_and_export(ns: dict[str, Any]) -> None:
    assert len(ns["rows"]) == 12 and {r["class_name"] for r in ns["rows"]} <= set(ns["SHAPE_NAMES"])
    assert ns["agree"] == 12  # the exported model gives the predictions of `predict`
    assert ns["result"].path.is_file() and ns["result"].max_abs_diff < 1e-4
    assert ns["spec"]["class_names"] == list(ns["SHAPE_NAMES"])
    _figures(Path(ns["predict_cfg"].paths.output_dir) / "figures", "predictions")


def _seg_train_and_look(ns: dict[str, Any]) -> None:
    assert {"val/miou", "test/miou"} <= set(ns["metrics"])
    assert len(ns["class_tags"]) == 6
    assert int(ns["pixels"].sum()) == 64 * 32 * 32  # every pixel of the validation split
    _figures(ns["figures"], "curves", "overlays", "confusion_matrix")


def _seg_own_dataset(ns: dict[str, Any]) -> None:
    assert ns["metrics"]["val/iou/cell"] > 0.3  # discs on a dark background are learnt in a few steps
    assert ns["samples_png"].is_file() and not ns["samples_png"].is_relative_to(Path.cwd())
    _figures(ns["run_dir"] / "figures", "curves")


def _seg_predict_and_export(ns: dict[str, Any]) -> None:
    assert len(ns["rows"]) == 8
    for row in ns["rows"]:
        with Image.open(row["mask_path"]) as mask:
            assert mask.size == (48, 48) and mask.mode == "P"  # back at the image's own size
    assert ns["spec"]["outputs"][0]["shape"] == ["batch", 6, 32, 32]
    _figures(Path(ns["predict_cfg"].paths.output_dir) / "figures", "predicted_masks")


def _ssl_train_and_look(ns: dict[str, Any]) -> None:
    assert {"val/knn_top1", "val/knn_top1_init"} <= set(ns["metrics"])
    assert len(ns["views"]) == 2  # SimCLR's two views per image
    assert ns["features"].shape[0] == 128
    _figures(ns["figures"], "curves", "views", "features_pca")


def _ssl_own_dataset(ns: dict[str, Any]) -> None:
    assert {"val/knn_top1", "val/knn_top1_init"} <= set(ns["metrics"])
    assert ns["samples_png"].is_file() and not ns["samples_png"].is_relative_to(Path.cwd())
    _figures(ns["run_dir"] / "figures", "curves")


def _ssl_probe_export_finetune(ns: dict[str, Any]) -> None:
    assert {"linear/train_acc", "linear/val_acc", "linear/test_acc"} <= set(ns["probe"])
    assert Path(ns["backbone_file"]).is_file()
    assert set(ns["results"]) == {"from SSL", "from scratch"}
    _figures(Path(ns["pretrained"].paths.output_dir) / "figures", "finetune_vs_scratch")


def _det_train_and_look(ns: dict[str, Any]) -> None:
    assert {"val/map", "val/map_50", "test/map_50"} <= set(ns["metrics"])
    assert ns["class_tags"] and all(tag.startswith("val/ap/") for tag in ns["class_tags"])
    _figures(ns["figures"], "curves", "predictions")


def _det_own_dataset(ns: dict[str, Any]) -> None:
    assert Path(ns["samples_png"]).is_file() and "val/map_50" in ns["metrics"]
    assert "boxes outside their image" in ns["error_message"] and "data.fix_boxes=true" in ns["error_message"]
    assert "instances_broken.json" in ns["error_message"]


def _det_predict_and_export(ns: dict[str, Any]) -> None:
    assert {Path(r["path"]).name for r in ns["rows"]} <= {f"shapes_{i:02d}.png" for i in range(6)}
    assert len(ns["drawn"]) == 6  # every image with its boxes drawn
    assert ns["result"].path.is_file() and ns["result"].max_abs_diff is not None


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "nnframe-cls/demos/01_train_and_look.py": _cls_train_and_look,
    "nnframe-cls/demos/02_your_own_dataset.py": _cls_own_dataset,
    "nnframe-cls/demos/03_predict_and_export.py": _cls_predict_and_export,
    "nnframe-seg/demos/01_train_and_look.py": _seg_train_and_look,
    "nnframe-seg/demos/02_your_own_dataset.py": _seg_own_dataset,
    "nnframe-seg/demos/03_predict_and_export.py": _seg_predict_and_export,
    "nnframe-ssl/demos/01_train_and_look.py": _ssl_train_and_look,
    "nnframe-ssl/demos/02_your_own_dataset.py": _ssl_own_dataset,
    "nnframe-ssl/demos/03_probe_export_finetune.py": _ssl_probe_export_finetune,
    "nnframe-det/demos/01_train_and_look.py": _det_train_and_look,
    "nnframe-det/demos/02_your_own_dataset.py": _det_own_dataset,
    "nnframe-det/demos/03_predict_and_export.py": _det_predict_and_export,
}


def _name(demo: Path) -> str:
    return demo.relative_to(ROOT / "packages").as_posix()


def test_every_demo_has_a_check_and_every_task_has_demos() -> None:
    assert {_name(d) for d in DEMOS} == set(CHECKS)
    for task in discover_tasks():
        assert any(_name(d).startswith(f"nnframe-{task}/") for d in DEMOS), task


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every demo, as a user runs them one after the other from a checkout."""
    return tmp_path_factory.mktemp("demos")


@pytest.mark.parametrize("demo", DEMOS, ids=_name)
def test_demo_runs_and_produces_its_results(demo: Path, demo_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    for name in ("NNFRAME_OUTPUT_DIR", "NNFRAME_ROOT", "NNFRAME_CONFIG_DIR", "NNFRAME_DEMO_CKPT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NNFRAME_DEMO_SMALL", "1")
    monkeypatch.chdir(demo_folder)
    namespace = runpy.run_path(str(demo), run_name="__main__")
    CHECKS[_name(demo)](namespace)
    assert "💡" not in "".join(capfd.readouterr())  # no Lightning advertisements ("Tip: ... litmodels")
    # Only run directories (under outputs/) in the folder it ran from: nothing another demo would pick up.
    assert sorted(p.name for p in demo_folder.iterdir()) == ["outputs"]
