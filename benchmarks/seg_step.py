"""A B timing of segmentation training steps: network, loss and optimizer of two seg configs.

    uv run python benchmarks/seg_step.py                      # unet_small against the default model
    uv run python benchmarks/seg_step.py --a "loss=ce" --b ""  # any two sets of overrides

Each side is the default seg config (``experiment=shapes``) plus its overrides: its module's
network and loss, its optimizer as a run builds it (``build_optimizer``), channels-last when the
config says so, on one random batch of the config's batch size and image size. Steps (forward, loss,
backward, optimizer step) are timed in blocks that alternate A B A B, so a change of the machine's
load hits both sides; prints the median milliseconds per step of each side and the ratio B / A of
every pair of blocks. Nothing else of a run (data, metrics, logging) is in these figures.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import time

import torch
from hydra.utils import instantiate

from nnframe.core.optim import build_optimizer
from nnframe.core.testing import compose_task_config


def build_step(overrides: list[str]) -> tuple[str, object]:
    """A closure running one training step of the config with ``overrides``."""
    cfg = compose_task_config("nnframe.seg.configs", [*overrides, "data.normalization=imagenet"])
    module = instantiate(cfg.model)
    net = module.net
    size, batch = int(cfg.data.image_size), int(cfg.data.batch_size)
    images = torch.randn(batch, int(cfg.data.in_channels), size, size)
    target = torch.randint(0, int(cfg.data.num_classes), (batch, size, size))
    if cfg.model.channels_last:
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    optimizer = build_optimizer(module.optimizer_factory, [p for p in net.parameters() if p.requires_grad])

    def step() -> None:
        loss = module.compute_loss(net(images), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    label = f"{type(net).__name__} {sum(p.numel() for p in net.parameters()) / 1e3:.0f}K params"
    return label, step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", default="model=unet_small", help="overrides of side A (default: model=unet_small, "
                        "smp's U-Net with a full-size last block)")
    parser.add_argument("--b", default="", help="overrides of side B (default: none, the default config)")
    parser.add_argument("--repeats", type=int, default=8, help="A B pairs of blocks")
    parser.add_argument("--steps", type=int, default=40, help="steps per block")
    args = parser.parse_args()
    torch.set_flush_denormal(True)  # as extras.flush_denormal does in a run
    sides = {"A": build_step(shlex.split(args.a)), "B": build_step(shlex.split(args.b))}
    for _, step in sides.values():
        for _ in range(10):
            step()
    times: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.repeats):
        for name, (_, step) in sides.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - start) / args.steps * 1000)
    for name, (label, _) in sides.items():
        overrides = args.a if name == "A" else args.b
        print(f"{name}: {statistics.median(times[name]):.2f} ms/step  {label}  [{overrides or 'default'}]")
    ratios = [b / a for a, b in zip(times["A"], times["B"], strict=True)]
    print(f"B / A: median {statistics.median(ratios):.3f}, per pair {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
