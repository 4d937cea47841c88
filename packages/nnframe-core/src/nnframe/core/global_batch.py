"""The global batch of a run over all its processes, for learning rates scaled with it.

Recipes give a learning rate for a reference batch ("0.3 x batch/256", the linear scaling rule of
Goyal et al., 2017). With DDP each process loads ``data.batch_size`` images, so the batch an
optimizer step sees is ``batch_size x devices x num_nodes``; counting the devices of one node
only (solo-learn#188) gives the wrong rate as soon as there are several nodes. In a config::

    optimizer:
      lr: ${nnframe.linear_scaled_lr:0.3,256}   # 0.3 at a global batch of 256
"""

from __future__ import annotations

import os
from typing import Any

from nnframe.core.errors import ConfigError


def _devices(devices: Any) -> int:
    """Processes per node for Lightning's ``devices`` (a count, a list of ids, -1 or "auto")."""
    if isinstance(devices, int | str) and str(devices).lstrip("-").isdigit() and int(devices) > 0:
        return int(devices)
    if not isinstance(devices, str) and hasattr(devices, "__len__"):  # a list of device ids
        return len(devices)
    # -1 / "auto": every device of the node; the launcher knows how many processes it started.
    if "LOCAL_WORLD_SIZE" in os.environ:
        return int(os.environ["LOCAL_WORLD_SIZE"])
    import torch

    return max(1, torch.cuda.device_count())


def global_batch(batch_size: Any, devices: Any, num_nodes: Any) -> int:
    """``batch_size x devices x num_nodes``: the images of one optimizer step over all processes."""
    return int(batch_size) * _devices(devices) * int(num_nodes or 1)


def linear_scaled_lr(base_lr: Any, reference_batch: Any, _root_: Any) -> float:
    """``base_lr x global batch / reference_batch``, the global batch read from the run config
    (``data.batch_size``, ``trainer.devices``, ``trainer.num_nodes``; x ``trainer.accumulate_grad_batches``)."""
    try:
        batch = global_batch(_root_.data.batch_size, _root_.trainer.get("devices", 1),
                             _root_.trainer.get("num_nodes", 1))
        batch *= int(_root_.trainer.get("accumulate_grad_batches") or 1)
    except Exception as error:
        raise ConfigError(f"nnframe.linear_scaled_lr needs data.batch_size, trainer.devices and "
                          f"trainer.num_nodes as numbers: {error}") from error
    return float(base_lr) * batch / float(reference_batch)
