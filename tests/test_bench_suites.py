"""`nnframe <task> bench` on the CPU for every installed task: each suite's CI setting (its first
backbone) writes records with every field and positive figures; every case of the GPU suites
trains a step on the CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nnframe.core.benchmark import run_benchmark
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import compose_task_config

TASKS = discover_tasks()


@pytest.mark.parametrize("task", TASKS)
def test_task_bench_suite_records_positive_figures(task: str, tmp_path: Path) -> None:
    package = TASKS[task].config_package
    suite = compose_task_config(package, ["bench=cpu_tiny"], action="bench").bench
    paths = list(suite.end_to_end)  # the end-to-end data paths its data offers
    cfg = compose_task_config(package, [
        "bench=cpu_tiny", "bench.precisions=[fp32]", "bench.warmup_steps=1", "bench.steps=2", "bench.repeats=2",
        "bench.end_to_end_steps=2", f"bench.end_to_end=[{','.join(paths)}]", "data.num_val=8", "data.num_test=8",
    ], output_dir=tmp_path, action="bench")
    cfg.bench.backbones = OmegaConf.to_container(suite.backbones)[:1]  # one case per suite
    (record,) = run_benchmark(cfg)
    assert (record["task"], record["status"], record["precision"]) == (task, "ok", "fp32"), record
    figures = ["train_img_s", "train_step_ms_median", "infer_img_s", "train_gflop_per_img", "train_tflop_s",
               *(f"e2e_{path}_img_s" for path in paths)]
    for key in figures:
        assert record[key] > 0, key
    assert record["train_step_ms_p90"] >= record["train_step_ms_median"]
    table = (tmp_path / "bench_results.md").read_text()
    assert f"| {task} | {record['backbone']} | fp32 |" in table


@pytest.mark.parametrize("package", [spec.config_package for spec in TASKS.values()], ids=list(TASKS))
def test_every_case_of_the_gpu_suites_trains_on_the_cpu(package: str, tmp_path: Path) -> None:
    """bench=default (the GPU suite) at its own image sizes, one step of batch 2 per backbone: each
    backbone entry replaces the model keys it names (an smp U-Net gets none of the seg demo's
    decoder widths)."""
    cfg = compose_task_config(package, [
        "bench=default", "bench.precisions=[fp32]", "bench.channels_last=[false]", "bench.compile=[false]",
        "bench.batch_size=2", "bench.warmup_steps=0", "bench.steps=1", "bench.repeats=1", "bench.inference=false",
        "bench.flops=false", "bench.end_to_end=[]", "bench.data.num_train=4", "bench.data.num_val=2",
        "bench.data.num_test=2",
    ], output_dir=tmp_path, action="bench")
    records = run_benchmark(cfg)
    assert len(records) == len(cfg.bench.backbones) >= 4
    for record in records:
        assert (record["status"], record["note"]) == ("ok", ""), record
        assert record["train_img_s"] > 0
