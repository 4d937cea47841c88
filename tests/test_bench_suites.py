"""`nnframe seg bench` and `nnframe ssl bench` on the CPU (cls has its own test in its package):
each suite's CI setting writes records with every field and positive figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core.benchmark import run_benchmark
from nnframe.core.testing import compose_task_config

SUITES = {
    # task: (config package, end-to-end data paths its data offers)
    "seg": ("nnframe.seg.configs", ["loader", "on_device"]),
    "ssl": ("nnframe.ssl.configs", ["loader", "on_device"]),
}


@pytest.mark.parametrize("task", sorted(SUITES))
def test_task_bench_suite_records_positive_figures(task: str, tmp_path: Path) -> None:
    package, paths = SUITES[task]
    cfg = compose_task_config(package, [
        "bench=cpu_tiny", "bench.precisions=[fp32]", "bench.warmup_steps=1", "bench.steps=2", "bench.repeats=2",
        "bench.end_to_end_steps=2", f"bench.end_to_end=[{','.join(paths)}]", "data.num_val=8", "data.num_test=8",
    ], output_dir=tmp_path, action="bench")
    (record,) = run_benchmark(cfg)
    assert (record["task"], record["status"], record["precision"]) == (task, "ok", "fp32"), record
    figures = ["train_img_s", "train_step_ms_median", "infer_img_s", "train_gflop_per_img", "train_tflop_s",
               *(f"e2e_{path}_img_s" for path in paths)]
    for key in figures:
        assert record[key] > 0, key
    assert record["train_step_ms_p90"] >= record["train_step_ms_median"]
    table = (tmp_path / "bench_results.md").read_text()
    assert f"| {task} | {record['backbone']} | fp32 |" in table
