"""Config values that come from the data: resolved once the datamodule is built and checked,
and written into ``cfg.data`` so that the saved config and the checkpoints hold concrete values
(eval, predict and export rebuild exactly what was trained).

A value of ``auto`` in ``cfg.data`` is resolved by the entry of :data:`AUTO_RESOLVERS` for its key;
a key without one is an error. Add a resolver here to make another key data-dependent: it gets
the whole config (``cfg.model`` included: the place to read a pretrained model's preprocessing,
timm's ``pretrained_cfg`` or smp's encoder params, for ``data.normalization=auto``) and the
checked datamodule, and returns the value with the reason printed to the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nnframe.core.cv_tools.normalization import resolve_normalization
from nnframe.core.errors import ConfigError
from nnframe.core.training.optimizer_steps import batch_size_from_data

AUTO = "auto"
#: ``(cfg, datamodule) -> (value, reason)``
AutoResolver = Callable[[DictConfig, Any], tuple[Any, str]]


def image_size_from_data(cfg: DictConfig, datamodule: Any) -> tuple[int, str]:
    """The median short side of the training images, within ``[data.min_image_size,
    data.max_image_size]``, rounded down to a multiple of ``data.image_size_multiple`` (at least
    one multiple); a model that takes one input size only (the class's ``input_size(model_cfg)``,
    e.g. a timm ViT timm cannot create at another size) gets that size."""
    stats = datamodule.data_report.splits.get("train")
    side = stats.median_short_side() if stats is not None else None
    if side is None:
        raise ConfigError("data.image_size=auto needs image files to measure; set data.image_size=<pixels>")
    cap = int(getattr(datamodule, "max_image_size", 224))
    low = min(cap, max(1, int(getattr(datamodule, "min_image_size", 1) or 1)))
    multiple = max(1, int(getattr(datamodule, "image_size_multiple", 1)))
    size = min(max(side, low), cap)
    rounded = max(multiple, size // multiple * multiple)
    why = f"median short side of the {stats.samples} training images is {side} px"
    if side > cap:
        why += f", capped at data.max_image_size={cap}"
    if side < low:
        why += f", raised to data.min_image_size={low} (what the network needs)"
    if multiple > 1 and rounded != size:
        why += f", rounded to a multiple of {multiple} (the encoder's stride)"
    rule = _model_input_size(cfg)
    if rule is not None and rule.fixed is not None and rounded != rule.fixed:
        backbone = cfg.model.get("backbone", "the model")
        if rule.resizable:
            why += f"; {backbone} is created at {rounded} px (its default is {rule.fixed})"
        else:
            why = f"{backbone} takes {rule.fixed} px images only (the data's {why})"
            rounded = rule.fixed
    return rounded, why


def _model_input_size(cfg: DictConfig) -> Any:
    """The :class:`~nnframe.core.backbones.InputSize` of ``cfg.model``, from its class's
    ``input_size(model_cfg)`` (None when the class has none)."""
    from nnframe.core.training.auto_preprocessing import _target_class

    hook = getattr(_target_class(cfg.get("model")), "input_size", None)
    return hook(cfg.model) if callable(hook) else None


def multi_label_from_data(cfg: DictConfig, datamodule: Any) -> tuple[bool, str]:
    """Whether any sample of the data has several labels."""
    multi = bool(getattr(datamodule, "multi_label", False))
    return multi, "some samples have several labels" if multi else "every sample has one label"


def normalization_from_model(cfg: DictConfig, datamodule: Any) -> tuple[Any, str]:
    """``data.normalization=auto``: the model's pretrained preprocessing, else the dataset's own
    statistics (:func:`~nnframe.core.training.auto_preprocessing.resolve_auto_preprocessing`;
    ``build_datamodule`` resolves it before the datamodule exists, this covers other callers)."""
    from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing

    choice = resolve_auto_preprocessing(cfg)
    return cfg.data.normalization, choice.reason if choice is not None else "from the model"


#: Key of ``cfg.data`` -> how its ``auto`` value is found.
AUTO_RESOLVERS: dict[str, AutoResolver] = {
    "batch_size": batch_size_from_data,
    "image_size": image_size_from_data,
    "multi_label": multi_label_from_data,
    "normalization": normalization_from_model,
}


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, DictConfig | ListConfig) else value


def resolve_data_values(cfg: DictConfig, datamodule: Any) -> list[str]:
    """Resolve every ``auto`` of ``cfg.data`` (and fit ``data.normalization`` to
    ``data.in_channels``) into ``cfg.data`` and the datamodule.

    Returns:
        One line per resolved value, ``data.image_size=auto -> 64 (why)``.

    Raises:
        ConfigError: an ``auto`` value without a resolver, or one that cannot be resolved.
    """
    messages = []
    for key in list(cfg.data.keys()):
        if OmegaConf.is_missing(cfg.data, key) or cfg.data[key] != AUTO:
            continue
        if key not in AUTO_RESOLVERS:
            raise ConfigError(f"data.{key}=auto cannot be taken from the data; set a value")
        value, why = AUTO_RESOLVERS[key](cfg, datamodule)
        _set(cfg, datamodule, key, value)
        messages.append(f"data.{key}=auto -> {value} ({why})")
    channels = cfg.data.get("in_channels")
    normalization = _plain(cfg.data.get("normalization"))
    if channels is not None and normalization is not None:
        try:
            stats = resolve_normalization(normalization, None)
            adapted = resolve_normalization(normalization, int(channels))
        except ValueError as error:
            raise ConfigError(f"data.normalization={normalization!r} does not fit data.in_channels={channels}: "
                              f"{error}; give [[mean...],[std...]] with {channels} values each") from error
        if len(stats[0]) != len(adapted[0]):
            value = [list(adapted[0]), list(adapted[1])]
            _set(cfg, datamodule, "normalization", value)
            messages.append(f"data.normalization={normalization} -> {value} (for data.in_channels={channels}: "
                            "RGB stats as luma-weighted grey stats)" if int(channels) == 1 else
                            f"data.normalization={normalization} -> {value} (repeated for {channels} channels)")
    datamodule.data_report.resolved += messages
    return messages


def _set(cfg: DictConfig, datamodule: Any, key: str, value: Any) -> None:
    with open_dict(cfg):
        cfg.data[key] = value
    if hasattr(datamodule, key):
        setattr(datamodule, key, value)
    if key == "batch_size" and getattr(datamodule, "eval_batch_size", None) == AUTO:  # it follows batch_size
        datamodule.eval_batch_size = value
