"""An override of a key the config lacks gets nnframe's message with the closest existing key
(Hydra's "+key=value" advice led to a TypeError), and following it runs; Hydra's other
composition errors are reported as before."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ["data.num_train=32", "data.num_val=16", "data.num_test=16", "data.image_size=16", "data.batch_size=16",
        "trainer.max_epochs=1", "extras.print_config=false"]


def _nnframe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)


@pytest.mark.slow
def test_a_misspelt_key_names_the_closest_one_and_following_it_trains(tmp_path: Path) -> None:
    done = _nnframe(tmp_path, "cls", "train", "model.optimizer.lrr=0.01", *TINY)
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in output and "+model.optimizer.lrr" not in output, output
    (error,) = re.findall(r"^nnframe: error: .*$", output, re.MULTILINE)
    suggestion = re.search(r"did you mean (\S+)\?", error).group(1)
    assert suggestion == "model.optimizer.lr=0.01", error

    listing = shlex.split(re.search(r"`(nnframe [^`]+)`", error).group(1))
    shown = _nnframe(tmp_path, *listing[1:])
    assert shown.returncode == 0 and re.search(r"^  optimizer:\n(    .*\n)*    lr: ", shown.stdout, re.MULTILINE)

    trained = _nnframe(tmp_path, "cls", "train", suggestion, *TINY)
    assert trained.returncode == 0, (trained.stdout + trained.stderr)[-3000:]


def test_other_composition_errors_keep_hydras_report(tmp_path: Path) -> None:
    done = _nnframe(tmp_path, "cls", "train", "model=unett")
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Could not find 'model/unett'" in output and "simple_cnn" in output
    assert "Traceback" not in output
