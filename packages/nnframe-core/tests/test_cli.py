"""The nnframe command: help at every level, list, and clear errors for unknown words."""

from __future__ import annotations

import pytest

from nnframe.core.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_top_level_help_lists_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "usage: nnframe <task> <action>" in out and "cls" in out


def test_task_and_action_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["cls", "--help"], capsys)
    assert code == 0 and "train" in out and "eval" in out and "predict" in out
    code, out, _ = run(["cls", "train", "--help"], capsys)
    assert code == 0 and "experiment" in out and "cifar10_resnet18" in out


def test_list_shows_groups_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["list"], capsys)
    assert code == 0
    cls_block = out.split("cls:", 1)[1]
    for expected in ("experiment", "cifar10_resnet18", "shapes", "model", "simple_cnn", "data", "image_folder",
                     "trainer", "ddp", "logger", "tensorboard"):
        assert expected in cls_block, expected
    # The options stand in one column, whatever the longest group name (hparams_search)
    rows = [line for line in cls_block.split("\n\n")[0].splitlines()[1:] if not line.lstrip().startswith("actions:")]
    assert len({len(line) - len(line.split(None, 1)[1]) for line in rows}) == 1, rows


def test_list_leaves_out_base_files(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench/_defaults`` (keys every suite shares) and ``debug/default`` (what the debug configs
    start from) are not options."""
    _, out, _ = run(["list", "cls"], capsys)
    groups = {line.split()[0]: line.split(None, 1)[1].split(", ") for line in out.splitlines()[2:] if line.strip()}
    assert "_defaults" not in groups["bench"] and "cpu_tiny" in groups["bench"]
    assert "default" not in groups["debug"] and "overfit" in groups["debug"]
    assert "default" in groups["trainer"]  # a real option named default stays


def test_unknown_task_and_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["clss", "train"], capsys)
    assert code == 2 and "unknown task 'clss'" in err and "cls" in err
    code, _, err = run(["cls", "trian"], capsys)
    assert code == 2 and "unknown action 'trian'" in err and "train" in err


def test_unknown_group_option_lists_choices(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, out, err = run(["cls", "train", "model=resnet9000", f"hydra.run.dir={tmp_path}"], capsys)
    assert code != 0
    message = out + err
    assert "model/resnet9000" in message and "simple_cnn" in message and "cifar_resnet18" in message


def test_unknown_key_is_named(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, out, err = run(["cls", "train", "trainer.max_epoch=3", f"hydra.run.dir={tmp_path}"], capsys)
    assert code != 0 and "max_epoch" in out + err


def test_cfg_job_prints_config_without_running(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, out, _ = run(["cls", "train", "--cfg", "job", "data.batch_size=7"], capsys)
    assert code == 0 and "batch_size: 7" in out and "_target_: nnframe.cls.ClassificationModule" in out
