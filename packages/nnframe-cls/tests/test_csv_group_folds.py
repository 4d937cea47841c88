"""``data=csv data.group_column=<column> cv.folds=N``: the key is in cls's CSV config and reaches the
datamodule, so a fold of the composed run validates on whole groups."""

from __future__ import annotations

from pathlib import Path

from nnframe.core.cv import apply_fold
from nnframe.core.testing import compose_task_config, write_image
from nnframe.core.training.instantiate import build_datamodule


def test_the_group_column_of_the_csv_config_keeps_a_subject_in_one_fold(tmp_path: Path) -> None:
    lines = ["path,label,subject"]
    for i in range(24):  # 8 subjects of 3 images, one label per subject
        write_image(tmp_path / f"{i}.png", size=(8, 8), seed=i)
        lines.append(f"{i}.png,{'ab'[i // 3 % 2]},s{i // 3}")
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    common = ["data=csv", f"data.csv={tmp_path / 'labels.csv'}", "data.num_workers=0", "data.image_size=8",
              "cv.folds=3", "cv.fold=0"]
    assert compose_task_config("nnframe.cls.configs", common).data.group_column is None
    cfg = compose_task_config("nnframe.cls.configs", [*common, "data.group_column=subject"],
                              output_dir=tmp_path / "run")
    datamodule = build_datamodule(cfg, stage="fit")
    apply_fold(datamodule, int(cfg.cv.folds), int(cfg.cv.fold), int(cfg.seed))
    subjects = {split: {int(Path(datamodule.datasets[split].dataset.samples[i][0]).stem) // 3
                        for i in datamodule.datasets[split].indices} for split in ("train", "val")}
    assert subjects["val"] and not subjects["train"] & subjects["val"]
