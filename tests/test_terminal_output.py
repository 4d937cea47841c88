"""What a user's terminal shows: the default demo run in a pseudo-terminal (Rich's live bars,
colours), read whole as the terminal renders it; and a failing command's output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnframe.core.testing import render_screen, run_in_terminal

pytestmark = pytest.mark.slow

COLUMNS = 120
EPOCHS = 3
# The default demo (`nnframe cls train`) with its sizes shrunk; bar, loggers and callbacks as they are.
DEMO = ["cls", "train", "data.num_train=320", "data.num_val=64", "data.num_test=64", "data.image_size=16",
        "data.batch_size=16", f"trainer.max_epochs={EPOCHS}"]
EPOCH_LINE = re.compile(r"epoch (\d+): [\d.]+ s, \d+% waiting for data, \d+% compute, \d+ img/s")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1"}


def test_the_demo_reads_cleanly_in_a_terminal(tmp_path: Path) -> None:
    code, output = run_in_terminal([sys.executable, "-m", "nnframe.core.cli", *DEMO], columns=COLUMNS, rows=40,
                                   env=_env(tmp_path), cwd=tmp_path, timeout=600)
    screen = render_screen(output, columns=COLUMNS)
    text = "\n".join(screen)
    assert code == 0, text[-4000:]
    # Each epoch line stands on its own line, once, none glued to or overwritten by the bar.
    epoch_lines = [line for line in screen if "waiting for data" in line]
    assert [EPOCH_LINE.fullmatch(line) is not None for line in epoch_lines] == [True] * EPOCHS, text[-4000:]
    assert [int(EPOCH_LINE.fullmatch(line).group(1)) for line in epoch_lines] == list(range(EPOCHS))
    stopped = [line for line in screen if "`Trainer.fit` stopped" in line]
    assert stopped == [f"`Trainer.fit` stopped: `max_epochs={EPOCHS}` reached."], text[-4000:]
    # The bar's line fits the terminal: the monitored metric and its best value in it, no metric
    # wrapped onto a line of its own.
    bars = [line for line in screen if line.startswith(f"Epoch {EPOCHS - 1}/")]
    assert len(bars) == 1 and "val/acc: " in bars[0] and "best: " in bars[0], text[-4000:]
    assert not [line for line in screen if re.match(r"\s*[\w/]+: \d+\.\d{3}( |$)", line)], text[-4000:]
    # A path printed while a bar is live is written whole (the terminal wraps it), not cut into lines.
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    restored = re.findall(r"Loaded model weights from the checkpoint at (\S+)", plain)
    assert restored and Path(restored[0].rstrip(".")).is_file(), restored
    # Nothing said twice; the config tree once (a started run).
    for once in ("GPU available", "run directory:", "best checkpoint:", "final metrics"):
        assert sum(line.startswith(once) for line in screen) == 1, (once, text[-4000:])
    assert sum(line == "CONFIG" for line in screen) == 1


def test_a_failing_command_prints_its_error_without_the_config_tree(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", "cls", "train", "data=image_folder",
                           f"data.root={tmp_path / 'missing'}"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "nnframe: error:" in output and str(tmp_path / "missing") in output, output[-3000:]
    assert "CONFIG" not in output and "_target_" not in output, output[:3000]
    assert "preprocessing: normalization" not in output  # nothing said about data that is not there


def test_tune_draws_its_bar_once_and_says_why_the_batch_size_is_kept(tmp_path: Path) -> None:
    code, output = run_in_terminal([sys.executable, "-m", "nnframe.core.cli", "cls", "tune", "data.num_train=320",
                                    "data.num_val=64", "data.image_size=16", "tune.num_steps=10"], columns=COLUMNS,
                                   rows=40, env=_env(tmp_path), cwd=tmp_path, timeout=600)
    screen = render_screen(output, columns=COLUMNS)
    text = "\n".join(screen)
    assert code == 0, text[-4000:]
    bars = [line for line in screen if line.startswith("Finding best initial lr")]
    assert len(bars) == 1 and "10/10" in bars[0], text[-4000:]
    assert "`Trainer.fit` stopped" not in text and ".lr_find_" not in text  # the tuner's own fits and checkpoint
    note = next(line for line in screen if line.startswith("note: batch size"))
    assert note.startswith("note: batch size kept at 64, not searched: with 320 training images, a larger batch (128)")
