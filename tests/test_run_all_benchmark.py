"""`benchmarks/run_all.py` writes the device's combined table from the tasks' records only."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run_all.py"


def test_combined_table_reads_the_tasks_records_and_not_the_demos(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("run_all", SCRIPT)
    assert spec is not None and spec.loader is not None
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    (tmp_path / "seg.jsonl").write_text(json.dumps({"task": "seg", "backbone": "unet"}) + "\n\n")
    (tmp_path / "cls.jsonl").write_text(json.dumps({"task": "cls", "backbone": "resnet18"}) + "\n")
    (tmp_path / "demos.jsonl").write_text(json.dumps({"task": "cls", "wall_s": 10.1}) + "\n")  # demos.py's
    records = run_all.task_records(tmp_path, ["ssl", "seg", "cls"])
    assert records == [{"task": "cls", "backbone": "resnet18"}, {"task": "seg", "backbone": "unet"}]
