"""What a run's TensorBoard event files hold, read back for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def event_summaries(run_dir: str | Path) -> dict[str, list[Any]]:
    """Every summary value in ``run_dir``'s event files (not its sub-runs), by tag, in file order.

    Returns:
        tag -> the ``Summary.Value`` protos logged under it (scalars, images, text, hparams).
    """
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    found: dict[str, list[Any]] = {}
    for path in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                found.setdefault(value.tag, []).append(value)
    return found


def followed_tensorboard_hint(output: str, run_dir: str | Path) -> list[tuple[str, str]]:
    """Follow the ``tensorboard: ... --logdir <folder>`` line a run printed, as a user would: the
    folder must be absolute and hold the HPARAMS experiment summary and ``run_dir``'s event files
    (TensorBoard reads the summary only under the folder it is opened on).

    Returns:
        The summary's metric columns ``(group, tag)``, in order.
    """
    import re
    import shlex

    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import metadata

    from nnframe.core.callbacks._hparams_experiment import SUMMARY_FILE

    (line,) = re.findall(r"^tensorboard: +(.+)$", output, re.MULTILINE)
    words = shlex.split(line)
    logdir = Path(words[words.index("--logdir") + 1])
    assert logdir.is_absolute(), f"{line}: a relative folder only works from where the run started"
    run_dir = Path(run_dir).absolute()
    assert run_dir == logdir or logdir in run_dir.parents, f"{line}: {run_dir} is not under it"
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*")), f"no event files in {run_dir}"
    summary = logdir / SUMMARY_FILE
    assert summary.is_file(), f"{line}: no HPARAMS experiment summary in {logdir}"
    (event,) = [e for e in EventFileLoader(str(summary)).Load() if e.summary.value]
    (value,) = event.summary.value
    experiment = metadata.parse_experiment_plugin_data(value.metadata.plugin_data.content)
    return [(m.name.group, m.name.tag) for m in experiment.metric_infos]
