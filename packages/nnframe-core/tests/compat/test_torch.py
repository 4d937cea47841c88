"""Loud tests of nnframe.core.compat.torch: each fails when the private behaviour changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from nnframe.core.compat.torch import fused_kernel_devices, summary_file_writer


def test_fused_kernel_devices_is_the_list_adamw_checks() -> None:
    devices = fused_kernel_devices()
    assert {"cpu", "cuda"} <= devices and "meta" not in devices
    param = torch.nn.Parameter(torch.zeros(2, device="meta"))
    param.grad = torch.zeros(2, device="meta")
    optimizer = torch.optim.AdamW([param], fused=True)
    with pytest.raises(RuntimeError, match="fused=True") as error:  # torch checks the same list at its first step
        optimizer.step()
    listed = re.search(r"supported devices: \[(.*?)\]", str(error.value))
    assert listed is not None and {d.strip(" '") for d in listed.group(1).split(",")} == devices


def test_summary_file_writer_writes_a_prebuilt_summary_into_the_writers_event_file(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from torch.utils.tensorboard.summary import scalar

    writer = SummaryWriter(tmp_path)
    summary_file_writer(writer).add_summary(scalar("compat/check", 1.5), 3)
    writer.close()
    files = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(files) == 1  # the writer's own file, not a second one
    values = [(event.step, value.tag) for event in EventFileLoader(str(files[0])).Load()
              for value in event.summary.value]
    assert values == [(3, "compat/check")]
