"""Every installed task's smoke settings (``TaskSpec.smoke_overrides``, ``TaskSpec.monitor``): the
root end-to-end tests read them instead of naming the tasks, so they must compose, shrink only,
and name the metric the task's config monitors and its training logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core.task_registry import discover_tasks
from nnframe.core.task_spec import TaskSpec
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train

TASKS = discover_tasks()
# Groups the smoke settings may not touch: shrinking sizes must leave what a user sees alone.
_NOT_SHRUNK = ("callbacks", "logger", "extras", "trainer", "debug")


def test_tasks_are_installed() -> None:
    assert len(TASKS) >= 3, sorted(TASKS)


@pytest.mark.parametrize("spec", TASKS.values(), ids=list(TASKS))
def test_smoke_overrides_compose_shrink_only_and_monitor_is_the_configs(spec: TaskSpec) -> None:
    assert spec.smoke_overrides, f"{spec.name}: TaskSpec.smoke_overrides is empty"
    for override in spec.smoke_overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        assert "=" in override and not key.startswith(_NOT_SHRUNK), f"{spec.name}: {override!r} is not a size"
    default = compose_task_config(spec.config_package)
    smoke = compose_task_config(spec.config_package, list(spec.smoke_overrides))
    for override in spec.smoke_overrides:  # each one changes a value of the default config
        key, value = override.split("=", 1)
        assert str(_select(smoke, key)) == value != str(_select(default, key)), (spec.name, override)
    assert default.monitor == smoke.monitor == spec.monitor, (spec.name, default.monitor)


def _select(cfg, key: str):
    from omegaconf import OmegaConf

    return OmegaConf.select(cfg, key, throw_on_missing=True)


@pytest.mark.slow
@pytest.mark.parametrize("spec", TASKS.values(), ids=list(TASKS))
def test_smoke_training_logs_the_monitored_metric(spec: TaskSpec, tmp_path: Path) -> None:
    cfg = compose_task_config(spec.config_package, [*spec.smoke_overrides, "trainer.max_epochs=1",
                                                    "trainer.accelerator=cpu"], output_dir=tmp_path)
    metrics = train(cfg)
    assert spec.monitor in metrics, f"{spec.name}: TaskSpec.monitor {spec.monitor!r} is not logged: {sorted(metrics)}"
