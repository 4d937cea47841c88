"""One HPARAMS experiment summary for every run under a log directory, so that TensorBoard shows
the validation metrics as columns from the start.

Without an experiment summary TensorBoard builds the HPARAMS columns itself: every scalar tag of
every run, sorted by name, of which it displays the first five: ``train/*`` ones, so no
``val/*`` column shows until ticked by hand. With one it uses the first experiment summary it
finds for all runs; a summary per run would hide the other runs' (other tasks') columns. So
each run leaves what it contributes in ``<its TensorBoard folder>/hparams_experiment.json``
and rewrites the one summary at the root of the log directory (``tensorboard --logdir <root>``)
from all of them: the union of the hyperparameters (those that differ first), then the
monitored metrics, then the other validation metrics and their test values.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: What a run contributes (in its TensorBoard folder).
CONTRIBUTION = "hparams_experiment.json"
#: The summary's event file at the log directory's root (a fixed name: rewritten, not appended).
SUMMARY_FILE = "events.out.tfevents.0.nnframe-hparams"


def write_contribution(folder: str | Path, hparams: Mapping[str, Any], metrics: Sequence[tuple[str, str]],
                       monitor: str | None) -> None:
    """Record a run's HPARAMS values and metric columns ``(group, tag)`` (group ``""``: the run,
    ``"test"``: its test sub-run) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / CONTRIBUTION, json.dumps(
        {"hparams": dict(hparams), "metrics": [list(m) for m in metrics], "monitor": monitor}).encode())


def _contributions(root: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(root.rglob(CONTRIBUTION)):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):  # a run writing it right now, or a damaged file: skip it
            continue
    return found


def experiment(contributions: Iterable[Mapping[str, Any]]) -> Any:
    """The ``Experiment`` proto of the runs' contributions."""
    from tensorboard.plugins.hparams import api_pb2

    values: dict[str, list[Any]] = {}
    monitors: list[tuple[str, str]] = []
    metrics: list[tuple[str, str]] = []
    runs = list(contributions)
    for run in runs:
        for name, value in run.get("hparams", {}).items():
            values.setdefault(name, []).append(value)
        if run.get("monitor"):
            monitors.append(("", run["monitor"]))
        metrics += [(str(g), str(t)) for g, t in run.get("metrics", [])]
    # The monitored metrics first (TensorBoard displays the first five columns), then the
    # validation metrics, then the test values.
    ordered = list(dict.fromkeys([*monitors, *sorted(m for m in metrics if not m[0]), *sorted(metrics)]))

    infos = []
    for name, seen in values.items():
        info = api_pb2.HParamInfo(name=name)
        if all(isinstance(v, bool) for v in seen):
            info.type = api_pb2.DATA_TYPE_BOOL
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in seen):
            info.type = api_pb2.DATA_TYPE_FLOAT64
        else:
            info.type = api_pb2.DATA_TYPE_STRING
            info.domain_discrete.extend(sorted({str(v) for v in seen}))
        # As TensorBoard computes it without a summary: two runs that have it disagree. It
        # displays the first five, those that differ first, by name.
        info.differs = len({json.dumps(v) for v in seen}) > 1
        infos.append(info)
    infos.sort(key=lambda i: (not i.differs, i.name))
    return api_pb2.Experiment(
        hparam_infos=infos,
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(group=g, tag=t)) for g, t in ordered])


def write_experiment_summary(root: str | Path) -> Path | None:
    """Rewrite the experiment summary at ``root`` from every contribution under it (None: none)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    root = Path(root)
    runs = _contributions(root)
    if not runs:
        return None
    data = plugin_data_pb2.HParamsPluginData(experiment=experiment(runs))
    summary_metadata = metadata.create_summary_metadata(data)
    events = [event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"),
              event_pb2.Event(wall_time=time.time(), step=0)]
    events[1].summary.value.add(tag=metadata.EXPERIMENT_TAG, metadata=summary_metadata)
    path = root / SUMMARY_FILE
    _atomic_write(path, b"".join(_record(e.SerializeToString()) for e in events))
    return path


def _record(data: bytes) -> bytes:
    """One TFRecord (the event file's framing)."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write whole or not at all (another run, or TensorBoard, may read it meanwhile)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".nnframe-tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
