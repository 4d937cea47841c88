"""`nnframe cls bench` on the CPU: one tiny backbone, records with every field and positive figures."""

from __future__ import annotations

import json
from pathlib import Path

from nnframe.core.benchmark import run_benchmark
from nnframe.core.testing import compose_task_config

FIELDS = {
    "task", "backbone", "precision", "channels_last", "compile", "batch_size", "device", "device_name", "torch",
    "cuda", "status", "train_img_s", "train_step_ms_median", "train_step_ms_p90", "train_peak_mem_mb",
    "infer_img_s", "infer_ms_median", "infer_ms_p90", "train_gflop_per_img", "train_tflop_s", "train_mfu",
    "e2e_loader_img_s", "e2e_on_device_img_s",
}


def test_bench_suite_writes_records_with_positive_figures(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", [
        "bench=cpu_tiny", "bench.backbones=[simple_cnn]", "bench.precisions=[fp32,fp16-mixed]",
        "bench.batch_size=16", "bench.warmup_steps=1", "bench.steps=2", "bench.repeats=2",
        "bench.end_to_end_steps=2", "bench.data.num_train=64", "data.num_val=16", "data.num_test=16",
    ], output_dir=tmp_path, action="bench")
    records = run_benchmark(cfg)

    ok, skipped = records
    assert set(ok) >= FIELDS, f"missing fields: {FIELDS - set(ok)}"
    assert (ok["status"], ok["backbone"], ok["precision"], ok["batch_size"]) == ("ok", "simple_cnn", "fp32", 16)
    for key in ("train_img_s", "train_step_ms_median", "train_step_ms_p90", "infer_img_s", "train_gflop_per_img",
                "infer_gflop_per_img", "train_tflop_s", "e2e_loader_img_s", "e2e_on_device_img_s"):
        assert ok[key] > 0, key
    assert ok["train_step_ms_p90"] >= ok["train_step_ms_median"]
    assert skipped["status"] == "skipped" and "fp16" in skipped["note"]  # no fp16 autocast training on CPU

    lines = (tmp_path / "bench_results.jsonl").read_text().splitlines()
    assert [json.loads(line)["precision"] for line in lines] == ["fp32", "fp16-mixed"]
    table = (tmp_path / "bench_results.md").read_text()
    assert "| cls | simple_cnn | fp32 |" in table and "skipped [1]" in table
