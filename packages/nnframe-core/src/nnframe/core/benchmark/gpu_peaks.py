"""Dense peak TFLOP/s of common GPUs, for model FLOPs utilisation (MFU).

Figures are the vendor datasheets' dense (no sparsity) tensor-core peaks for bf16/fp16, and
TF32 tensor-core / plain FP32 peaks for fp32 runs. MFU is reported only for a GPU listed here.
"""

from __future__ import annotations

# (substring of torch.cuda.get_device_name, lower case) -> peaks per precision kind.
# Order matters: the first matching substring wins (H100 PCIe before the generic H100).
GPU_PEAK_TFLOPS: list[tuple[str, dict[str, float]]] = [
    ("h200", {"bf16": 989.4, "fp16": 989.4, "tf32": 494.7, "fp32": 66.9}),
    ("gh200", {"bf16": 989.4, "fp16": 989.4, "tf32": 494.7, "fp32": 66.9}),
    ("h100 pcie", {"bf16": 756.0, "fp16": 756.0, "tf32": 378.0, "fp32": 51.2}),
    ("h100 nvl", {"bf16": 835.5, "fp16": 835.5, "tf32": 417.5, "fp32": 60.0}),
    ("h100", {"bf16": 989.4, "fp16": 989.4, "tf32": 494.7, "fp32": 66.9}),  # SXM5
    ("a100", {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5}),
    ("l40s", {"bf16": 362.1, "fp16": 362.1, "tf32": 183.0, "fp32": 91.6}),
    ("l4", {"bf16": 121.0, "fp16": 121.0, "tf32": 60.0, "fp32": 30.3}),
    ("a10g", {"bf16": 70.0, "fp16": 70.0, "tf32": 35.0, "fp32": 31.2}),
    ("a10", {"bf16": 125.0, "fp16": 125.0, "tf32": 62.5, "fp32": 31.2}),
    ("rtx 4090", {"bf16": 165.2, "fp16": 165.2, "tf32": 82.6, "fp32": 82.6}),
    ("rtx 3090", {"bf16": 71.0, "fp16": 71.0, "tf32": 35.6, "fp32": 35.6}),
    ("v100", {"fp16": 125.0, "fp32": 15.7}),
    ("t4", {"fp16": 65.0, "fp32": 8.1}),
]


def precision_kind(precision: str, tf32: bool) -> str:
    """The peak a run competes with: ``bf16``, ``fp16``, ``tf32`` or ``fp32``."""
    if precision.startswith("bf16"):
        return "bf16"
    if precision.startswith(("fp16", "16")):
        return "fp16"
    return "tf32" if tf32 else "fp32"


def peak_tflops(device_name: str, kind: str) -> float | None:
    """Dense peak TFLOP/s of ``device_name`` for ``kind``; None when the GPU is not in the table."""
    name = device_name.lower()
    for key, peaks in GPU_PEAK_TFLOPS:
        if key in name:
            return peaks.get(kind)
    return None
