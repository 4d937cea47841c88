"""Per-step callback hooks: only the callbacks that implement a hook are called, in order."""

from __future__ import annotations

from collections import Counter
from typing import Any

import lightning as L
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning.pytorch.profilers import PassThroughProfiler, SimpleProfiler

from nnframe.core.training import callback_dispatch

STEPS = 3


class Recorder(L.Callback):
    """Appends (its name, hook) to a shared log at two per-step hooks and one per-epoch hook."""

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.name, self.records = name, log

    def on_train_batch_end(self, *args: Any) -> None:
        self.records.append((self.name, "on_train_batch_end"))

    def on_before_backward(self, *args: Any) -> None:
        self.records.append((self.name, "on_before_backward"))

    def on_train_epoch_end(self, *args: Any) -> None:
        self.records.append((self.name, "on_train_epoch_end"))


class CountingPassThrough(PassThroughProfiler):
    """No profiling, but counts the actions Lightning opens a profiler context for."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: Counter[str] = Counter()

    def start(self, action_name: str) -> None:
        self.actions[action_name] += 1


def _fit(tmp_path, enable: bool, profiler: Any = None) -> tuple[list[tuple[str, str]], L.Trainer, Counter[str]]:
    log: list[tuple[str, str]] = []
    assigned = L.Callback()  # a plain Callback with a function set on the instance: it must be called
    assigned.on_train_batch_start = lambda *args: log.append(("assigned", "on_train_batch_start"))
    profiler = profiler or CountingPassThrough()
    trainer = L.Trainer(max_steps=STEPS, limit_val_batches=0, logger=False, enable_checkpointing=False,
                        enable_model_summary=False, default_root_dir=tmp_path,  # with Lightning's progress bar
                        callbacks=[Recorder("first", log), L.Callback(), assigned, Recorder("second", log)],
                        profiler=profiler)
    if enable:
        callback_dispatch.enable(trainer)
    trainer.fit(BoringModel())
    return log, trainer, getattr(profiler, "actions", Counter())


def test_the_same_callbacks_run_in_the_same_order_with_and_without_skipping(tmp_path) -> None:
    skipped_log, trainer, skipped_actions = _fit(tmp_path / "a", enable=True)
    lightning_log, _, lightning_actions = _fit(tmp_path / "b", enable=False)
    assert callback_dispatch.is_enabled(trainer)
    assert skipped_log == lightning_log
    assert Counter(skipped_log) == {("first", "on_train_batch_end"): STEPS, ("second", "on_train_batch_end"): STEPS,
                                    ("first", "on_before_backward"): STEPS, ("second", "on_before_backward"): STEPS,
                                    ("assigned", "on_train_batch_start"): STEPS,
                                    ("first", "on_train_epoch_end"): 1, ("second", "on_train_epoch_end"): 1}
    # What is skipped: Lightning's call (and profiler context) for each empty per-step hook.
    per_step = [a for a in lightning_actions if a.startswith("[Callback]") and
                a.rsplit(".", 1)[1] in callback_dispatch.PER_STEP_HOOKS]
    assert per_step and not [a for a in skipped_actions if a in per_step]
    assert lightning_actions["[Callback]Callback.on_train_epoch_start"] == skipped_actions[
        "[Callback]Callback.on_train_epoch_start"] > 0  # the per-epoch hooks go through Lightning's path


def test_a_trainer_not_marked_or_with_a_profiler_keeps_every_hook_call(tmp_path) -> None:
    callback_dispatch.enable(L.Trainer(logger=False, default_root_dir=tmp_path))  # installs the dispatch
    _, _, unmarked = _fit(tmp_path / "a", enable=False)
    assert unmarked["[Callback]Callback.on_before_zero_grad"] == 2 * STEPS  # the two plain Callbacks
    profiler = SimpleProfiler(dirpath=tmp_path, filename="profile")
    _, trainer, _ = _fit(tmp_path / "b", enable=True, profiler=profiler)
    assert any("Callback.on_before_zero_grad" in action for action in profiler.recorded_durations)


def test_nnframe_trainers_skip_the_empty_hooks(tmp_path) -> None:
    from omegaconf import OmegaConf

    from nnframe.core.training.instantiate import build_trainer

    cfg = OmegaConf.create({"trainer": {"_target_": "lightning.pytorch.Trainer", "max_epochs": 1,
                                        "default_root_dir": str(tmp_path), "accelerator": "cpu"}})
    assert callback_dispatch.is_enabled(build_trainer(cfg, callbacks=[], loggers=False))
