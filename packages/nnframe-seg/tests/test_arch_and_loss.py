"""Switching ``model.arch`` resets the architecture's arguments: every architecture x loss that a
README shows (and the ones the configs offer) trains a step on top of the default model."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate

from nnframe.core.testing import compose_task_config
from nnframe.seg.models import create_segmentation_model
from nnframe.seg.models.smp_model import arch_kwargs_for

ROOT = Path(__file__).resolve().parents[3]
READMES = [ROOT / "README.md", ROOT / "packages" / "nnframe-seg" / "README.md"]
# What the tests shrink: sizes only (64 px: divisible by a depth-5 encoder's stride of 32).
SMALL = ["data.image_size=64", "data.batch_size=2", "model.encoder_weights=null"]


def readme_arch_loss_commands() -> list[list[str]]:
    """The overrides of every ``nnframe seg train`` command in the READMEs that picks a model,
    an architecture or a loss on the embedded data (no other data, experiment or download)."""
    commands = []
    for readme in READMES:
        for line in readme.read_text().splitlines():
            match = re.search(r"nnframe seg train (.*?)(?:\s+#.*)?$", line)
            if not match:
                continue
            overrides = shlex.split(match.group(1))
            chooses = any(o.split("=", 1)[0] in ("model", "model.arch", "model.encoder", "loss") for o in overrides)
            other_data = any(o.startswith(("data=", "experiment=", "data.download", "data.root", "hparams_search"))
                             for o in overrides)
            if chooses and not other_data:
                commands.append(overrides)
    return commands


def train_one_step(overrides: list[str]) -> float:
    cfg = compose_task_config("nnframe.seg.configs", [*overrides, *SMALL])
    model = instantiate(cfg.model)
    size, classes = cfg.data.image_size, cfg.data.num_classes
    images = torch.randn(2, cfg.data.in_channels, size, size)
    masks = torch.randint(0, classes, (2, size, size))
    model.train()
    loss = model.compute_loss(model(images), masks)
    loss.backward()
    # The decoder and head learn (an encoder built deeper than its depth keeps unused stages).
    for name, parameter in model.net.named_parameters():
        if not name.startswith("encoder."):
            assert parameter.grad is not None, name
    return float(loss.detach())


def test_the_readmes_show_an_arch_and_loss_command() -> None:
    assert ["model.arch=fpn", "model.encoder=resnet34", "loss=dice"] in readme_arch_loss_commands()


@pytest.mark.parametrize("overrides", readme_arch_loss_commands(), ids=" ".join)
def test_readme_arch_and_loss_command_trains_a_step(overrides: list[str]) -> None:
    assert torch.isfinite(torch.tensor(train_one_step(overrides)))


@pytest.mark.parametrize("arch", ["unet", "fpn", "deeplabv3plus", "strided_unet"])
def test_every_arch_trains_a_step(arch: str) -> None:
    # The default model is strided_unet_small: its depth-3 decoder must not reach the other archs.
    assert torch.isfinite(torch.tensor(train_one_step([f"model.arch={arch}", "model.encoder=resnet18"])))


@pytest.mark.parametrize("loss", ["ce", "dice", "ce_dice", "focal", "jaccard", "lovasz", "ce_lovasz"])
def test_every_loss_trains_a_step_of_another_arch(loss: str) -> None:
    # A loss sees only logits and masks: one architecture other than the default's is enough.
    assert torch.isfinite(torch.tensor(train_one_step(["model.arch=fpn", "model.encoder=resnet18", f"loss={loss}"])))


def test_arch_kwargs_per_architecture_reach_only_their_architecture() -> None:
    per_arch = {"unet": {"encoder_depth": 3}, "strided_unet": {"decoder_output_stride": 2}}
    assert arch_kwargs_for("strided_unet", per_arch) == {"decoder_output_stride": 2}
    assert arch_kwargs_for("fpn", per_arch) == {}
    assert arch_kwargs_for("fpn", {"encoder_depth": 4}) == {"encoder_depth": 4}  # flat: for any arch
    net = create_segmentation_model("fpn", "resnet18", num_classes=3, arch_kwargs=per_arch)
    assert len(net.encoder.out_channels) == 6  # smp's default depth 5, not the U-Net's 3


def test_plain_arch_kwargs_apply_to_the_current_architecture() -> None:
    per_arch = {"unet": {"encoder_depth": 3, "decoder_channels": [8, 8, 8]}, "fpn": {"decoder_dropout": 0.1}}
    assert arch_kwargs_for("unet", {**per_arch, "encoder_depth": 4}) == {"encoder_depth": 4,
                                                                        "decoder_channels": [8, 8, 8]}
    # Through the config: a plain key beside the default model's per-arch entries reaches its arch.
    cfg = compose_task_config("nnframe.seg.configs", ["+model.arch_kwargs.decoder_use_norm=false", *SMALL])
    model = instantiate(cfg.model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.net.decoder.modules())
