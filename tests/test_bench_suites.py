"""`nnframe <task> bench` on the CPU for every installed task: each suite's CI setting (its first
backbone) writes records with every field and positive figures; every case of the GPU suites
trains a step on the CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
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


def _nnframe(*args: str, cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(cwd / "outputs"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="the GPU suite is what a GPU machine runs")
def test_the_gpu_suite_on_a_cpu_machine_is_refused_with_the_cpu_suites_command(tmp_path: Path) -> None:
    code, output = _nnframe("cls", "bench", cwd=tmp_path)
    assert code != 0 and "nnframe: error: no GPU here" in output, output[-3000:]
    assert "nnframe cls bench bench=cpu_tiny" in output and "bench.device=cpu" in output
    assert "case 1/" not in output  # refused before measuring anything


@pytest.mark.slow
def test_bench_says_each_case_once_and_where_its_tables_are(tmp_path: Path) -> None:
    """The command the refusal gives, shrunk: progress per case, Lightning's device lines once,
    the tables' paths at the end."""
    run_dir = tmp_path / "run"
    code, output = _nnframe("cls", "bench", "bench=cpu_tiny", "bench.precisions=[fp32]", "bench.warmup_steps=1",
                            "bench.steps=1", "bench.repeats=1", "bench.end_to_end_steps=1", "bench.inference=false",
                            "bench.backbones=[simple_cnn]", "bench.channels_last=[false,true]",
                            f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert code == 0, output[-3000:]
    assert "case 1/2: simple_cnn fp32" in output and "case 2/2: simple_cnn fp32, channels_last" in output
    assert output.count("GPU available") == 1, output[-3000:]
    assert f"results: {run_dir / 'bench_results.md'} (table), {run_dir / 'bench_results.jsonl'}" in output
