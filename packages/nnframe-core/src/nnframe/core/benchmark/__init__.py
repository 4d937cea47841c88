"""Throughput benchmarks: per-backbone suites (``nnframe <task> bench``) and their reports.

The suite measures training and inference images/s, step latency, peak device memory,
FLOPs and MFU per (backbone, precision, channels_last, compile), see ``configs/bench/`` of a
task package.
"""

from nnframe.core.benchmark.bench_case import BenchCase, expand_cases
from nnframe.core.benchmark.device_info import device_info, device_slug, resolve_device
from nnframe.core.benchmark.first_step_timer import FirstStepTimerCallback
from nnframe.core.benchmark.gpu_peaks import GPU_PEAK_TFLOPS, peak_tflops
from nnframe.core.benchmark.report import markdown_table, read_records, write_results
from nnframe.core.benchmark.step_clock import StepClock, summarize_steps
from nnframe.core.benchmark.step_times_callback import StepTimesCallback
from nnframe.core.benchmark.suite import BenchmarkSuite, bench_from_cli, run_benchmark

__all__ = [
    "GPU_PEAK_TFLOPS",
    "BenchCase",
    "BenchmarkSuite",
    "FirstStepTimerCallback",
    "StepClock",
    "StepTimesCallback",
    "bench_from_cli",
    "device_info",
    "device_slug",
    "expand_cases",
    "markdown_table",
    "peak_tflops",
    "read_records",
    "resolve_device",
    "run_benchmark",
    "summarize_steps",
    "write_results",
]
