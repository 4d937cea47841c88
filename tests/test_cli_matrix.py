"""Every action that ``nnframe <task> --help`` lists, for every installed task, through the real
``nnframe`` command in a subprocess, with the default callbacks, loggers and progress bar: only
sizes, epochs and batches are shrunk. One tiny training per task is reused by the actions that
need a checkpoint. An action this file does not know yet is still run (with the checkpoint and
the tiny data), so a new action is covered by this test from the day it is added.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.cli import main
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import followed_tensorboard_hint

pytestmark = pytest.mark.slow

TASKS = discover_tasks()
# Each task's tiny sizes (TaskSpec.smoke_overrides: smaller than the defaults, nothing switched off)
# and monitored metric (TaskSpec.monitor): a task installed later is run here with no edit.
TRAIN = ["trainer.max_epochs=1"]


def tiny(task: str) -> list[str]:
    return list(TASKS[task].smoke_overrides)


def monitor(task: str) -> str:
    return TASKS[task].monitor


def run_nnframe(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``nnframe <args>`` in a new process (as a user runs it; its output is not a terminal)."""
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def _ok(done: subprocess.CompletedProcess[str], warnings_hidden: bool = True) -> str:
    """The output of a run that succeeded, and said nothing a user should not have to read."""
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"exit {done.returncode}:\n{output[-4000:]}"
    assert "Traceback" not in output and "💡" not in output, output[-4000:]  # no Lightning tips either
    if warnings_hidden:  # extras.ignore_warnings=true: no library warnings (they name a file in site-packages)
        assert "site-packages" not in output, output[-4000:]
    assert "\x1b[" not in output  # no colour codes: the output is not a terminal
    return output


def listed_actions(task: str) -> list[str]:
    """The actions ``nnframe <task> --help`` prints (the lines under ``actions:``)."""
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", task, "--help"], capture_output=True,
                          text=True, timeout=60)
    lines = done.stdout.split("actions:", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split()[0] for line in lines if line.strip()]


def _cases() -> list:
    return [pytest.param(task, action, id=f"{task}-{action}") for task in TASKS for action in listed_actions(task)]


def _composed(task: str, action: str, *overrides: str):
    """``nnframe <task> <action>``'s config (composed in this process: nothing runs)."""
    from nnframe.core.testing import compose_task_config

    spec = TASKS[task]
    return compose_task_config(spec.config_package, list(overrides), action=action,
                               config_name=spec.actions[action].config_name)


