"""Fine-tuning switches of the classification task, each on small CPU data: a pretrained file's
weights are the model's and the preprocessing follows them; layer decay, backbone freezing, EMA,
MixUp, class balancing and TTA do what they say."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import timm
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from nnframe.cls import ClassificationModule
from nnframe.core.testing import compose_task_config, write_shapes_folder
from nnframe.core.training import evaluate, train
from nnframe.core.training.instantiate import build_datamodule, build_model

SHAPES = {"train": {"circle": 16, "square": 16, "triangle": 16}, "val": {"circle": 6, "square": 6, "triangle": 6}}
TINY = ["data.image_size=32", "data.batch_size=8", "data.num_workers=0", "data.persistent_workers=false",
        "data.pin_memory=false", "trainer.accelerator=cpu", "extras.print_config=false", "logger=many", "test=false"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A timm file of test_convnext (a 0.2M-parameter ConvNeXt, 0.5/0.5 normalisation, bicubic)."""
    torch.manual_seed(3)
    path = tmp_path_factory.mktemp("weights") / "test_convnext.pth"
    torch.save(timm.create_model("test_convnext").state_dict(), path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shapes_folder(tmp_path_factory.mktemp("images"), SHAPES, image_size=32)


def _cfg(folder: Path, weights: Path, run_dir: Path, *overrides: str) -> Any:
    return compose_task_config("nnframe.cls.configs", [
        "data=image_folder", f"data.root={folder}", "model=timm", "model.backbone=test_convnext",
        f"model.pretrained_file={weights}", *TINY, *overrides], output_dir=run_dir)


def _metrics_rows(run_dir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run_dir / "csv" / "metrics.csv").open()))


def test_pretrained_file_weights_are_the_models_and_the_preprocessing_follows_them(
        folder: Path, weights: Path, tmp_path: Path) -> None:
    cfg = _cfg(folder, weights, tmp_path)
    datamodule = build_datamodule(cfg)
    model = build_model(cfg, datamodule.class_names)
    source = torch.load(weights, weights_only=True)
    for name, value in model.net.backbone.state_dict().items():
        assert torch.equal(value, source[name]), name
    # test_convnext's pretrained_cfg: mean = std = 0.5, bicubic, crop_pct 0.95 (not image_folder's ImageNet stats)
    assert OmegaConf.to_object(cfg.data.normalization) == [[0.5] * 3, [0.5] * 3]
    assert cfg.data.eval_transform.interpolation == "bicubic" and cfg.data.eval_transform.resize_ratio == 0.95
    normalize = datamodule.train_transform.transforms[-1]
    assert list(normalize.mean) == [0.5] * 3 and list(normalize.std) == [0.5] * 3
    # the checkpoints' config holds the concrete values, for eval / predict / export
    assert model.nnframe_metadata["config"]["data"]["normalization"] == [[0.5] * 3, [0.5] * 3]

    scratch = _cfg(folder, weights, tmp_path, "model.pretrained_file=null")
    build_datamodule(scratch)
    assert scratch.data.normalization == "imagenet" and scratch.data.eval_transform.resize_ratio == 0.875


@pytest.mark.slow
def test_layer_decay_gives_each_layer_its_learning_rate(folder: Path, weights: Path, tmp_path: Path) -> None:
    cfg = _cfg(folder, weights, tmp_path, "model.layer_decay=0.5", "trainer.max_epochs=1",
               "callbacks.lr_monitor.logging_interval=step", "trainer.log_every_n_steps=1")
    datamodule = build_datamodule(cfg)
    model = build_model(cfg, datamodule.class_names)
    groups = model.parameter_groups()
    top = max(int(g["name"].split("_")[1]) for g in groups)
    assert {g["name"] for g in groups} == {f"layer_{i:02d}" for i in range(top + 1)}
    head = next(g for g in groups if any(p is model.net.head.weight for p in g["params"]))
    stem = next(g for g in groups if any(p is model.net.backbone.stem[0].weight for p in g["params"]))
    assert head["name"] == f"layer_{top:02d}" and stem["name"] == "layer_00"

    train(cfg)
    rows = [r for r in _metrics_rows(tmp_path) if r.get(f"lr-AdamW/layer_{top:02d}")]
    last = rows[-1]
    head_lr = float(last[f"lr-AdamW/layer_{top:02d}"])
    for layer in range(top + 1):
        assert float(last[f"lr-AdamW/layer_{layer:02d}"]) == pytest.approx(head_lr * 0.5 ** (top - layer))


@pytest.mark.slow
def test_frozen_epochs_leave_the_backbone_as_loaded_then_it_trains(folder: Path, weights: Path, tmp_path: Path) -> None:
    source = torch.load(weights, weights_only=True)
    for epochs, frozen in ((1, True), (2, False)):
        run_dir = tmp_path / f"e{epochs}"
        train(_cfg(folder, weights, run_dir, "model.freeze_backbone_epochs=1", f"trainer.max_epochs={epochs}"))
        state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        backbone = {k.removeprefix("net.backbone."): v for k, v in state.items() if k.startswith("net.backbone.")}
        unchanged = [k for k, v in backbone.items() if torch.equal(v, source[k])]
        if frozen:
            assert len(unchanged) == len(backbone)
        else:
            assert len(unchanged) < len(backbone) // 4
        assert not torch.equal(state["net.head.bias"], torch.zeros_like(state["net.head.bias"]))  # the head trained


