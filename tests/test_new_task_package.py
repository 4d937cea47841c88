"""The README's "A new kind of task" walkthrough, followed word for word (issue 23's Done-when).

Every block of the walkthrough that a line such as "`nnframe-boxes/.../data.py`:" introduces is
written to that file in a temporary folder outside the repository: a task package whose targets
are a dict of boxes and labels per image, collated as lists. Its ``bash`` block then runs there:
the package is installed as the guide says (``uv pip install -e``) into a throwaway environment
layered on this one (a ``.pth`` file adds this environment's site-packages, so nothing is copied
and this environment is left as it was), and ``train``, ``eval``, ``predict``, ``export`` and
``inspect`` run through the real ``nnframe`` command with the default callbacks, loggers and
progress bar; only the epochs and images are cut down. Each action succeeds, and the core
features that cannot apply to boxes (the sample and prediction figures) say so by name. No file
of nnframe-core is edited for the task.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnframe.core.task_registry import discover_tasks

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"train": ["trainer.max_epochs=2", "data.num_train=256", "data.num_val=64", "data.num_test=64"],
         "inspect": ["data.num_train=64", "data.num_val=64", "data.num_test=64"]}
_FILE_NAME = re.compile(r"`(?P<path>[\w./-]+\.(?:py|yaml|toml))`")
_NOT_APPLICABLE = re.compile(r"^(?P<feature>.+): not applicable to this task \((?P<reason>.+)\)$", re.MULTILINE)


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("#### A new kind of task")
    return text[start:text.index("\n## ", start)]


def blocks(text: str) -> list[tuple[str, str, str]]:
    """``(language, code, the paragraph before the block)`` of every fenced block."""
    found, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[index])
        if not match:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        start = index
        while start > 0 and lines[start - 1].strip() == "":
            start -= 1
        first = start
        while first > 0 and lines[first - 1].strip() and not lines[first - 1].startswith("```"):
            first -= 1
        found.append((match.group(1), "\n".join(lines[index + 1:end]) + "\n", " ".join(lines[first:start])))
        index = end + 1
    return found


def walkthrough_files() -> dict[str, str]:
    files = {}
    for language, code, before in blocks(walkthrough()):
        intro = before.strip()
        match = _FILE_NAME.search(intro.rsplit(". ", 1)[-1]) if intro.endswith(":") else None
        if language in ("python", "yaml", "toml") and match:
            files[match.group("path")] = code
    return files


def walkthrough_commands() -> list[list[str]]:
    (code,) = [code for language, code, _ in blocks(walkthrough()) if language == "bash"]
    return [shlex.split(line, comments=True) for line in code.splitlines() if shlex.split(line, comments=True)]


def test_walkthrough_has_the_package_and_every_action() -> None:
    files = walkthrough_files()
    assert {"nnframe-boxes/pyproject.toml", "nnframe-boxes/src/nnframe/boxes/task.py",
            "nnframe-boxes/src/nnframe/boxes/data.py", "nnframe-boxes/src/nnframe/boxes/module.py",
            "nnframe-boxes/src/nnframe/boxes/configs/config.yaml"} <= set(files)
    actions = [words[2] for words in walkthrough_commands() if words[0] == "nnframe"]
    assert actions == ["train", "eval", "predict", "export", "inspect"]


def _layered_environment(folder: Path) -> Path:
    """A new virtual environment that sees this one's packages; returns its Python."""
    uv = shutil.which("uv")
    assert uv, "the walkthrough installs with uv: put uv on PATH"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "_nnframe_test_base.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def _run(words: list[str], cwd: Path, python: Path) -> str:
    """One command of the walkthrough, in the throwaway environment; returns its output."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NNFRAME_", "VIRTUAL_ENV"))}
    env["OMP_NUM_THREADS"] = "1"
    if words[0] == "touch":
        Path(cwd, words[1]).touch()
        return ""
    if words[:3] == ["uv", "pip", "install"]:  # into the throwaway environment, which has nnframe-core
        command = [shutil.which("uv") or "uv", *words[1:3], "--python", str(python), "--no-deps", *words[3:]]
    else:
        assert words[0] == "nnframe", words
        command = [str(python), "-m", "nnframe.core.cli", *words[1:], *SHORT.get(words[2], [])]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"`{shlex.join(words)}` failed:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    for match in _NOT_APPLICABLE.finditer(output):  # each said once, with its reason
        assert output.count(match.group(0)) == 1, match.group(0)
    return output


def test_a_task_with_dict_targets_runs_every_action_without_editing_core(tmp_path: Path) -> None:
    work = tmp_path / "work"
    for name, code in walkthrough_files().items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    images = work / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(images / f"{index}.png")
    python = _layered_environment(tmp_path / "venv")

    outputs: dict[str, str] = {}
    checkpoint = ""
    for words in walkthrough_commands():
        words = [word.replace("outputs/boxes/train/default/<time>/checkpoints/last.ckpt", checkpoint)
                 .replace("<images>", str(images)) for word in words]
        output = _run(words, work, python)
        if words[0] == "nnframe":
            outputs[words[2]] = output
        if words[:3] == ["nnframe", "boxes", "train"]:
            (last,) = (work / "outputs" / "boxes" / "train" / "default").glob("*/checkpoints/last.ckpt")
            checkpoint = str(last)

    said = {m.group("feature") for text in outputs.values() for m in _NOT_APPLICABLE.finditer(text)}
    assert {"train/samples figure", "val/predictions figure", "inspect's train_samples.png"} <= said
    (run,) = (work / "outputs" / "boxes" / "train" / "default").iterdir()
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed"
    assert record["metrics"]["val/iou"] > 0.2  # the boxes overlap the shapes' (a random box: ~0.1)
    assert "val/classes" not in " ".join(record["metrics"])
    assert re.search(r"epoch 1: .* \d+ img/s", outputs["train"])
    assert "test/iou" in outputs["eval"]
    (predictions,) = (work / "outputs" / "boxes" / "predict" / "default").glob("*/predictions/predictions.csv")
    rows = list(csv.reader(predictions.open()))
    assert rows[0] == ["path", "x1", "y1", "x2", "y2"]
    assert sorted(Path(row[0]).name for row in rows[1:]) == ["0.png", "1.png", "2.png"]
    (onnx,) = (work / "outputs" / "boxes" / "export" / "default").glob("*/model.onnx")
    assert json.loads(onnx.with_suffix(".json").read_text())["outputs"][0]["shape"] == ["batch", 4]
    # Installed in the throwaway environment only.
    assert "boxes" not in discover_tasks()
