"""Layer-wise learning-rate decay (BEiT; timm's ``--layer-decay``) over timm's layer grouping."""

from __future__ import annotations

from typing import Any

from torch import nn

from nnframe.core.errors import ConfigError


def layer_ids(model: nn.Module) -> dict[str, int]:
    """The layer of every parameter of ``model``, from its timm ``group_matcher(coarse=False)``
    (stem 0, then blocks in order, the head and anything unmatched last), as timm's
    ``param_groups_layer_decay`` numbers them.

    Raises:
        ConfigError: ``model`` has no ``group_matcher`` (not a timm model, nor a wrapper of one).
    """
    from timm.models import group_parameters

    matcher = getattr(model, "group_matcher", None)
    try:
        if not callable(matcher):
            raise AttributeError("group_matcher")
        grouping = matcher(coarse=False)
    except AttributeError:
        raise ConfigError("model.layer_decay needs a network that numbers its layers (timm's group_matcher), and "
                          f"this {type(model).__name__} has none: use a timm backbone or set model.layer_decay=null"
                          ) from None
    return group_parameters(model, grouping, reverse=True)


def layer_decay_options(model: nn.Module, layer_decay: float, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Per-parameter optimizer options for layer-wise learning-rate decay.

    The last layer (the head) keeps the optimizer's learning rate; layer ``i`` of ``L`` gets it
    times ``layer_decay ** (L - 1 - i)``, as in BEiT (Bao et al., 2022) and timm's
    ``param_groups_layer_decay``.

    Args:
        model: a module with a timm ``group_matcher``.
        layer_decay: the decay per layer, e.g. 0.75.
        prefix: prepended to the parameter names (the module's path in the task module).

    Returns:
        ``{parameter name: {"name": "layer_<i>", "lr_scale": scale}}`` (see
        :func:`~nnframe.core.optim.parameter_groups`; the task module multiplies each group's
        learning rate by its ``lr_scale``).

    Raises:
        ConfigError: ``layer_decay`` not in (0, 1], or no ``group_matcher``.
    """
    if not 0 < layer_decay <= 1:
        raise ConfigError(f"model.layer_decay={layer_decay} must be in (0, 1] (e.g. 0.75), or null for none")
    ids = layer_ids(model)
    top = max(ids.values())
    return {f"{prefix}{name}": {"name": f"layer_{layer:02d}", "lr_scale": layer_decay ** (top - layer)}
            for name, layer in ids.items()}
