"""ThroughputMonitor (Lightning's, configured from the task module): img/s and FLOPs/s of the
training steps in the run's TensorBoard logs, counting images as the task does."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from nnframe.core.callbacks import ThroughputMonitor
from nnframe.core.callbacks.throughput_monitor import training_flops_per_sample
from nnframe.core.loggers.tensorboard_run_logger import THROUGHPUT_KEYS, TensorBoardRunLogger
from nnframe.core.run_logs import read_scalars
from nnframe.core.testing import ToyClassifier, ToyDataModule
from nnframe.core.testing.event_files import event_summaries

# The toy classifier is one Linear(3 x 16 x 16 -> 5): 2 FLOPs per weight per image forward, and
# as many for the weights' gradient (the images need none).
TOY_FLOPS = 2 * 2 * 3 * 16 * 16 * 5


def test_flops_are_counted_on_the_meta_device_without_touching_the_model() -> None:
    model = ToyClassifier()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    assert training_flops_per_sample(model, torch.zeros(4, 3, 16, 16)) == TOY_FLOPS
    for name, p in model.named_parameters():
        assert p.grad is None and torch.equal(p, before[name]), name


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[tuple[int, float]]], set[str]]:
    """A toy run (2 epochs of 8 steps of 16 images, a window of 4 steps, then a test) with the monitor: what it logged
    to TensorBoard, by metric name, and the TensorBoard tags."""
    run_dir = tmp_path_factory.mktemp("throughput")
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=TensorBoardRunLogger(run_dir, name="", version=""),
                        callbacks=[ThroughputMonitor(window_size=4)], log_every_n_steps=1,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    datamodule = ToyDataModule(num_train=128, num_val=64, num_test=32, batch_size=16)  # validations of 4 batches
    model = ToyClassifier()
    trainer.fit(model, datamodule=datamodule)
    trainer.test(model, datamodule=datamodule)
    return read_scalars(run_dir), set(event_summaries(run_dir))


def test_images_per_second_of_the_training_steps_are_logged(logged) -> None:
    scalars, _ = logged
    samples = dict(scalars["train/samples"])
    assert sorted(samples.values()) == [16 * step for step in range(1, 17)]  # the module's batch_size_of
    rate = dict(scalars["train/device/samples_per_sec"])
    batches = dict(scalars["train/device/batches_per_sec"])
    # At every logged step from the window's 4th on.
    assert sorted(rate) == sorted(step for step, count in samples.items() if count >= 4 * 16)
    total_time = max(value for _, value in scalars["train/time"])
    for step, value in rate.items():
        assert value == pytest.approx(16 * batches[step])
        # 3 steps of 16 images took at most the whole training time.
        assert value >= 3 * 16 / total_time


def test_flops_per_second_follow_the_counted_flops_and_there_is_no_mfu_on_a_cpu(logged) -> None:
    scalars, _ = logged
    rate = dict(scalars["train/device/samples_per_sec"])
    for step, flops in scalars["train/device/flops_per_sec"]:
        assert flops == pytest.approx(TOY_FLOPS * rate[step])
    assert not any(name.endswith("/mfu") for name in scalars)  # no peak FLOPs known for a CPU
    assert "validate/device/samples_per_sec" in scalars and "validate/device/flops_per_sec" not in scalars
    assert not any(f"test/{key}" in scalars for key in THROUGHPUT_KEYS)  # a test run is not timed
    assert "test/acc" in scalars


def test_tensorboard_shows_them_one_card_each_in_the_stage_group(logged) -> None:
    _, tags = logged
    assert {"train/throughput_device_samples_per_sec", "train/throughput_samples",
            "validate/throughput_device_samples_per_sec"} <= tags
    # Not as per-class curves (<stage>_per_class/...), and no scalar named like the train/samples figure.
    assert not any("_per_class/" in tag for tag in tags) and "train/samples" not in tags
