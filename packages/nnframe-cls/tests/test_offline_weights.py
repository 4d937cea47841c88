"""``model.pretrained=true`` without network fails fast: one line that names the weights and the
manual fix (``model.pretrained_file=``), with ``HF_HUB_OFFLINE=1`` and with the Hub unreachable
(``HF_ENDPOINT`` at a closed local port, no external address); the fix, followed, trains."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import timm
from safetensors.torch import save_file

pytestmark = pytest.mark.slow

TINY = ["model=timm", "model.pretrained=true", "data.num_train=32", "data.num_val=16", "data.num_test=16",
        "data.image_size=32", "data.batch_size=16", "trainer.max_epochs=1", "extras.print_config=false"]


def _nnframe(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(tmp_path / "outputs"), "OMP_NUM_THREADS": "1",
           "HF_HOME": str(tmp_path / "hf"), **env}  # an empty Hugging Face cache
    return subprocess.run([sys.executable, "-m", "nnframe.core.cli", "cls", "train", *TINY, *args],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)


@pytest.mark.parametrize("offline", [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}],
                         ids=["HF_HUB_OFFLINE", "unreachable"])
def test_pretrained_without_network_names_the_weights_and_the_fix(tmp_path: Path, offline: dict[str, str]) -> None:
    done = _nnframe(tmp_path, offline)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output[-3000:]
    assert "retry" not in output.lower() and "LocalEntryNotFoundError" not in output, output[-3000:]
    (error,) = re.findall(r"^nnframe: error: .*$", output, re.MULTILINE)
    assert "timm/resnet18" in error and "model.pretrained_file=/path/to/model.safetensors" in error, error

    if "HF_HUB_OFFLINE" in offline:
        return  # the fix is followed once: with the Hub unreachable, where a lookup would show
    # Following it: the weights, fetched by hand (here: written), given as model.pretrained_file.
    weights = tmp_path / "model.safetensors"
    save_file(timm.create_model("resnet18", pretrained=False).state_dict(), str(weights))
    done = _nnframe(tmp_path, offline, f"model.pretrained_file={weights}")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
