"""Every method of the method/ config group trains: finite loss that decreases on a fixed batch."""

from __future__ import annotations

import hydra
import pytest
import torch

from nnframe.core.errors import ConfigError
from nnframe.core.testing import compose_task_config
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing
from nnframe.ssl import SSLModule

METHODS = ["barlow_twins", "byol", "dino", "moco_v2", "simclr", "simsiam", "vicreg"]


@pytest.mark.parametrize("method", METHODS)
def test_method_loss_is_finite_and_decreases_on_a_fixed_batch(method: str, tiny, run_dir) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", tiny(method), output_dir=run_dir)
    torch.manual_seed(0)
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    views, _ = next(iter(datamodule.train_dataloader()))
    assert len(views) >= 2 and views[0].shape[1:] == (3, 16, 16)
    model = hydra.utils.instantiate(cfg.model)
    assert isinstance(model, SSLModule)
    # Plain Adam: the paper optimizers (LARS, lr scaled for batch 256+) need long runs to move.
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    for _ in range(8):
        if model.method.uses_momentum:
            model.method.momentum_update(model.backbone, 0.9)
        loss = model.method.loss(model.backbone, list(views), epoch=1)
        optimizer.zero_grad()
        loss.backward()
        model.method.on_after_backward(epoch=1)
        optimizer.step()
        losses.append(float(loss))
    assert all(torch.isfinite(torch.tensor(losses))), losses
    # MoCo's queue starts with random keys (easy negatives): compare from the step it is full.
    start = 64 // 16 if method == "moco_v2" else 0
    assert losses[-1] < losses[start], f"{method}: loss did not decrease: {losses}"


def test_dino_gets_multi_crop_views(tiny, run_dir) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", tiny("dino"), output_dir=run_dir)
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    views, _ = datamodule.datasets["train"][0]
    sizes = [tuple(v.shape[-2:]) for v in views]
    assert sizes[:2] == [(16, 16), (16, 16)] and len(sizes) == 4 and sizes[2][0] < 16


@pytest.mark.parametrize("method", METHODS)
def test_batch_views_match_the_per_image_views(method: str, tiny, run_dir) -> None:
    """data.on_device=true gives each method the views its lightly transform makes per image."""
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny(method), "data.on_device=true"], output_dir=run_dir)
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    per_image, _ = datamodule.datasets["train"][0]
    batch_views, _ = next(iter(datamodule.train_dataloader()))
    assert [tuple(v.shape[1:]) for v in batch_views] == [tuple(v.shape) for v in per_image]
    # Same normalisation: the values of both paths cover the same range (not e.g. 0-255 vs 0-1),
    # over as many images as a batch holds (one image's mean varies with its shapes' colours).
    dataset = datamodule.datasets["train"]
    stacked = torch.cat([v.flatten() for i in range(len(batch_views[0])) for v in dataset[i][0]])
    for view in batch_views:
        assert view.dtype == torch.float32 and torch.isfinite(view).all()
        assert abs(float(view.mean()) - float(stacked.mean())) < 1.0


def test_views_without_a_batch_version_name_the_step_and_the_way_out(tiny, run_dir) -> None:
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr"), "data.on_device=true",
                                                      "+method.views.rr_prob=0.5", "+method.views.rr_degrees=15"],
                              output_dir=run_dir)
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    with pytest.raises(ConfigError, match=r"RandomRotateDegrees.*data\.on_device=false"):
        datamodule.train_dataloader()


def test_channels_last_reaches_the_backbone_with_the_same_loss_and_embeddings(tiny, run_dir) -> None:
    """The methods call the backbone on each view themselves: the views are made channels-last
    for it (``model.channels_last``), and the loss and the kNN features stay the same."""
    cfg = compose_task_config("nnframe.ssl.configs", [*tiny("simclr"), "model.channels_last=false"], output_dir=run_dir)
    resolve_auto_preprocessing(cfg)
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    torch.manual_seed(0)
    plain = hydra.utils.instantiate(cfg.model)
    cfg.model.channels_last = True
    fast = hydra.utils.instantiate(cfg.model)
    fast.load_state_dict(plain.state_dict())
    fast.setup("fit")
    formats = []
    first_conv = next(m for m in fast.net.modules() if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_pre_hook(
        lambda module, args: formats.append(args[0].is_contiguous(memory_format=torch.channels_last)))
    with pytest.warns(UserWarning, match="self.log"):  # no trainer here
        losses = [float(module.training_step(batch, 0)) for module in (plain, fast)]
    assert formats and all(formats), "every view reached the backbone channels-last"
    assert abs(losses[0] - losses[1]) < 1e-4, losses
    images = batch[0][0]
    plain.eval(), fast.eval()
    torch.testing.assert_close(fast.predict_step((images, None), 0)["embeddings"],
                               plain.predict_step((images, None), 0)["embeddings"], atol=1e-4, rtol=1e-4)
    assert compose_task_config("nnframe.ssl.configs", [], output_dir=run_dir).model.channels_last is True  # the demo
