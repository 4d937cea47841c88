"""Own image folders for SSL through the real `nnframe ssl` command: grey images with
in_channels=1 train (views, kNN bank and probe data normalised with one-value stats), inspect
saves the augmented views, data.skip_corrupt=true leaves unusable files out of every loader (the
kNN bank too, on both data paths), and a folder smaller than a batch is explained before training
with the batch size that works."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from PIL import Image

from nnframe.core.testing import run_cli, write_image_folder, write_messy_files

from .conftest import TINY_METHOD_OVERRIDES

FAST = ["data.num_workers=0", "data.batch_size=8", "trainer.max_epochs=1", "extras.print_config=false",
        "model.knn_k=4", *TINY_METHOD_OVERRIDES["simclr"]]


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))


def test_grey_images_with_in_channels_1_pretrain(capsys, tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "data" / "train", {"a": 10, "b": 10}, size=(20, 20), mode="L").parent
    code, output = run_cli(capsys, "ssl", "train", "data=image_folder", f"data.root={root}", "data.in_channels=1", *FAST)
    assert code == 0, output[-3000:]
    assert "data.image_size=auto -> 20" in output and "data.normalization=imagenet -> [[0.459], [0.2256]]" in output
    assert "test/knn_top1" in output


def test_a_single_unlabelled_folder_pretrains_and_inspect_shows_the_views(capsys, tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "data" / "train", {"all": 16}, size=(24, 24)).parent
    code, output = run_cli(capsys, "ssl", "inspect", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 0, output[-3000:]
    (png,) = (tmp_path / "outputs" / "ssl" / "inspect").glob("*/*/train_samples.png")
    assert Image.open(png).size[0] > 100
    code, trained = run_cli(capsys, "ssl", "train", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 0, trained[-3000:]
    # Said once per process (both commands ran in this one).
    assert "the kNN monitor (val/knn_top1): not applicable to this task (the data has one class" in output + trained


@pytest.mark.parametrize("on_device", ["false", "true"])
def test_skip_corrupt_leaves_the_unusable_files_out_of_training_and_the_knn_bank(
        capsys, tmp_path: Path, on_device: str) -> None:
    root = write_image_folder(tmp_path / "data" / "train", {"a": 8, "b": 8}, size=(24, 24)).parent
    write_messy_files(root / "train" / "b")  # a truncated JPEG, an empty and a text "image" among them
    code, output = run_cli(capsys, "ssl", "train", "data=image_folder", f"data.root={root}", "data.skip_corrupt=true",
                           f"data.on_device={on_device}", *FAST)
    assert code == 0, output[-3000:]
    assert "left out 3 unusable file(s)" in output and "test/knn_top1" in output


def test_a_folder_smaller_than_a_batch_is_explained_before_training_and_the_fix_trains(
        capsys, tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "data" / "train", {"a": 12, "b": 12}, size=(24, 24)).parent
    small = ["data=image_folder", f"data.root={root}", *[o for o in FAST if not o.startswith("data.batch_size")]]
    for action in ("inspect", "train"):  # ssl's batch of 128 with drop_last: no training batch
        code, output = run_cli(capsys, "ssl", action, *small)
        assert code != 0 and "Traceback" not in output and "StopIteration" not in output, output[-3000:]
        error = re.search(r"^nnframe: error: (.*)$", output, re.MULTILINE).group(1)
        assert "the training split has 22 images, fewer than data.batch_size=128" in error, error
        assert "Epoch" not in output and "test/knn_top1" not in output  # stopped before training
    fix = shlex.split(re.search(r"Add (data\.batch_size=\d+)", error).group(1))
    code, output = run_cli(capsys, "ssl", "train", *small, *fix)
    assert code == 0 and "No training batches" not in output and "test/knn_top1" in output, output[-3000:]
