"""One benchmark configuration: a backbone under one precision and one set of switches."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nnframe.core.errors import ConfigError

# Precision names of the bench config -> Lightning's.
LIGHTNING_PRECISION = {"fp32": "32-true", "bf16-mixed": "bf16-mixed", "fp16-mixed": "16-mixed"}


@dataclass(frozen=True)
class BenchCase:
    """A row of the results table.

    Args:
        name: the backbone entry's name (``resnet18``, ``unet_resnet34``).
        model_overrides: keys set on ``cfg.model`` (dotted keys allowed); each value replaces
            the model's (a mapping is not merged into the one there).
        precision: ``fp32``, ``bf16-mixed`` or ``fp16-mixed``.
        channels_last: model and images in ``channels_last`` memory format.
        compile: ``torch.compile`` the network.
    """

    name: str
    model_overrides: dict[str, Any] = field(default_factory=dict)
    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False


def backbone_entries(bench: DictConfig) -> list[tuple[str, dict[str, Any]]]:
    """``bench.backbones`` as ``(name, model overrides)``.

    An entry is either a string (the value of ``bench.backbone_key``, e.g. a timm name) or a
    mapping ``{name: ..., model: {key: value}}``.
    """
    key = bench.get("backbone_key", "backbone")
    entries: list[tuple[str, dict[str, Any]]] = []
    for entry in bench.backbones:
        if isinstance(entry, str):
            entries.append((entry, {key: entry}))
        elif isinstance(entry, DictConfig) and "name" in entry:
            overrides = OmegaConf.to_container(entry.get("model") or {}, resolve=True)
            entries.append((str(entry.name), dict(overrides)))  # type: ignore[arg-type]
        else:
            raise ConfigError(f"bench.backbones entry {entry!r} must be a name or {{name: ..., model: {{...}}}}")
    return entries


def expand_cases(bench: DictConfig) -> list[BenchCase]:
    """The cross product backbones x precisions x channels_last x compile, in that order."""
    for precision in bench.precisions:
        if precision not in LIGHTNING_PRECISION:
            raise ConfigError(f"bench.precisions has {precision!r}; choose from {', '.join(LIGHTNING_PRECISION)}")
    return [
        BenchCase(name, overrides, str(precision), bool(channels_last), bool(compile_))
        for (name, overrides), precision, channels_last, compile_ in itertools.product(
            backbone_entries(bench), bench.precisions, bench.channels_last, bench.compile)
    ]
