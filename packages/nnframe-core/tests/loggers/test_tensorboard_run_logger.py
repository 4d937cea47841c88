"""TensorBoardRunLogger on a tiny real Trainer: what its event files hold."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import LearningRateMonitor
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.plugins.custom_scalar import layout_pb2

from nnframe.core.loggers import TensorBoardRunLogger
from nnframe.core.testing import ToyClassifier, ToyDataModule


def read_events(run_dir: Path) -> dict[str, dict[str, list]]:
    """``{tag: {"plugin": name, "values": [(step, value), ...]}}`` of the event files directly in ``run_dir``."""
    tags: dict[str, dict[str, list]] = defaultdict(lambda: {"plugin": [], "values": []})
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                entry = tags[value.tag]
                entry["plugin"] = value.metadata.plugin_data.plugin_name or entry["plugin"]
                entry["values"].append((event.step, value))
    return dict(tags)


class _PerClassToy(ToyClassifier):
    """Logs a per-class vector as TaskModule does for IoU (``<stage>/<metric>/<class>``)."""

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        self.log_dict({f"val/recall/{name}": torch.tensor(0.5) for name in ("circle", "square")})


def test_no_epoch_scalars_lr_under_train_test_beside_val_and_per_class_in_own_group(tmp_path: Path) -> None:
    logger = TensorBoardRunLogger(save_dir=tmp_path, name="tensorboard", version="", default_hp_metric=False)
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=logger, callbacks=[LearningRateMonitor("epoch")],
                        enable_progress_bar=False, enable_checkpointing=False, log_every_n_steps=1)
    model, data = _PerClassToy(), ToyDataModule()
    trainer.fit(model, datamodule=data)
    trainer.test(model, datamodule=data, verbose=False)

    main = read_events(tmp_path / "tensorboard")
    assert "epoch" not in main, "Lightning's epoch scalar is dropped"
    assert {"train/loss_step", "train/loss_epoch", "val/acc", "val/loss", "train/lr-SGD"} <= set(main)
    assert not any(tag.startswith(("test/", "lr-", "hp/")) for tag in main), sorted(main)
    assert [round(v.simple_value if v.HasField("simple_value") else v.tensor.float_val[0], 3)
            for _, v in main["train/lr-SGD"]["values"]] == [0.1, 0.1]

    assert not (tmp_path / "tensorboard" / "test").exists(), "no test sub-run doubling the run list"
    assert {"val/acc_test", "val/loss_test"} <= set(main), "a test value is the card after its validation card"
    assert len(main["val/acc_test"]["values"]) == 1

    layouts = main["custom_scalars__config__"]["values"]
    layout = layout_pb2.Layout()
    layout.ParseFromString(layouts[-1][1].tensor.string_val[0])
    (category,) = layout.category
    assert category.title == "per class"
    assert [(c.title, list(c.multiline.tag)) for c in category.chart] == [
        ("val/recall (every class: circle, square)", ["^val_per_class/recall/"])]
    assert {"val_per_class/recall/circle", "val_per_class/recall/square"} <= set(main), \
        "per-class cards in a group of their own, after train and val"
    # TensorBoard expands the first two groups (sorted by name): train and val, not per-class ones.
    groups = sorted({tag.split("/")[0] for tag, entry in main.items() if entry["plugin"] == "scalars"})
    assert groups[:2] == ["train", "val"], groups

    from nnframe.core import read_scalars

    logged = read_scalars(tmp_path / "tensorboard")  # the names the run logged, as in run.json
    assert {"test/acc", "val/acc", "val/recall/circle", "lr-SGD"} <= set(logged), sorted(logged)
    assert not any(name.startswith(("val_per_class", "z_train")) or name.endswith("_test") for name in logged)


@pytest.mark.parametrize("name", ["val/acc", "train/loss_epoch", "lr-AdamW", "test/acc", "val/iou/cat",
                                  "train/acc/circle", "test/iou/cat", "val/acc_best"])
def test_tensorboard_tag_and_logged_name_are_inverse(name: str) -> None:
    tag, sub_run = TensorBoardRunLogger.tensorboard_tag(name)
    assert sub_run is None
    assert TensorBoardRunLogger.logged_name(tag) == name
    assert tag.split("/")[0] in {"train", "val", "val_per_class", "z_train_per_class"}


def test_the_tags_of_an_earlier_version_read_back_as_logged() -> None:
    assert TensorBoardRunLogger.logged_name("val/acc", "test") == "test/acc"  # its test sub-run
    assert TensorBoardRunLogger.logged_name("val/per_class/iou/cat") == "val/iou/cat"
