"""Own image folders for SSL through the real `nnframe ssl` command: grey images with
in_channels=1 train (views, kNN bank and probe data normalised with one-value stats), and
inspect saves the augmented views."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from nnframe.core.testing import run_cli, write_image_folder

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
