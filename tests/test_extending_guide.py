"""The README's "Extending nnframe" guide works when followed word for word.

Every fenced ``python`` or ``yaml`` block of the section that a line such as "`stripes.py`:"
introduces is written to that file, in a fresh folder outside the repository; then every
command of the section's ``bash`` blocks that uses those files (``--config-dir`` or a written
script) runs there through the real ``nnframe`` command, with the default callbacks, loggers
and progress bar; only the epochs and training images are cut down. The error the guide quotes
is the one a dataset without ``class_names`` gets.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing.markdown import fenced_blocks, introduced_files

ROOT = Path(__file__).resolve().parents[1]
NNFRAME = Path(sys.executable).with_name("nnframe")
SHORT = ["trainer.max_epochs=1", "data.num_train=800"]


def guide_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Extending nnframe")
    end = text.index("\n## ", start + 3)
    return text[start:end]


def guide_files() -> dict[str, str]:
    return introduced_files(guide_section(), ("python", "yaml"))


def guide_commands(files: dict[str, str]) -> list[list[str]]:
    """The bash commands of the guide that use the written files."""
    commands = []
    for language, code, _ in fenced_blocks(guide_section()):
        if language != "bash" or "nnframe init" in code:  # the init flow: tests/test_own_project.py
            continue
        for line in code.splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[0] == "cd":
                continue
            uses_files = "--config-dir" in words or any(w in files for w in words)
            if uses_files and words[0] in ("nnframe", "python"):
                commands.append(words)
    return commands


def test_guide_has_the_files_and_commands() -> None:
    files = guide_files()
    assert {"stripes.py", "configs/data/stripes.yaml", "configs/experiment/stripes.yaml", "train_stripes.py",
            "printing_callback.py", "configs/callbacks/with_print.yaml"} <= set(files)
    assert len(guide_commands(files)) >= 4


def _run(words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    program = [str(NNFRAME)] if words[0] == "nnframe" else [sys.executable]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNFRAME_")}
    return subprocess.run([*program, *words[1:], *SHORT], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.mark.slow
def test_guide_followed_word_for_word(tmp_path: Path) -> None:
    files = guide_files()
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    for words in guide_commands(files):
        result = _run(words, tmp_path)
        assert result.returncode == 0, f"`{shlex.join(words)}` failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        output = result.stdout + result.stderr
        if words[0] == "python":
            assert re.search(r"val/acc \d\.\d{3}", output), output[-2000:]
        if "callbacks=with_print" in words:
            assert "epoch 0: val/acc" in output, output[-2000:]  # the user's own callback ran
    runs = sorted((tmp_path / "outputs" / "cls" / "train").glob("*/*/run.json"))
    assert len(runs) == len(guide_commands(files)) - 1  # the Python script writes no run.json
    runs = sorted((tmp_path / "outputs" / "cls" / "train" / "stripes").iterdir())
    record = json.loads((runs[0] / "run.json").read_text())
    assert record["status"] == "completed"
    # Vertical vs horizontal stripes are easy: one epoch of 2000 images is far above chance.
    assert record["metrics"]["val/acc"] > 0.8
    assert (runs[0] / "checkpoints" / "last.ckpt").is_file()


def test_the_quoted_error_is_what_a_dataset_without_class_names_gets(tmp_path: Path) -> None:
    quoted = next(code for language, code, _ in fenced_blocks(guide_section()) if language == "text")
    stripes = guide_files()["stripes.py"]
    without_names = stripes.replace('    class_names = ["horizontal", "vertical"]\n', "")
    assert without_names != stripes
    (tmp_path / "stripes.py").write_text(without_names)
    script = "import stripes\ntry:\n    stripes.StripesDataset(4)\nexcept TypeError as error:\n    print(error)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().splitlines()[:2] == quoted.strip().splitlines()