def _hydra_value(value: object) -> str:
    """``value`` (a config's list, dict or scalar) written in Hydra's override grammar."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{_hydra_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_hydra_value(item) for item in value) + "]"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value) if isinstance(value, str) else str(value)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_matrix")


@pytest.fixture(scope="module")
def trained() -> dict[str, tuple[Path, str]]:
    return {}


def train_once(task: str, workdir: Path, trained: dict[str, tuple[Path, str]]) -> tuple[Path, str]:
    """``nnframe <task> train`` (tiny, one epoch), once per task: its run directory and output."""
    if task not in trained:
        run_dir = workdir / f"{task}_train"
        done = run_nnframe(task, "train", *tiny(task), *TRAIN, f"hydra.run.dir={run_dir}", cwd=workdir)
        trained[task] = (run_dir, _ok(done))
    return trained[task]


def _images(folder: Path, count: int = 3, size: int = 24) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (size, size + 4, 3), dtype=np.uint8)).save(folder / f"img_{i}.png")
    return folder


def check_train(task: str, run_dir: Path, output: str, workdir: Path) -> None:
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and monitor(task) in record["metrics"], record
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert (run_dir / "run.json").stat().st_mode & 0o077 == 0o044  # readable by all, as under umask 022
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert "run directory:" in output and "Total FLOPs:" in output and "Total FLOPs: 0 " not in output
    # The TensorBoard hint, followed: its folder holds this run's events and the HPARAMS summary,
    # whose first column is the monitored metric (a run placed outside the log directory: its own).
    assert followed_tensorboard_hint(output, run_dir)[0] == ("", monitor(task))
    assert "0.00it/s" not in output
    # The start-up tree shows what training uses, paths whole (not cut at 80 columns).
    tree = re.split(r"\n(?:preprocessing|data):", output.split("CONFIG", 1)[1], maxsplit=1)[0]  # after the data check
    assert "├── trainer" in tree and f"dirpath={run_dir / 'checkpoints'}, " in tree
    assert not re.search(r"^[├└]── (tune|export|bench|predict|linear|extras)\b", tree, re.MULTILINE), tree


def check_eval(task: str, ckpt: Path, workdir: Path) -> None:
    run_dir = workdir / f"{task}_eval"
    output = _ok(run_nnframe(task, "eval", *tiny(task), f"ckpt_path={ckpt}", f"hydra.run.dir={run_dir}", cwd=workdir))
    assert f"evaluation of {ckpt}" in output and monitor(task) in output
    # What it measured only (not training's best so far), the checkpoint read once, and like
    # train: its run directory printed last and its run.json for `nnframe runs`.
    table = output.split(f"evaluation of {ckpt}", 1)[1]
    assert f"{monitor(task)}_best" not in table, table
    assert output.count("Restoring states from the checkpoint") == 1, output[-4000:]
    assert output.count("Loaded model weights from the checkpoint") == 1, output[-4000:]
    assert f"run directory: {run_dir}" in table
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and record["action"] == "eval" and monitor(task) in record["metrics"]
    assert f"{monitor(task)}_best" not in record["metrics"], record


def check_predict(task: str, ckpt: Path, workdir: Path) -> None:
    images = _images(workdir / f"{task}_images")
    (images / "notes.txt").write_text("taken on the 3rd\n")  # not an image: ignored, and said so
    run_dir = workdir / f"{task}_predict"
    output = _ok(run_nnframe(task, "predict", f"ckpt_path={ckpt}", f"predict.input_dir={images}",
                             "predict.output_dir=out", f"hydra.run.dir={run_dir}", cwd=workdir))
    out = run_dir / "out"  # a relative output folder is inside the run directory
    assert f"predicted 3 images from {images}" in output, output[-3000:]
    assert "ignored 1 file: notes.txt - not an image file extension (.txt)" in output, output[-3000:]
    assert re.search(rf"^predictions: +{re.escape(str(out / 'predictions.csv'))}$", output, re.MULTILINE), output[-3000:]
    # Every folder it writes beside the table is named at the end too (seg's masks).
    assert all(str(folder) in output for folder in out.iterdir() if folder.is_dir()), output[-3000:]
    image_files = [p for p in images.iterdir() if p.suffix == ".png"]
    rows = (out / "predictions.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "path", rows
    # One row per image, or per detection (det): every row names one of the images, and every image
    # is in the table or has a file of its own (an image without a detection above the threshold).
    named = {Path(row.split(",")[0]).name for row in rows[1:]}
    written = {p.stem for p in out.rglob("*") if p.is_file()}
    assert named <= {p.name for p in image_files} and len(rows) >= 2, rows
    assert all(p.name in named or p.stem in written for p in image_files), (named, written)
    # What a task writes beside the table holds one entry per image: a folder one file each (seg's
    # masks), an array one row each (ssl's embeddings; its columns say which row). The package's
    # own tests check the contents (seg: palette masks at image size; ssl: the backbone's features).
    for folder in (p for p in out.iterdir() if p.is_dir()):
        assert len([p for p in folder.rglob("*") if p.is_file()]) == 3, folder
    for array in out.glob("*.npy"):
        values = np.load(array)
        assert values.dtype == np.float32 and values.shape[0] == 3 and values.ndim == 2, array
        assert any(column.endswith("_row") for column in rows[0].split(",")), rows[0]


def check_tune(task: str, workdir: Path) -> None:
    run_dir = workdir / f"{task}_tune"
    output = _ok(run_nnframe(task, "tune", *tiny(task), "tune.num_steps=12", "tune.batch_size_steps=1",
                             f"hydra.run.dir={run_dir}", cwd=workdir))
    result = json.loads((run_dir / "tune.json").read_text())
    assert (run_dir / "lr_finder.png").is_file() and len(result["lr_curve"]["lr"]) == 12
    # What it prints to use composes for this task (e.g. ssl's learning rate is method.optimizer.lr).
    match = re.search(r"^use: (nnframe .*)$", output, re.MULTILINE)
    printed = shlex.split(match.group(1)) if match else shlex.split(f"nnframe {task} train")
    assert printed[1:3] == [task, "train"]
    assert main([*printed[1:], "--cfg", "job"]) == 0  # composes (in this process: no training)


def check_export(task: str, ckpt: Path, workdir: Path) -> None:
    run_dir = workdir / f"{task}_export"
    export = _composed(task, "export", "ckpt_path=x.ckpt").export
    one_file = "output" in export  # a task's own export to one file (ssl: the backbone)
    if one_file:  # its default name, made relative
        name = Path(str(export.output)).name
        relative = [f"export.output={name}"]
    else:  # core's export: a model file and its json in a folder
        relative = ["export.output_dir=deploy"]
    output = _ok(run_nnframe(task, "export", f"ckpt_path={ckpt}", *relative, f"hydra.run.dir={run_dir}",
                             cwd=workdir))
    # A relative output is inside the run directory.
    if one_file:
        assert (run_dir / name).is_file() and not (workdir / name).exists()
    else:
        assert (run_dir / "deploy" / "model.onnx").is_file() and (run_dir / "deploy" / "model.json").is_file()
    # The next command it prints (ssl: fine-tune the backbone) works as printed from another folder:
    # the file's path is absolute, not relative to the export's run directory.
    match = re.search(r"^fine-tune it: (nnframe .*)$", output, re.MULTILINE)
    if match:
        printed = shlex.split(match.group(1))
        elsewhere = workdir / f"{task}_export_elsewhere"
        elsewhere.mkdir()
        downstream = printed[1]
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(elsewhere)
            patch.setenv("NNFRAME_OUTPUT_DIR", str(elsewhere / "outputs"))
            assert main([*printed[1:], *tiny(downstream), *TRAIN, "test=false",
                         f"hydra.run.dir={elsewhere / 'run'}"]) == 0
        record = json.loads((elsewhere / "run" / "run.json").read_text())
        assert record["status"] == "completed", record


def check_bench(task: str, workdir: Path) -> None:
    run_dir = workdir / f"{task}_bench"
    from omegaconf import OmegaConf

    # One backbone per suite: the first of the task's bench=cpu_tiny list.
    (first, *_) = OmegaConf.to_container(_composed(task, "bench", "bench=cpu_tiny").bench.backbones)
    _ok(run_nnframe(task, "bench", "bench=cpu_tiny", "bench.precisions=[fp32]", "bench.warmup_steps=1",
                    "bench.steps=2", "bench.repeats=1", "bench.end_to_end_steps=2",
                    f"bench.backbones=[{_hydra_value(first)}]", f"hydra.run.dir={run_dir}", cwd=workdir))
    records = [json.loads(line) for line in (run_dir / "bench_results.jsonl").read_text().splitlines()]
    assert records and all(r["status"] == "ok" and r["train_img_s"] > 0 for r in records), records


def check_shard(task: str, workdir: Path) -> None:
    from nnframe.core.testing.datasets import write_shapes_folder

    root = write_shapes_folder(workdir / f"{task}_shard_folder", {"train": {"circle": 8, "square": 8},
                                                                   "val": {"circle": 4, "square": 4}}, image_size=16)
    shards = workdir / f"{task}_shards"
    output = _ok(run_nnframe(task, "shard", "data=image_folder", f"data.root={root}", f"shard.output_dir={shards.name}",
                             "shard.samples_per_shard=8", "data.batch_size=8", cwd=workdir))  # 16 images
    # A relative folder (from the working folder) is printed absolute: the command works from anywhere.
    assert f"{task} train data=webdataset data.shards={shards}`" in output
    model_only = [o for o in tiny(task) if not o.startswith("data.")]  # the shapes' sizes do not apply
    output = _ok(run_nnframe(task, "train", "data=webdataset", f"data.shards={shards}", "data.batch_size=8",
                             "data.num_workers=2", "trainer.max_epochs=1", *model_only,
                             f"hydra.run.dir={workdir / f'{task}_shard_run'}", cwd=workdir))
    assert "data: train 16, val 8, test 8" in output and monitor(task) in output


def check_linear(task: str, ckpt: Path, workdir: Path) -> None:
    output = _ok(run_nnframe(task, "linear", *tiny(task), f"ckpt_path={ckpt}", "linear.epochs=2", cwd=workdir))
    assert "linear/val_acc" in output


@pytest.mark.parametrize("task", TASKS)
def test_debug_fdr_runs_train_val_and_test_once_and_writes_no_checkpoint(task: str, workdir: Path) -> None:
    run_dir = workdir / f"{task}_fdr"
    # debug configs show warnings (extras.ignore_warnings=false)
    output = _ok(run_nnframe(task, "train", "debug=fdr", *tiny(task), f"hydra.run.dir={run_dir}", cwd=workdir),
                 warnings_hidden=False)
    test_metric = "test/" + monitor(task).split("/", 1)[1]
    assert monitor(task) in output and test_metric in output  # the README: one batch of train/val/test
    assert not (run_dir / "checkpoints").exists()


@pytest.mark.parametrize(("task", "action"), _cases())
def test_action_runs_as_the_help_says(task: str, action: str, workdir: Path,
                                      trained: dict[str, tuple[Path, str]]) -> None:
    run_dir, output = train_once(task, workdir, trained)
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    if action == "train":
        check_train(task, run_dir, output, workdir)
    elif action == "eval":
        check_eval(task, ckpt, workdir)
    elif action == "predict":
        check_predict(task, ckpt, workdir)
    elif action == "tune":
        check_tune(task, workdir)
    elif action == "export":
        check_export(task, ckpt, workdir)
    elif action == "bench":
        check_bench(task, workdir)
    elif action == "linear":
        check_linear(task, ckpt, workdir)
    elif action == "shard":
        check_shard(task, workdir)
    else:  # an action added after this test: it must at least run on the tiny data and checkpoint
        _ok(run_nnframe(task, action, *tiny(task), f"ckpt_path={ckpt}", cwd=workdir))
