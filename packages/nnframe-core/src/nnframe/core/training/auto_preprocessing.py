"""``data.normalization=auto``: the data preprocessing follows the model's pretrained weights.

With pretrained weights, the model's own preprocessing (timm's ``pretrained_cfg``, smp's encoder
settings, an nnframe backbone file's training run) sets the normalisation and, where the data
config leaves them ``auto``, the transforms' interpolation and evaluation crop; without, the
dataset's own statistics. The resolved values are written into ``cfg.data`` before the
transforms are built, so the config saved in checkpoints holds them (eval, predict and export
rebuild the same preprocessing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import hydra
import rich
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.backbones.preprocessing import Preprocessing
from nnframe.core.cv_tools.normalization import resolve_normalization

AUTO = "auto"
#: timm's default evaluation crop (``timm.data.DEFAULT_CROP_PCT``) when nothing else says.
DEFAULT_CROP_PCT = 0.875
DEFAULT_INTERPOLATION = "bilinear"


@dataclass
class PreprocessingChoice:
    """What :func:`resolve_auto_preprocessing` decided, for the start-up summary."""

    normalization: Any = None
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not (self.normalization is not None or self.changes or self.notes):
            return []
        if self.normalization is not None:
            mean, std = resolve_normalization(self.normalization)
            shown = self.normalization if isinstance(self.normalization, str) else "mean/std"
            lines = [f"preprocessing: normalization {shown} (mean {_fmt(mean)}, std {_fmt(std)}): {self.reason}"]
        else:
            lines = ["preprocessing: data.normalization as set in the config"]
        for key, value in self.changes.items():
            lines.append(f"  {key}={value}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines


def _fmt(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def _target_class(node: Any) -> Any:
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    if not target:
        return None
    try:
        return hydra.utils.get_class(target)
    except Exception:  # building the object reports a bad _target_ with the right context
        return None


def model_preprocessing(cfg: DictConfig) -> Preprocessing | None:
    """The preprocessing of ``cfg.model``'s pretrained weights: its class's
    ``preprocessing(model_cfg)`` (see :meth:`nnframe.core.modules.TaskModule.preprocessing`)."""
    model_class = _target_class(cfg.get("model"))
    preprocessing = getattr(model_class, "preprocessing", None)
    return preprocessing(cfg.model) if callable(preprocessing) else None


def _channels(values: tuple[float, ...], channels: int) -> list[float]:
    if len(values) == channels:
        return [float(v) for v in values]
    if channels == 1:  # grey images into a model whose first convolution timm averaged over RGB
        return [sum(values) / len(values)]
    return [float(v) for v in values]


def resolve_auto_preprocessing(cfg: DictConfig, announce: bool = True) -> PreprocessingChoice | None:
    """Replace the ``auto`` preprocessing values of ``cfg.data`` by concrete ones, in place.

    Resolved: ``data.normalization``; ``interpolation`` of ``data.train_transform`` /
    ``data.eval_transform`` and ``data.eval_transform.resize_ratio`` (timm's ``crop_pct``) when
    they are ``auto``. Values the config or the command line set are kept; when they differ from
    what the pretrained weights expect, the summary says so.

    Args:
        cfg: the run config (``cfg.data`` is changed in place).
        announce: print the choice now; ``build_datamodule`` prints it after its data check
            (:func:`print_preprocessing`), so a missing folder is not preceded by it.

    Returns:
        What was chosen and why, or None when ``cfg`` has nothing to resolve.
    """
    data = cfg.get("data")
    if not isinstance(data, DictConfig) or "normalization" not in data:
        return None
    transforms = {name: data[name] for name in ("train_transform", "eval_transform")
                  if isinstance(data.get(name), DictConfig)}
    auto_keys = [f"{name}.{key}" for name, node in transforms.items() for key in ("interpolation", "resize_ratio")
                 if OmegaConf.select(node, key) == AUTO]
    normalization_auto = data.get("normalization") == AUTO
    pretrained = model_preprocessing(cfg) if "model" in cfg else None
    if not normalization_auto and not auto_keys and pretrained is None:
        return None
    choice = PreprocessingChoice()
    channels = int(data.get("in_channels") or 3)
    with open_dict(cfg):
        if normalization_auto:
            if pretrained is not None:
                data.normalization = [_channels(pretrained.mean, channels), _channels(pretrained.std, channels)]
                choice.reason = f"from the model's pretrained weights ({pretrained.source}); data.normalization=auto"
            else:
                data_class = _target_class(data)
                default = getattr(data_class, "default_normalization", None)
                data.normalization = default(data) if callable(default) else "imagenet"
                choice.reason = _without_weights_reason(data.normalization)
            choice.normalization = OmegaConf.to_object(data.normalization) if OmegaConf.is_config(
                data.normalization) else data.normalization
        elif pretrained is not None:
            given = resolve_normalization(OmegaConf.to_object(data.normalization) if OmegaConf.is_config(
                data.normalization) else data.normalization)
            if any(abs(a - b) > 1e-3 for a, b in zip(given[0] + given[1], pretrained.mean + pretrained.std,
                                                     strict=False)):
                choice.notes.append(
                    f"data.normalization={data.normalization} is set, but the pretrained weights expect mean "
                    f"{_fmt(pretrained.mean)}, std {_fmt(pretrained.std)} ({pretrained.source}); "
                    "data.normalization=auto follows the weights")
        for key in auto_keys:
            name, _, leaf = key.partition(".")
            if leaf == "interpolation":
                value = (pretrained.interpolation if pretrained and pretrained.interpolation
                         else DEFAULT_INTERPOLATION)
            else:
                value = pretrained.crop_pct if pretrained and pretrained.crop_pct else DEFAULT_CROP_PCT
            transforms[name][leaf] = value
            if pretrained is not None:  # without weights these are the plain defaults: not worth a line
                choice.changes[f"data.{key}"] = value
    if pretrained is not None and pretrained.input_size and data.get("image_size") not in (None, AUTO):
        size = data.get("image_size")
        if isinstance(size, int) and size != pretrained.input_size:
            choice.notes.append(f"the weights were trained at {pretrained.input_size} px and data.image_size={size}: "
                                f"set data.image_size={pretrained.input_size} to fine-tune at their resolution")
    if announce:
        print_preprocessing(choice)
    return choice


def _without_weights_reason(normalization: Any) -> str:
    """Why ``normalization`` was chosen without pretrained weights: a dataset whose statistics
    nnframe knows (CIFAR, MNIST, the shapes) gets its own; other data (folders, CSV, masks) gets
    ImageNet's, which are not its own."""
    if normalization == "imagenet":
        return ("ImageNet's statistics, the usual default for photos (no pretrained weights, and nnframe has no "
                "statistics of this data's own); data.normalization=auto")
    return "the dataset's own statistics (no pretrained weights); data.normalization=auto"


@rank_zero_only
def print_preprocessing(choice: PreprocessingChoice) -> None:
    """Print what :func:`resolve_auto_preprocessing` chose (``preprocessing: normalization ...``)."""
    console = rich.get_console()
    for line in choice.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)
