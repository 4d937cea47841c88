"""`data.on_device=true` (the default of in-memory datasets): the whole shapes dataset as a tensor,
augmented by batch; a model still learns. `data.on_device=false` keeps the per-image DataLoader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from nnframe.core.data.on_device.device_batch_loader import DeviceBatchLoader
from nnframe.core.testing import compose_task_config
from nnframe.core.training import train
from nnframe.core.training.instantiate import build_datamodule


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One intra-op thread: on a small shared CI machine two threads contend and run far slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_classification_learns_with_the_on_device_data_path(tmp_path: Path, one_thread: None) -> None:
    cfg = compose_task_config("nnframe.cls.configs", [
        "data.num_train=2000", "data.num_val=200", "data.num_test=200",
        "data.batch_size=32", "trainer.max_epochs=4", "trainer.accelerator=cpu", "test=false",
        "extras.print_config=false", "logger=many",
    ], output_dir=tmp_path / "run")
    datamodule = build_datamodule(cfg)
    loader = datamodule.train_dataloader()
    assert isinstance(loader, DeviceBatchLoader) and len(loader) == 63
    images, target = next(iter(loader))
    assert images.shape == (32, 3, 32, 32) and images.dtype == torch.float32 and target.shape == (32,)

    metrics = train(cfg)
    # 5 balanced classes: chance is 0.2; the per-image path reaches 0.5-0.6 in these ~250 steps.
    assert metrics["val/acc"] > 0.45, metrics


@pytest.mark.parametrize("data", ["shapes", "cifar10", "cifar100", "mnist", "fashion_mnist"])
def test_in_memory_datasets_default_to_the_on_device_path(data: str, tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", [f"data={data}"], output_dir=tmp_path)
    assert cfg.data.on_device is True


def test_on_device_false_keeps_the_per_image_loader(tmp_path: Path) -> None:
    cfg = compose_task_config("nnframe.cls.configs", ["data.on_device=false", "data.num_train=64", "data.num_val=32",
                                                      "data.num_test=32"], output_dir=tmp_path)
    loader = build_datamodule(cfg).train_dataloader()
    assert isinstance(loader, DataLoader)
    images, target = next(iter(loader))
    assert images.shape == (64, 3, 32, 32) and target.shape == (64,)


def test_channels_last_keeps_the_weights_channels_last_and_the_outputs(tmp_path: Path) -> None:
    from nnframe.core.training.instantiate import build_model

    cfg = compose_task_config("nnframe.cls.configs", ["model.channels_last=false"], output_dir=tmp_path)
    torch.manual_seed(0)
    plain = build_model(cfg, [])
    cfg.model.channels_last = True
    fast = build_model(cfg, [])
    fast.load_state_dict(plain.state_dict())
    fast.setup("fit")
    conv = next(m for m in fast.net.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    images = torch.randn(4, 3, 32, 32)
    plain.eval(), fast.eval()
    assert torch.allclose(fast(images), plain(images), atol=1e-5)
    assert compose_task_config("nnframe.cls.configs", [], output_dir=tmp_path).model.channels_last is True  # the demo
