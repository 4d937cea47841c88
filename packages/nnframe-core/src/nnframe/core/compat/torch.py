"""Private torch attributes nnframe relies on (see :mod:`nnframe.core.compat`)."""

from __future__ import annotations

from typing import Any


def fused_kernel_devices() -> frozenset[str]:
    """The device types on which torch's optimizers have a fused kernel (``fused=True``).

    Why: torch has no public way to ask before building the optimizer; Adam/AdamW raise on an
    unsupported device only once built. Upstream: no upstream issue yet.
    """
    from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

    return frozenset(_get_fused_kernels_supported_devices())


def summary_file_writer(writer: Any) -> Any:
    """The event-file writer of a ``torch.utils.tensorboard.SummaryWriter`` (made on first use),
    whose ``add_summary`` writes a prebuilt ``Summary`` proto (the HParams plugin's session infos).

    Why: ``SummaryWriter`` writes only the summaries it builds itself; ``add_hparams`` makes an
    experiment summary and a sub-run, which nnframe must not (see ``RunInfoCallback``).
    Upstream: no upstream issue yet.
    """
    return writer._get_file_writer()
