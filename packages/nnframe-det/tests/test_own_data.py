"""Training on files in the three formats through the real command: data=coco, data=voc, data=yolo."""

from __future__ import annotations

import pytest

from nnframe.core.errors import ConfigError
from nnframe.det.data import ShapesDetectionDataModule
from nnframe.det.testing import write_coco, write_voc, write_yolo

SMALL = ["data.image_size=48", "data.batch_size=2", "data.num_workers=0", "data.persistent_workers=false",
         "data.pin_memory=false", "trainer.max_epochs=1", "test=false"]


def _data_args(fmt: str, root) -> list[str]:
    if fmt == "coco":
        annotations, images = write_coco(root)
        return ["data=coco", f"data.train_annotations={annotations}", f"data.train_images={images}",
                f"data.val_annotations={annotations}", f"data.val_images={images}"]
    if fmt == "voc":
        write_voc(root, image_set="train")
        write_voc(root, image_set="val")
        return ["data=voc", f"data.root={root}", "data.class_names=[cat,dog]"]
    write_yolo(root, split="train")
    write_yolo(root, split="val")
    return ["data=yolo", f"data.root={root}"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo"])
def test_train_on_files(fmt, tmp_path, capsys, monkeypatch):
    from nnframe.core.testing import run_cli

    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    code, output = run_cli(capsys, "det", "train", *_data_args(fmt, tmp_path / "data"), *SMALL,
                           f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 0, output[-3000:]
    assert "1 of 3 images have no boxes" in output  # the pre-flight check's note, c.jpg
    assert list((tmp_path / "run" / "checkpoints").glob("epoch_*.ckpt"))


def test_on_device_is_refused_by_name():
    datamodule = ShapesDetectionDataModule(num_train=8, num_val=4, num_test=4, image_size=48, on_device=True)
    with pytest.raises(ConfigError, match=r"data\.on_device=false"):
        datamodule.setup("fit")
        datamodule.train_dataloader()
