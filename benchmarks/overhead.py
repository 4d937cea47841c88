"""What does nnframe cost per training step? nnframe's training path against a plain PyTorch loop.

Both train the same model on the same data (the same datamodule and its DataLoader), with the
same batch size, optimizer, LR schedule, seed and number of steps; the plain loop starts from
the global RNG state nnframe's training started from (Lightning draws from it while it sets
up), so both draw the same augmentations and must end with the same loss (checked to 5
decimals). A third side, Lightning's own loop (the same module's step in a bare
``LightningModule``: no callbacks, logger, progress bar or checkpointing), tells what of the gap
is Lightning's and what nnframe's. Runs are interleaved (A B C, C B A, ...); the first
``--drop`` steps of each run are left out.

Two clocks: wall time (what a user waits) and process CPU time (all threads of the process:
progress-bar rendering and logger threads count). On a shared, loaded machine wall time swings
with other people's work; with ``--threads 1`` CPU time is the steadier measure of the work done.

    uv run python benchmarks/overhead.py                    # both settings
    uv run python benchmarks/overhead.py --setting tiny_cnn --repeats 5

Settings: ``tiny_cnn`` (nnframe's small CNN on the embedded shapes, 32x32, where per-step
overhead shows most) and ``resnet18`` (timm ResNet-18 on 32x32 shapes). CPU only.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

SETTINGS: dict[str, list[str]] = {
    "tiny_cnn": ["model=simple_cnn"],
    "resnet18": ["model=timm", "model.backbone=resnet18", "model.drop_rate=0.0"],
}


@dataclass
class RunResult:
    """Step times (seconds, first steps dropped) on both clocks and the final loss of one run."""

    wall: list[float]
    cpu: list[float]
    final_loss: float
    batch_size: int

    def img_s(self, clock: str) -> float:
        times = self.wall if clock == "wall" else self.cpu
        return self.batch_size * len(times) / max(sum(times), 1e-12)

    def median_ms(self, clock: str) -> float:
        return 1000 * statistics.median(self.wall if clock == "wall" else self.cpu)


def compose(setting: str, steps: int, batch_size: int, output_dir: Path, extra: list[str]) -> Any:
    """The cls run config of ``setting``: one epoch of exactly ``steps`` steps, default callbacks
    and loggers, plus the clock-reading :class:`StepTimesCallback`."""
    from nnframe.core.testing import compose_task_config

    overrides = [
        *SETTINGS[setting],
        "data=shapes", "data.image_size=32", f"data.batch_size={batch_size}",
        f"data.num_train={steps * batch_size}", f"data.num_val={batch_size}", f"data.num_test={batch_size}",
        "trainer.max_epochs=1", "trainer.accelerator=cpu", "test=false", "extras.print_config=false",
        "+callbacks.step_times._target_=nnframe.core.benchmark.StepTimesCallback",
        *extra,
    ]
    return compose_task_config("nnframe.cls.configs", overrides, output_dir=output_dir)


def run_nnframe(cfg: Any, drop: int) -> tuple[RunResult, torch.Tensor]:
    """``nnframe.core.training.train(cfg)``: default callbacks, loggers and progress bar."""
    from nnframe.core.benchmark import StepTimesCallback
    from nnframe.core.training import train

    train(cfg)
    timer = StepTimesCallback.last
    assert timer is not None and timer.rng_state is not None and timer.last_loss is not None
    result = RunResult(timer.step_times()[drop:], timer.step_times(cpu=True)[drop:], float(timer.last_loss),
                       int(cfg.data.batch_size))
    return result, timer.rng_state


def _plain_setup(cfg: Any) -> tuple[Any, Any, Any, Any, bool]:
    """What the plain loop and Lightning's bare loop start from, as nnframe's run builds it:
    ``(model, loader, optimizer, scheduler, channels_last)``."""
    import lightning as L

    from nnframe.core.optim import build_optimizer
    from nnframe.core.training.instantiate import build_datamodule, build_model

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    torch.set_flush_denormal(bool(cfg.extras.get("flush_denormal")))  # as nnframe's run sets it
    datamodule = build_datamodule(cfg, stage="fit")
    model = build_model(cfg, datamodule.class_names)
    loader = datamodule.train_dataloader()
    # The optimizer nnframe's configure_optimizers builds (torch's fused kernel where allowed).
    optimizer = build_optimizer(model.optimizer_factory, [p for p in model.parameters() if p.requires_grad])
    scheduler = model.scheduler_factory(optimizer, total_steps=len(loader)) if model.scheduler_factory else None
    channels_last = bool(getattr(model, "channels_last", False))  # the memory format nnframe's run uses
    if channels_last:
        model.net.to(memory_format=torch.channels_last)
    return model, loader, optimizer, scheduler, channels_last


def run_raw(cfg: Any, drop: int, rng_state: torch.Tensor) -> RunResult:
    """The same training as a hand-written loop: forward, loss, backward, step, schedule."""
    model, loader, optimizer, scheduler, channels_last = _plain_setup(cfg)
    net, loss_fn = model.net, model.compute_loss
    net.train()
    torch.set_rng_state(rng_state)
    wall, cpu = [time.perf_counter()], [time.process_time()]
    loss = torch.zeros(())
    for images, target in loader:
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(images), target)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        wall.append(time.perf_counter())
        cpu.append(time.process_time())

    def diffs(marks: list[float]) -> list[float]:
        return [b - a for a, b in zip(marks, marks[1:], strict=False)][drop:]

    return RunResult(diffs(wall), diffs(cpu), float(loss), int(cfg.data.batch_size))


def run_lightning(cfg: Any, drop: int, rng_state: torch.Tensor) -> RunResult:
    """The plain loop's work in Lightning's loop: ``training_step`` returns the loss, Lightning
    does zero_grad, backward, step and the per-step schedule; nothing else is switched on."""
    import lightning as L

    from nnframe.core.benchmark import StepTimesCallback

    model, loader, optimizer, scheduler, channels_last = _plain_setup(cfg)

    class BareModule(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.task = model

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            images, target = batch
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            return model.compute_loss(model.net(images), target)

        def configure_optimizers(self) -> Any:
            if scheduler is None:
                return optimizer
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    class SameRandomState(L.Callback):  # the crops nnframe's run and the plain loop drew
        def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            torch.set_rng_state(rng_state)

    timer = StepTimesCallback()
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        limit_val_batches=0, callbacks=[SameRandomState(), timer])
    trainer.fit(BareModule(), train_dataloaders=loader)
    assert timer.last_loss is not None
    return RunResult(timer.step_times()[drop:], timer.step_times(cpu=True)[drop:], float(timer.last_loss),
                     int(cfg.data.batch_size))


def compare(setting: str, repeats: int = 3, steps: int = 60, drop: int = 10, batch_size: int = 64,
            extra: list[str] | None = None) -> dict[str, float]:
    """Interleave nnframe (A), the raw loop (B) and Lightning's bare loop (C) ``repeats``
    times; print and return the figures.

    img/s of a run = images of its kept steps / their total time (periodic costs such as
    logging every N steps count); each figure is the median over repeats.
    """
    runs: dict[str, list[RunResult]] = {"nnframe": [], "raw": [], "lightning": []}
    ours, raw, bare = runs["nnframe"], runs["raw"], runs["lightning"]
    rng_state: torch.Tensor | None = None  # the same in every repeat (same seed, same set-up)
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            cfg = compose(setting, steps, batch_size, Path(tmp) / f"run{repeat}", extra or [])
            # A B C, then C B A, ...: a drift of the machine's load over time favours no side.
            order = ("nnframe", "raw", "lightning")
            order = order if repeat % 2 == 0 or rng_state is None else order[::-1]
            for side in order:
                gc.collect()  # no run pays for collecting another's garbage
                if side == "nnframe":
                    result, rng_state = run_nnframe(cfg, drop)
                    ours.append(result)
                else:
                    assert rng_state is not None
                    runs[side].append((run_raw if side == "raw" else run_lightning)(cfg, drop, rng_state))
            print(f"  repeat {repeat} ({' then '.join(order)}): nnframe {ours[-1].img_s('wall'):.0f} / raw "
                  f"{raw[-1].img_s('wall'):.0f} / Lightning {bare[-1].img_s('wall'):.0f} img/s wall, "
                  f"{ours[-1].img_s('cpu'):.0f} / {raw[-1].img_s('cpu'):.0f} / {bare[-1].img_s('cpu'):.0f} img/s CPU",
                  flush=True)
    figures: dict[str, float] = {}
    for clock in ("wall", "cpu"):
        a = statistics.median(r.img_s(clock) for r in ours)
        b = statistics.median(r.img_s(clock) for r in raw)
        c = statistics.median(r.img_s(clock) for r in bare)
        figures.update({
            f"{clock}_nnframe_median_step_ms": statistics.median(r.median_ms(clock) for r in ours),
            f"{clock}_raw_median_step_ms": statistics.median(r.median_ms(clock) for r in raw),
            f"{clock}_lightning_median_step_ms": statistics.median(r.median_ms(clock) for r in bare),
            f"{clock}_nnframe_img_s": a, f"{clock}_raw_img_s": b, f"{clock}_lightning_img_s": c,
            f"{clock}_ratio": a / b, f"{clock}_lightning_ratio": c / b, f"{clock}_nnframe_lightning_ratio": a / c,
        })
    same = all(round(a.final_loss, 5) == round(b.final_loss, 5) == round(c.final_loss, 5)
               for a, b, c in zip(ours, raw, bare, strict=True))
    figures.update(nnframe_loss=ours[-1].final_loss, raw_loss=raw[-1].final_loss, same_loss=float(same))
    print(f"{setting}: {repeats} repeats x {steps} steps (first {drop} dropped), batch {batch_size}, "
          f"{torch.get_num_threads()} torch threads")
    for clock in ("wall", "cpu"):
        print(f"  {clock:<4} nnframe {figures[f'{clock}_nnframe_median_step_ms']:8.2f} ms/step "
              f"{figures[f'{clock}_nnframe_img_s']:7.0f} img/s | raw {figures[f'{clock}_raw_median_step_ms']:8.2f} "
              f"ms/step {figures[f'{clock}_raw_img_s']:7.0f} img/s | ratio nnframe/raw {figures[f'{clock}_ratio']:.3f}")
        print(f"  {clock:<4} Lightning's bare loop {figures[f'{clock}_lightning_median_step_ms']:8.2f} ms/step "
              f"{figures[f'{clock}_lightning_img_s']:7.0f} img/s | ratio Lightning/raw "
              f"{figures[f'{clock}_lightning_ratio']:.3f} | nnframe/Lightning {figures[f'{clock}_nnframe_lightning_ratio']:.3f}")
    print(f"  final loss nnframe {figures['nnframe_loss']:.5f} raw {figures['raw_loss']:.5f} Lightning {bare[-1].final_loss:.5f} "
          f"({'same' if same else 'DIFFERENT'} to 5 decimals)", flush=True)
    if not same:
        raise SystemExit(f"{setting}: nnframe, the raw loop and Lightning's loop ended with different losses")
    return figures


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Parse the command line and run the chosen settings."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--setting", choices=[*SETTINGS, "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60, help="training steps per run")
    parser.add_argument("--drop", type=int, default=10, help="first steps of each run left out")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for the nnframe runs")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = list(SETTINGS) if args.setting == "all" else [args.setting]
    return {s: compare(s, args.repeats, args.steps, args.drop, args.batch_size, args.overrides) for s in settings}


if __name__ == "__main__":
    main()
