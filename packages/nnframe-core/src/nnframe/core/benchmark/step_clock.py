"""Step timestamps that do not stall the GPU: CUDA events on a GPU, ``perf_counter`` on the CPU."""

from __future__ import annotations

import statistics
import time

import torch


def synchronize(device: torch.device) -> None:
    """Wait for every kernel queued on ``device`` (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class StepClock:
    """Marks the end of each step; :meth:`intervals` gives the time between consecutive marks.

    On a GPU each mark records a CUDA event in the current stream, so timing a step does not
    wait for it (the CPU keeps queueing the next step, as in a real run); the events are read
    after one synchronisation at the end.

    Args:
        device: where the timed work runs.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._marks: list[object] = []

    def start(self) -> None:
        """Synchronise, forget earlier marks and place the first one."""
        synchronize(self.device)
        self._marks = []
        self.mark()

    def mark(self) -> None:
        """Mark the end of a step (the start of the next)."""
        if self.device.type == "cuda":
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self._marks.append(event)
        else:
            self._marks.append(time.perf_counter())

    def intervals(self) -> list[float]:
        """Seconds between consecutive marks (synchronises first)."""
        synchronize(self.device)
        if self.device.type == "cuda":
            return [a.elapsed_time(b) / 1000.0 for a, b in zip(self._marks, self._marks[1:], strict=False)]
        return [b - a for a, b in zip(self._marks, self._marks[1:], strict=False)]

    def __len__(self) -> int:
        return max(len(self._marks) - 1, 0)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize_steps(intervals: list[float], batch_size: int, repeats: int) -> dict[str, float]:
    """Images/s (median over ``repeats`` equal windows) and step latency median / p90 in ms.

    Args:
        intervals: seconds per step, in order; split into ``repeats`` consecutive windows.
        batch_size: images per step.
        repeats: windows; the throughput of each is ``images / window time``.
    """
    per_window = max(len(intervals) // max(repeats, 1), 1)
    windows = [intervals[i * per_window:(i + 1) * per_window] for i in range(max(repeats, 1))]
    rates = [batch_size * len(w) / sum(w) for w in windows if w and sum(w) > 0]
    return {
        "img_s": statistics.median(rates) if rates else float("nan"),
        "ms_median": 1000.0 * statistics.median(intervals) if intervals else float("nan"),
        "ms_p90": 1000.0 * percentile(intervals, 90),
    }
