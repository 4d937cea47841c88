"""A user's own folders through the real `nnframe cls` command (default callbacks, loggers and
progress bar; tiny sizes): messy folders stop before the first step naming each file and the
fix, the fix works, and what is left out is counted at the start and the end of the run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

from nnframe.core.testing import (
    run_cli,
    write_cifar10,
    write_image,
    write_image_folder,
    write_messy_files,
    write_mnist,
)

FAST = ["trainer.max_epochs=1", "data.batch_size=8", "data.num_workers=0", "extras.print_config=false"]


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))


def _run_dir(tmp_path: Path, action: str = "train") -> Path:
    (run,) = [p for p in (tmp_path / "outputs" / "cls" / action).glob("*/*") if p.is_dir()]
    return run


@pytest.fixture
def messy_folder(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    root = tmp_path / "data"
    write_image_folder(root / "train", {"cat": 6, "dog": 6}, size=(20, 16), coloured=True)
    return root, write_messy_files(root / "train" / "dog")


def test_a_messy_folder_stops_before_the_first_step(capsys, tmp_path: Path, messy_folder) -> None:
    root, messy = messy_folder
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 2
    for kind in ("empty", "text", "truncated"):
        assert str(messy[kind]) in output
    assert "data.skip_corrupt=true" in output and "Traceback" not in output
    assert not list(_run_dir(tmp_path).glob("checkpoints/*.ckpt"))


def test_a_class_missing_from_test_stops_before_training(capsys, tmp_path: Path) -> None:
    root = tmp_path / "data"
    write_image_folder(root / "train", {"cat": 4, "dog": 4})
    write_image_folder(root / "test", {"cat": 2})
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 2 and "only in train: ['dog']" in output
    assert not list(_run_dir(tmp_path).glob("checkpoints/*.ckpt"))  # reported before, not after, training


def test_skip_corrupt_trains_and_counts_what_was_left_out_at_start_and_end(capsys, tmp_path: Path,
                                                                           messy_folder) -> None:
    root, messy = messy_folder
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", "data.skip_corrupt=true",
                        *FAST)
    assert code == 0, output[-3000:]
    # printed although extras.ignore_warnings=true (the default) hides Python warnings
    assert output.count("left out 3 unusable file(s) (data.skip_corrupt=true); ignored 2 file(s)") == 2
    run = _run_dir(tmp_path)
    listing = (run / "data_check.txt").read_text()
    assert all(str(messy[kind]) in listing for kind in messy)
    # 16 px images are raised to what the default CNN needs (data.min_image_size=32)
    assert "resolved: data.image_size=auto -> 32 (median short side of the" in output
    assert "raised to data.min_image_size=32" in output
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["data"]["image_size"] == 32 and saved["data"]["num_classes"] == 2
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["nnframe"]["config"]["data"]["image_size"] == 32


def test_grey_images_with_in_channels_1_train_evaluate_and_predict(capsys, tmp_path: Path) -> None:
    root = tmp_path / "digits"
    write_image_folder(root / "train", {"0": 8, "1": 8}, size=(16, 16), mode="L", coloured=True)
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", "data.in_channels=1",
                        *FAST)
    assert code == 0, output[-3000:]
    assert "data.normalization=imagenet -> [[0.459], [0.2256]]" in output  # luma-weighted imagenet stats
    checkpoint = _run_dir(tmp_path) / "checkpoints" / "last.ckpt"
    code, output = run_cli(capsys, "cls", "eval", f"ckpt_path={checkpoint}", "extras.print_config=false")
    assert code == 0, output[-3000:]
    code, output = run_cli(capsys, "cls", "predict", f"ckpt_path={checkpoint}", f"predict.input_dir={root / 'train'}",
                        f"predict.output_dir={tmp_path / 'predictions'}", "extras.print_config=false")
    assert code == 0, output[-3000:]
    assert len((tmp_path / "predictions" / "predictions.csv").read_text().splitlines()) == 17


def test_images_of_every_mode_train_together_converted_the_documented_way(capsys, tmp_path: Path) -> None:
    root = tmp_path / "modes"
    for index, mode in enumerate(("RGB", "L", "RGBA", "P", "I;16", "1")):
        for label in ("a", "b"):
            for i in range(2):
                write_image(root / "train" / label / f"{mode.replace(';', '')}_{i}.png", (18, 18), mode, seed=index)
    for label in ("a", "b"):
        write_image(root / "train" / label / "cmyk.jpg", (18, 18), "CMYK")
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 0, output[-3000:]
    for expected in ("RGBA (alpha over white)", "P (palette colours)", "I;16 (16-bit scaled to 8)",
                     "CMYK (PIL's CMYK->RGB)", "L (grey repeated to RGB)"):
        assert expected in output


def test_mnist_gz_files_as_downloaded_train(capsys, tmp_path: Path) -> None:
    write_mnist(tmp_path / "data", count=20)
    code, output = run_cli(capsys, "cls", "train", "data=mnist", f"paths.data_dir={tmp_path / 'data'}", *FAST)
    assert code == 0, output[-3000:]
    assert "test/acc" in output


def test_cifar_pickles_train(capsys, tmp_path: Path) -> None:
    write_cifar10(tmp_path / "data")
    code, output = run_cli(capsys, "cls", "train", "data=cifar10", f"paths.data_dir={tmp_path / 'data'}", *FAST)
    assert code == 0, output[-3000:]


def test_inspect_prints_the_summary_and_saves_augmented_samples(capsys, tmp_path: Path, messy_folder) -> None:
    root, messy = messy_folder
    code, output = run_cli(capsys, "cls", "inspect", "data=image_folder", f"data.root={root}",
                        "data.num_workers=0", "extras.print_config=false")
    assert code == 2  # a train run would stop: inspect says so after showing everything
    assert str(messy["truncated"]) in output and "size min" in output and "RGB 11" in output
    png = _run_dir(tmp_path, "inspect") / "train_samples.png"
    assert png.is_file() and Image.open(png).size[0] > 200
    assert "a train run with this config stops on these problems" in output
    code, output = run_cli(capsys, "cls", "inspect", "data=image_folder", f"data.root={root}", "data.skip_corrupt=true",
                        "data.num_workers=0", "extras.print_config=false")
    assert code == 0 and "no problem found" in output


@pytest.mark.slow
def test_phone_photos_a_symlinked_subfolder_and_jfif_files_all_train(capsys, tmp_path: Path) -> None:
    import os
    import re

    from nnframe.core.testing import write_rotated_jpeg

    root = tmp_path / "photos"
    write_image_folder(root / "train", {"cat": 6, "dog": 6}, size=(24, 18), coloured=True)
    for label in ("cat", "dog"):  # sideways phone photos (stored 18x24, shown 24x18) and .jfif files
        for i in range(3):
            upright = Image.open(next((root / "train" / label).glob("*.png"))).convert("RGB")
            write_rotated_jpeg(root / "train" / label / f"phone_{i}.jpg", upright, 6)
            upright.save(root / "train" / label / f"saved_{i}.jfif", "JPEG")
    for i in range(4):
        write_image(root / "more_cats" / f"{i}.png", (24, 18), seed=i)
    os.symlink(root / "more_cats", root / "train" / "cat" / "linked")  # followed, as torchvision does
    os.symlink(root / "train", root / "train" / "dog" / "loop")  # a loop: not followed
    code, output = run_cli(capsys, "cls", "train", "data=image_folder", f"data.root={root}", *FAST)
    assert code == 0, output[-3000:]
    counts = dict(re.findall(r"(train|val) (\d+)", output.split("data: ", 1)[1].splitlines()[0]))
    assert int(counts["train"]) + int(counts["val"]) == 2 * (6 + 3 + 3) + 4
    assert "size min" in output and "24x18" in output and "18x24" not in output  # every image upright
    listing = (_run_dir(tmp_path) / "data_check.txt").read_text()
    assert "a loop" in listing