@pytest.mark.slow
def test_ema_weights_are_validated_checkpointed_and_evaluated(folder: Path, weights: Path, tmp_path: Path) -> None:
    metrics = train(_cfg(folder, weights, tmp_path / "run", "model.ema_decay=0.9", "trainer.max_epochs=2"))
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)
    ema, raw = checkpoint["state_dict"], checkpoint["current_model_state"]
    assert any(not torch.equal(ema[k], raw[k]) for k in ema if k.startswith("net."))
    best = sorted((tmp_path / "run" / "checkpoints").glob("epoch_*.ckpt"))[-1]
    weights.rename(weights.with_suffix(".moved"))  # eval needs the checkpoint only, not the pretrained file
    try:
        result = evaluate(compose_task_config("nnframe.cls.configs", [f"ckpt_path={best}", "extras.print_config=false"],
                                              output_dir=tmp_path / "eval", action="eval"))
    finally:
        weights.with_suffix(".moved").rename(weights)
    assert result["val/acc"] == pytest.approx(metrics["val/acc_best"], abs=1e-6)


@pytest.mark.slow
def test_mixup_trains_on_soft_targets_and_train_accuracy_counts_the_larger_share(
        folder: Path, weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, torch.Size, torch.dtype]] = []
    original = ClassificationModule.compute_loss

    def recording(self: ClassificationModule, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        seen.append((self.training, target.shape, target.dtype))
        return original(self, outputs, target)

    monkeypatch.setattr(ClassificationModule, "compute_loss", recording)
    metrics = train(_cfg(folder, weights, tmp_path, "data.mixup_alpha=0.4", "data.cutmix_alpha=1.0",
                         "trainer.max_epochs=1"))
    training = [(shape, dtype) for is_training, shape, dtype in seen if is_training]
    evaluation = [(shape, dtype) for is_training, shape, dtype in seen if not is_training]
    assert training and all(len(shape) == 2 and shape[1] == 3 and dtype.is_floating_point for shape, dtype in training)
    assert evaluation and all(len(shape) == 1 for shape, _ in evaluation)
    assert 0.0 <= metrics["train/acc"] <= 1.0
    assert ClassificationModule.hard_labels(torch.tensor([[0.7, 0.3, 0.0], [0.2, 0.0, 0.8]])).tolist() == [0, 2]


@pytest.mark.slow
def test_class_balance_loss_weights_weigh_the_training_loss_only(tmp_path: Path, weights: Path) -> None:
    imbalanced = write_shapes_folder(tmp_path / "images", {"train": {"circle": 30, "square": 6},
                                                           "val": {"circle": 4, "square": 4}}, image_size=32)
    cfg = _cfg(imbalanced, weights, tmp_path / "run", "data.class_balance=loss_weights", "trainer.max_epochs=1")
    train(cfg)
    datamodule = build_datamodule(cfg)
    model = build_model(cfg, datamodule.class_names)
    model.class_loss_weights = datamodule.class_weights()
    torch.testing.assert_close(model.class_loss_weights, torch.tensor([36 / 60, 36 / 12]))
    logits, target = torch.randn(4, 2), torch.tensor([0, 0, 1, 1])
    model.train()
    torch.testing.assert_close(model.compute_loss(logits, target),
                               F.cross_entropy(logits, target, weight=model.class_loss_weights))
    model.eval()
    torch.testing.assert_close(model.compute_loss(logits, target), F.cross_entropy(logits, target))


@pytest.mark.slow
def test_class_balance_sampler_trains(tmp_path: Path, weights: Path) -> None:
    imbalanced = write_shapes_folder(tmp_path / "images", {"train": {"circle": 30, "square": 6},
                                                           "val": {"circle": 4, "square": 4}}, image_size=32)
    metrics = train(_cfg(imbalanced, weights, tmp_path / "run", "data.class_balance=sampler", "trainer.max_epochs=1"))
    assert "val/acc" in metrics


def test_hflip_tta_averages_an_image_and_its_mirror(folder: Path, weights: Path, tmp_path: Path) -> None:
    cfg = _cfg(folder, weights, tmp_path, "model.tta=hflip", "data.num_classes=3")
    model = build_model(cfg, ["a", "b", "c"]).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tta = model.tta_logits(images)
        torch.testing.assert_close(tta, model.tta_logits(images.flip(-1)))  # mirror-invariant
        expected = (model(images).softmax(1) + model(images.flip(-1)).softmax(1)) / 2
        torch.testing.assert_close(tta.softmax(1), expected)
        probs = model.predict_step((images, torch.zeros(2)), 0)["probs"]
    torch.testing.assert_close(probs, expected)
    with pytest.raises(Exception, match="model.tta='vflip'"):
        build_model(_cfg(folder, weights, tmp_path, "model.tta=vflip", "data.num_classes=3"), ["a"])


def test_finetune_experiment_sets_the_recipe(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", ["experiment=finetune", "data.root=/x"], output_dir=tmp_path)
    assert cfg.model.backbone == "convnext_tiny" and cfg.model.pretrained is True
    assert cfg.model.freeze_backbone_epochs == 1 and cfg.model.layer_decay and cfg.model.ema_decay
    assert cfg.data.auto_augment.startswith("rand-") and cfg.data.mixup_alpha > 0
    assert cfg.data.normalization == "auto" and cfg.data._target_.endswith("ImageFolderDataModule")
    model = build_model(compose_task_config("nnframe.cls.configs", [
        "experiment=finetune", "data.root=/x", "data.num_classes=3", "model.pretrained=false"],
        output_dir=tmp_path), ["a", "b", "c"])
    assert model.layer_decay == cfg.model.layer_decay
