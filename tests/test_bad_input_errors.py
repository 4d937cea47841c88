"""Bad input gets a clear error from the command line (no traceback), before any training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from nnframe.core.testing import compose_task_config, run_cli
from nnframe.core.training.instantiate import build_model

SMALL = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16",
         "extras.print_config=false", "extras.print_data_summary=false", "logger=many"]


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))


def test_unknown_config_key_is_named(capsys) -> None:
    code, output = run_cli(capsys, "cls", "train", "trainer.max_epochz=3")
    assert code != 0
    assert "trainer.max_epochz is not a key of this config: did you mean trainer.max_epochs=3?" in output
    assert "Traceback" not in output


def test_unknown_group_option_lists_the_valid_ones(capsys) -> None:
    code, output = run_cli(capsys, "cls", "train", "model=resnet_huge")
    assert code != 0
    assert "Could not find 'model/resnet_huge'" in output
    assert "Available options in 'model'" in output and "simple_cnn" in output


def test_wrong_value_types_are_named_before_training(capsys) -> None:
    code, output = run_cli(capsys, "cls", "train", *SMALL, "trainer.max_epochs=abc", "data.batch_size=-1")
    assert code == 2
    assert "trainer.max_epochs='abc' must be an integer" in output
    assert "data.batch_size=-1 must be an integer >= 1" in output
    assert "Traceback" not in output


def test_output_directory_that_cannot_be_written(capsys, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(blocker / "outputs"))
    code, output = run_cli(capsys, "cls", "train", *SMALL)
    assert code == 2
    assert f"cannot write to the output folder {blocker / 'outputs'}" in output and "paths.log_dir" in output
    assert "Traceback" not in output


def test_checkpoint_of_another_task(capsys, tmp_path: Path) -> None:
    checkpoint = tmp_path / "seg.ckpt"
    torch.save({"state_dict": {}, "nnframe": {"task": "seg"}}, checkpoint)
    code, output = run_cli(capsys, "cls", "eval", *SMALL, f"ckpt_path={checkpoint}")
    assert code == 2
    assert "was trained by task 'seg', not 'cls'" in output and "nnframe seg" in output


@pytest.fixture(scope="module")
def five_class_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cls checkpoint of the default model (5 classes), without a saved config."""
    cfg = compose_task_config("nnframe.cls.configs", SMALL)
    model = build_model(cfg, ["a", "b", "c", "d", "e"])
    path = tmp_path_factory.mktemp("ckpt") / "five.ckpt"
    torch.save({"state_dict": model.state_dict(), "nnframe": {"task": "cls"}}, path)
    return path


@pytest.mark.parametrize("action", ["train", "eval", "predict"])
def test_checkpoint_of_an_incompatible_model(capsys, tmp_path: Path, five_class_checkpoint: Path,
                                             action: str) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (16, 16)).save(images / "0.png")
    code, output = run_cli(capsys, "cls", action, *SMALL, f"ckpt_path={five_class_checkpoint}",
                        "model.num_classes=3", f"predict.input_dir={images}")
    assert code == 2
    assert f"{five_class_checkpoint} does not fit the configured model" in output
    assert "(5,) vs (3,)" in output  # the head's bias: 5 classes in the checkpoint, 3 configured
