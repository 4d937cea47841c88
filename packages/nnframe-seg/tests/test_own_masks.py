"""A user's own mask folders through the real `nnframe seg` command (default callbacks, loggers
and progress bar; tiny sizes): the defects of issue 12 stop before the first step, and each fix
the message gives trains."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.testing import run_cli, write_image
from nnframe.seg.data import voc_colormap

FAST = ["model=unet_small", "trainer.max_epochs=1", "data.batch_size=4", "data.num_workers=0",
        "extras.print_config=false"]


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))


def _squares(root: Path, count: int, mask_value, mode: str = "RGB", size: int = 24) -> Path:
    """Images with a bright square on a dark background and its mask; ``mask_value(i)`` gives the
    square's stored value (an int, or an RGB colour) and ``mask_value(None)`` the background's."""
    rng = np.random.default_rng(0)
    for i in range(count):
        image = np.full((size, size, 3), 30, np.uint8)
        top, left = (int(v) for v in rng.integers(0, size // 2, 2))
        image[top:top + size // 2, left:left + size // 2] = 220
        write_image(root / "train" / "images" / f"{i:03d}.png", (size, size))
        Image.fromarray(image).convert(mode).save(root / "train" / "images" / f"{i:03d}.png")
        background, square = mask_value(None), mask_value(i)
        shape = (size, size, 3) if isinstance(background, tuple) else (size, size)
        mask = np.zeros(shape, np.uint8)
        mask[...] = background
        mask[top:top + size // 2, left:left + size // 2] = square
        (root / "train" / "masks").mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask).save(root / "train" / "masks" / f"{i:03d}.png")
    return root


def test_0_255_masks_with_many_classes_stop_and_both_fixes_train(capsys, tmp_path: Path) -> None:
    root = _squares(tmp_path / "data", 12, lambda i: 0 if i is None else 255)
    args = ["seg", "train", "data=mask_folder", f"data.root={root}", *FAST]
    code, output = run_cli(capsys, *args, "data.num_classes=11")
    assert code == 2 and "only the values 0 and 255" in output and "Traceback" not in output
    code, output = run_cli(capsys, *args, "data.num_classes=2")
    assert code == 0, output[-3000:]
    assert "test/iou/class_1" in output and "test/miou" in output  # the foreground is measured, not ignored
    code, output = run_cli(capsys, *args, "data.num_classes=11", "data.binary_255=true")
    assert code == 0, output[-3000:]
    printed = dict(re.findall(r"│ (test/\S+)\s+│ ([0-9.]+)\s+│", output))
    per_class = [float(v) for k, v in printed.items() if k.startswith("test/iou/")]
    # classes in neither the masks nor the predictions are left out of both the mean and the table
    assert "test/iou/class_1" in printed and len(per_class) < 11
    assert float(printed["test/miou"]) == pytest.approx(sum(per_class) / len(per_class), abs=2e-4)


def test_voc_coloured_masks_train_with_palette_voc(capsys, tmp_path: Path) -> None:
    colours = voc_colormap()
    root = _squares(tmp_path / "data", 12, lambda i: tuple(int(c) for c in colours[0 if i is None else 12]))
    args = ["seg", "train", "data=mask_folder", f"data.root={root}", *FAST]
    code, output = run_cli(capsys, *args, "data.num_classes=21")
    assert code == 2 and "data.palette=voc" in output
    code, output = run_cli(capsys, *args, "data.palette=voc")
    assert code == 0, output[-3000:]
    assert "test/iou/dog" in output  # VOC's class 12, named by the palette


def test_grey_images_with_in_channels_1(capsys, tmp_path: Path) -> None:
    root = _squares(tmp_path / "data", 12, lambda i: 0 if i is None else 1, mode="L")
    code, output = run_cli(capsys, "seg", "train", "data=mask_folder", f"data.root={root}", "data.num_classes=2",
                        "data.in_channels=1", *FAST)
    assert code == 0, output[-3000:]
    assert "resolved: data.image_size=auto -> 32" in output  # 24 px rounded up to one encoder stride


def test_inspect_overlays_the_masks(capsys, tmp_path: Path) -> None:
    root = _squares(tmp_path / "data", 12, lambda i: 0 if i is None else 1)
    code, output = run_cli(capsys, "seg", "inspect", "data=mask_folder", f"data.root={root}", "data.num_classes=2",
                        "data.num_workers=0", "extras.print_config=false")
    assert code == 0, output[-3000:]
    assert "pixels per class" in output and "no problem found" in output
    (png,) = (tmp_path / "outputs" / "seg" / "inspect").glob("*/*/train_samples.png")
    assert Image.open(png).size[0] > 200


def _camvid_named(root: Path, count: int = 8) -> Path:
    """Images ``X.png`` with CamVid-style masks ``X_L.png`` (the name inspect must pair)."""
    _squares(root, count, lambda i: 0 if i is None else 1)
    for mask in sorted((root / "train" / "masks").glob("*.png")):
        mask.rename(mask.with_name(f"{mask.stem}_L.png"))
    return root


def test_inspect_on_masks_that_do_not_pair_prints_the_report_and_its_hint_pairs_them(capsys, tmp_path: Path) -> None:
    root = _camvid_named(tmp_path / "camvid")
    args = ["seg", "inspect", "data=mask_folder", f"data.root={root}", "data.num_classes=2", "data.num_workers=0",
            "extras.print_config=false"]
    code, output = run_cli(capsys, *args)
    assert code == 2 and "Traceback" not in output and "needs image files to measure" not in output
    assert f"no mask for image {root / 'train' / 'images' / '000.png'}" in output
    hint = re.search(r"set (data\.mask_suffix=\S+) \(pairs 8 of these 8 images", output)
    assert hint is not None, output[-3000:]
    # the old advice (set data.image_size) now gets the same report, not a StopIteration
    code, output = run_cli(capsys, *args, "data.image_size=32")
    assert code == 2 and "Traceback" not in output and "StopIteration" not in output
    assert "no training samples drawn" in output and "data.mask_suffix=_L.png" in output
    code, output = run_cli(capsys, *args, hint.group(1))
    assert code == 0, output[-3000:]
    assert "no problem found" in output and "train_samples.png" in output


@pytest.mark.slow
def test_sideways_phone_photos_with_upright_masks_train(capsys, tmp_path: Path) -> None:
    from nnframe.core.testing import write_rotated_jpeg

    root = _squares(tmp_path / "data", 12, lambda i: 0 if i is None else 1, size=32)
    for i in range(0, 12, 2):  # half of them as a phone stores a photo taken sideways, non-square
        path = root / "train" / "images" / f"{i:03d}.png"
        upright = Image.open(path).convert("RGB").crop((0, 0, 32, 24))
        path.unlink()
        write_rotated_jpeg(path.with_suffix(".jpg"), upright, 6)
        mask = root / "train" / "masks" / f"{i:03d}.png"
        Image.open(mask).crop((0, 0, 32, 24)).save(mask)
    code, output = run_cli(capsys, "seg", "train", "data=mask_folder", f"data.root={root}", "data.num_classes=2",
                           *FAST)
    assert code == 0, output[-3000:]
    assert "do not have their image's size" not in output


def test_inspect_with_jpeg_colour_masks_prints_the_report_not_the_first_failing_sample(capsys, tmp_path: Path) -> None:
    colours = voc_colormap()
    root = _squares(tmp_path / "data", 8, lambda i: tuple(int(c) for c in colours[0 if i is None else 1]))
    for i in range(2):  # saved as JPEG: the colours along the edges are no palette colour any more
        mask = root / "train" / "masks" / f"{i:03d}.png"
        Image.open(mask).convert("RGB").save(mask.with_suffix(".jpg"), quality=75)
        mask.unlink()
    code, output = run_cli(capsys, "seg", "inspect", "data=mask_folder", f"data.root={root}", "data.palette=voc",
                           "data.num_workers=0", "extras.print_config=false")
    assert code == 2 and "Traceback" not in output
    assert "2 masks are stored in a lossy format" in output and "save the label maps as PNG" in output
    assert "add it to the palette" not in output  # the old advice, from the first sample drawn
