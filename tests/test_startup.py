"""`nnframe --help` and `nnframe list` must answer without importing torch (start-up in well under a second)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from nnframe.core.cli import main
main(['--help']); main(['list']); main(['cls', '--help'])
heavy = sorted(m for m in ('torch', 'lightning', 'torchvision', 'timm', 'hydra') if m in sys.modules)
print(json.dumps({'heavy': heavy, 'seconds': time.perf_counter() - t0}))
"""


def test_help_and_list_do_not_import_torch() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "usage: nnframe" in result.stdout and "cls:" in result.stdout
    assert report["heavy"] == [], f"imported on the --help/list path: {report['heavy']}"
