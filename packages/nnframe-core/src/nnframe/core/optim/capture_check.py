"""Skip torch's per-step CUDA-graph capture check where no accelerator can capture one.

Adam, AdamW and most of torch's optimizers begin every ``step()`` with
``_accelerator_graph_capture_health_check``, which asks ``torch.accelerator`` whether a device
is available. With a CUDA build of torch on a machine without a GPU, under the
``PYTORCH_NVML_BASED_CUDA_CHECK=1`` that Lightning sets on import, that question is a failed
``dlopen`` of NVML every time: ~0.3 ms of the tiny CNN's 16 ms step on a 2-core CPU, in a
plain loop, A B interleaved (0.03 ms when timed alone: right after the backward pass its
memory is out of the caches). Without an accelerator the check does nothing, so it is asked
once, when the optimizer is built.
"""

from __future__ import annotations

import torch

#: torch's per-step check (torch 2.x); an optimizer without it is left as it is.
CHECK_METHOD = "_accelerator_graph_capture_health_check"


def _no_capture_possible() -> None:
    """The check without an accelerator: there is no graph capture to check."""


def accelerator_available() -> bool:
    """Whether torch sees a usable accelerator (CUDA, XPU, MPS...) in this process."""
    current = getattr(torch, "accelerator", None)
    if current is None:  # torch without torch.accelerator: its check is another one, kept
        return True
    return current.current_accelerator(check_available=True) is not None


def skip_capture_check_without_accelerator(optimizer: torch.optim.Optimizer) -> bool:
    """Replace ``optimizer``'s per-step capture check by a no-op when no accelerator is available.

    Returns whether it was replaced. With an accelerator (a GPU run, or a CPU run on a machine
    with one) torch's check stays: a CUDA graph may capture the step.
    """
    if not callable(getattr(optimizer, CHECK_METHOD, None)) or accelerator_available():
        return False
    setattr(optimizer, CHECK_METHOD, _no_capture_possible)  # on the instance: other optimizers keep theirs
    return True
