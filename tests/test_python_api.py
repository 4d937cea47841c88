"""The Python API: ``compose`` gives what the command line runs, and the run functions take it, for
every installed task (its ``TaskSpec.smoke_overrides`` and ``monitor``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from nnframe.core import compose, evaluate, export, predict, train
from nnframe.core.cli import main
from nnframe.core.composition import hydra_config_of
from nnframe.core.errors import ConfigError
from nnframe.core.task_registry import discover_tasks

TASKS = discover_tasks()
SIZES = ["data.num_train=256", "data.num_val=64", "data.num_test=64", "trainer.max_epochs=1"]


def tiny(task: str) -> list[str]:
    return [*TASKS[task].smoke_overrides, *SIZES]


@pytest.fixture(autouse=True)
def _outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.delenv("NNFRAME_CONFIG_DIR", raising=False)


def test_import_and_compose_do_not_import_torch() -> None:
    script = ("import sys\nfrom nnframe.core import compose\n"
              f"for task in {list(TASKS)!r}:\n    compose(task, ['trainer.max_epochs=1'])\n"
              "print(sorted(m for m in ('torch', 'lightning') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _without_run_dir(node: object, run_dir: str | None) -> object:
    """``node`` with the run directory written as RUN (``--cfg job`` has none: it prints None)."""
    if isinstance(node, dict):
        return {k: _without_run_dir(v, run_dir) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_run_dir(v, run_dir) for v in node]
    if node is None or node == run_dir:
        return "RUN"
    if isinstance(node, str):
        return node.replace(str(run_dir), "RUN") if node.startswith(str(run_dir)) else node
    return node


@pytest.mark.parametrize("task", TASKS)
def test_compose_gives_the_command_lines_config(task: str, capsys: pytest.CaptureFixture[str]) -> None:
    lr_key = compose(task).tune.lr_key  # the task's learning rate, e.g. model.optimizer.lr
    overrides = [*TASKS[task].smoke_overrides, "data.batch_size=16", f"{lr_key}=0.01"]
    assert main([task, "train", "--cfg", "job", "--resolve", *overrides]) == 0
    cli = yaml.safe_load(capsys.readouterr().out)
    api = OmegaConf.to_container(compose(task, overrides), resolve=True)
    for key in ("data", "model", "trainer", "callbacks", "logger", "run_name", "monitor", "task_name", "action"):
        assert _without_run_dir(api[key], api["paths"]["output_dir"]) == _without_run_dir(cli[key], None), key
    assert api["paths"]["log_dir"] == cli["paths"]["log_dir"]
    assert Path(api["paths"]["output_dir"]).parent == Path(cli["paths"]["log_dir"]) / task / "train" / cli["run_name"]


@pytest.mark.parametrize("task", TASKS)
def test_each_compose_is_a_run_of_its_own(task: str, tmp_path: Path) -> None:
    first, second = compose(task, tiny(task)), compose(task, tiny(task))
    base = tmp_path / "outputs" / task / "train" / first.run_name  # e.g. outputs/cls/train/shapes
    assert Path(first.paths.output_dir).parent == base == Path(second.paths.output_dir).parent
    assert first.paths.output_dir != second.paths.output_dir
    assert not Path(first.paths.output_dir).exists()  # created by the run, not by composing
    evaluation = compose(task, ["ckpt_path=x.ckpt"], action="eval")
    assert Path(evaluation.paths.output_dir).parent == tmp_path / "outputs" / task / "eval" / first.run_name


def test_hydra_values_and_overrides_stay_with_their_config() -> None:
    ssl = compose("ssl", ["experiment=cifar10_resnet18", "method=byol"])
    cls = compose("cls", ["data.num_val=16"])
    assert ssl.run_name == "cifar10_byol"  # ${hydra:runtime.choices.method}, resolved when composed
    assert "/ssl/train/cifar10_byol/" in ssl.paths.output_dir
    assert hydra_config_of(ssl).overrides.task == ["action=train", "experiment=cifar10_resnet18", "method=byol"]
    assert hydra_config_of(ssl).runtime.choices.method == "byol"
    assert hydra_config_of(cls).overrides.task == ["action=train", "data.num_val=16"]


def test_config_dir_and_its_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "configs" / "data").mkdir(parents=True)
    (project / "configs" / "data" / "tiny_shapes.yaml").write_text(
        "defaults:\n  - shapes\n  - _self_\nnum_train: 64\n")
    monkeypatch.chdir(tmp_path)
    cfg = compose("cls", ["data=tiny_shapes"], config_dir="project/configs")
    assert cfg.data.num_train == 64 and cfg.data._target_ == "nnframe.core.data.ShapesDataModule"
    assert str(project) in sys.path  # the folder holding the config dir: its modules are importable
    monkeypatch.setenv("NNFRAME_CONFIG_DIR", str(project / "configs"))
    assert compose("cls", ["data=tiny_shapes"]).data.num_train == 64
    with pytest.raises(ConfigError, match="no such folder"):
        compose("cls", [], config_dir="nowhere")


def test_bad_calls_say_what_to_do() -> None:
    with pytest.raises(ConfigError, match="unknown task 'clss'; installed tasks: cls"):
        compose("clss")
    with pytest.raises(ConfigError, match="unknown action 'fit' for task 'cls'; choose one of: train"):
        compose("cls", action="fit")
    with pytest.raises(ConfigError, match=r"a list of strings, e.g. \['trainer.max_epochs=1'\]"):
        compose("cls", "trainer.max_epochs=1")  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_compose_train_evaluate_predict_export(task: str, tmp_path: Path) -> None:
    from PIL import Image

    from nnframe.core.checkpointing import read_checkpoint_metadata
    from nnframe.core.data import generate_shapes
    from nnframe.core.training.checkpoint_config import apply_checkpoint_config

    monitored = TASKS[task].monitor
    tested = "test/" + monitored.split("/", 1)[1]  # val/acc -> test/acc
    cfg = compose(task, tiny(task))  # the default callbacks, logger and progress bar
    metrics = train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert {monitored, tested} <= set(metrics)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file() and (run_dir / "config.yaml").is_file()
    checkpoint = run_dir / "checkpoints" / "last.ckpt"

    evaluation = compose(task, [f"ckpt_path={checkpoint}", "data.num_val=32"], action="eval")
    compose(task, ["data.num_val=16"])  # composed later: must not change the evaluation's overrides
    rebuilt = apply_checkpoint_config(evaluation, read_checkpoint_metadata(checkpoint, task))
    assert rebuilt.data.num_val == 32 and rebuilt.data.num_train == 256
    assert set(evaluate(evaluation)) >= {monitored, tested}

    images = tmp_path / "images"
    images.mkdir()
    for index, image in enumerate(generate_shapes(3, image_size=32, seed=5).images):
        Image.fromarray(image).save(images / f"{index}.png")
    csv_path = predict(compose(task, [f"ckpt_path={checkpoint}", f"predict.input_dir={images}"], action="predict"))
    rows = csv_path.read_text().strip().splitlines()[1:]  # one per image, or per detection
    assert rows and {Path(row.split(",")[0]).name for row in rows} <= {"0.png", "1.png", "2.png"}, rows
    if TASKS[task].actions["export"].function.startswith("nnframe.core."):  # not a task's own export (ssl's)
        result = export(compose(task, [f"ckpt_path={checkpoint}", "export.format=onnx"], action="export"))
        assert result.path.is_file() and f"/{task}/export/" in str(result.path)
