"""What a benchmark ran on: device name, torch / CUDA / cuDNN versions, and a slug for folders."""

from __future__ import annotations

import os
import platform
import re
from typing import Any

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> the first CUDA device if there is one, else the CPU; otherwise ``torch.device(name)``."""
    if name == "auto":
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    return torch.device(name)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def device_name(device: torch.device) -> str:
    """``NVIDIA H100 80GB HBM3`` for a GPU, the CPU model and core count for the CPU."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{_cpu_name()} ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def device_info(device: torch.device) -> dict[str, Any]:
    """The fields every benchmark record carries about its machine and software."""
    return {
        "device": device.type,
        "device_name": device_name(device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "python": platform.python_version(),
    }


def device_slug(device: torch.device) -> str:
    """A folder name for the device: ``nvidia-h100-80gb-hbm3``, ``cpu-amd-epyc-7b13``."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu {_cpu_name()}"
    name = re.sub(r"\((r|tm)\)|cpu @.*$|processor|\d+-core", "", name, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or device.type
