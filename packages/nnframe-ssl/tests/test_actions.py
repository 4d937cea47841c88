"""The ssl actions after a short pretraining: linear probe and backbone export."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnframe.core.backbones import create_backbone, load_backbone_weights
from nnframe.core.errors import ConfigError
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train
from nnframe.ssl import export_backbone
from nnframe.ssl._checkpoint import load_ssl_module
from nnframe.ssl.linear_probe import linear_probe
from nnframe.ssl.task import TASK

CONFIGS = "nnframe.ssl.configs"


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory: pytest.TempPathFactory, tiny) -> Path:
    """``last.ckpt`` of a one-epoch SimCLR run on tiny shapes."""
    run_dir = tmp_path_factory.mktemp("pretrain")
    cfg = compose_task_config(CONFIGS, [*tiny("simclr"), "test=false"], output_dir=run_dir)
    train(cfg)
    return run_dir / "checkpoints" / "last.ckpt"


def test_task_declares_linear_and_overrides_export() -> None:
    assert TASK.actions["linear"].function == "nnframe.ssl.linear_probe:linear_from_cli"
    assert TASK.actions["export"].function == "nnframe.ssl.export:export_from_cli"
    assert "train" in TASK.actions and "eval" in TASK.actions


def test_linear_probe_reports_accuracy(pretrained: Path, tiny, tmp_path: Path) -> None:
    overrides = [*tiny("simclr"), f"ckpt_path={pretrained}", "linear.epochs=30"]
    cfg = compose_task_config(CONFIGS, overrides, output_dir=tmp_path, action="linear")
    metrics = linear_probe(cfg)
    assert set(metrics) == {"linear/train_acc", "linear/val_acc", "linear/test_acc"}
    assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert metrics["linear/train_acc"] > 0.5  # 5 classes, 64 samples, 128 features: well above chance


def test_linear_without_checkpoint_names_ckpt_path(tiny, tmp_path: Path) -> None:
    cfg = compose_task_config(CONFIGS, tiny("simclr"), output_dir=tmp_path, action="linear")
    with pytest.raises(ConfigError, match="ckpt_path="):
        linear_probe(cfg)


def test_export_writes_the_pretrained_backbone(pretrained: Path, tiny, tmp_path: Path) -> None:
    output = tmp_path / "backbone.pt"
    cfg = compose_task_config(CONFIGS, [*tiny("simclr"), f"ckpt_path={pretrained}",
                                        f"export.output={output}"], output_dir=tmp_path, action="export")
    assert export_backbone(cfg) == output
    backbone = create_backbone("simple_cnn")
    metadata = load_backbone_weights(backbone, output, expected_name="simple_cnn")
    assert metadata["method"] == "SimCLR"
    saved = torch.load(pretrained, map_location="cpu", weights_only=False)["state_dict"]
    for name, value in backbone.state_dict().items():
        assert torch.equal(value, saved[f"net.{name}"]), name


def _images(folder: Path, count: int = 5) -> Path:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_predict_writes_embeddings_and_knn_classes(pretrained: Path, tiny, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import csv

    import numpy as np

    from nnframe.core.training import predict

    images = _images(tmp_path / "images")
    cfg = compose_task_config(CONFIGS, [*tiny("simclr"), f"ckpt_path={pretrained}", f"predict.input_dir={images}",
                                        f"predict.output_dir={tmp_path / 'out'}"], output_dir=tmp_path,
                              action="predict")
    csv_path = predict(cfg)
    with csv_path.open() as file:
        rows = list(csv.DictReader(file))
    embeddings = np.load(tmp_path / "out" / "embeddings.npy")
    assert embeddings.dtype == np.float32 and embeddings.shape == (5, 128)  # simple_cnn's features
    assert [int(r["embedding_row"]) for r in rows] == list(range(5))
    assert {r["knn_class_name"] for r in rows} <= {"circle", "square", "triangle", "star", "cross"}

    # The embeddings are the backbone's features of the evaluation-transformed images.
    model, _ = load_ssl_module(cfg, "predict")
    transform = model_cfg_transform(cfg)
    from PIL import Image
    first = transform(Image.open(rows[0]["path"]).convert("RGB"))[None]
    with torch.no_grad():
        expected = model.backbone(first).flatten(1)[0].numpy()
    np.testing.assert_allclose(embeddings[0], expected, rtol=1e-4, atol=1e-5)


def model_cfg_transform(cfg):
    import hydra

    return hydra.utils.instantiate(cfg.data.eval_transform)


def test_predict_without_the_training_data_says_the_knn_class_was_skipped(
        pretrained: Path, tiny, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from nnframe.core.training import predict

    images = _images(tmp_path / "images", count=2)
    # The checkpoint's data, but its root moved away: the bank cannot be built, the embeddings still are.
    cfg = compose_task_config(CONFIGS, [*tiny("simclr", shapes=False), f"ckpt_path={pretrained}",
                                        f"predict.input_dir={images}", "data=cifar10", f"data.root={tmp_path / 'nowhere'}"],
                              output_dir=tmp_path, action="predict")
    with caplog.at_level("INFO"):
        csv_path = predict(cfg)
    assert csv_path.read_text().splitlines()[0] == "path,embedding_row"
    assert "knn_class: skipped" in caplog.text and "cifar-10" in caplog.text
