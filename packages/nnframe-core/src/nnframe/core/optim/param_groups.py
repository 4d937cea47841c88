"""Optimizer parameter groups: no weight decay on norms and biases, per-module options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

#: Attribute holding the options :func:`set_param_group_options` gives a module's parameters.
PARAM_GROUP_OPTIONS_ATTR = "nnframe_param_group_options"

_NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
    nn.LazyBatchNorm1d, nn.LazyBatchNorm2d, nn.LazyBatchNorm3d,
    nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
    nn.LazyInstanceNorm1d, nn.LazyInstanceNorm2d, nn.LazyInstanceNorm3d,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()),
)


def set_param_group_options(module: nn.Module, name: str, **options: Any) -> nn.Module:
    """Put the parameters of ``module`` (and its children) in their own optimizer group.

    ``options`` become keys of that group: optimizer hyperparameters (``lr``,
    ``weight_decay``...) or flags that the schedules read (``fixed_lr=True``: see
    :func:`~nnframe.core.optim.warmup_cosine`). A tagged child of a tagged module adds its
    options to its parent's.

    Args:
        module: the module whose parameters get the options.
        name: the group's name (in the learning-rate monitor's log keys).
        **options: the group's keys.

    Returns:
        ``module``, tagged.
    """
    setattr(module, PARAM_GROUP_OPTIONS_ATTR, {"name": name, **options})
    return module


def is_no_weight_decay(module: nn.Module, name: str, parameter: nn.Parameter) -> bool:
    """Whether a parameter is a bias or a normalisation parameter (as the SSL papers exempt
    from weight decay and LARS adaptation): a norm layer's, one named ``bias``, or any vector
    (norm scales of other libraries, layer-scale gammas: timm's rule)."""
    return isinstance(module, _NORM_LAYERS) or name == "bias" or parameter.ndim <= 1


def parameter_groups(
    module: nn.Module, exclude_norm_and_bias_from_weight_decay: bool = False,
    parameter_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The trainable parameters of ``module`` as optimizer parameter groups.

    Parameters are grouped by the options of their nearest tagged module
    (:func:`set_param_group_options`) and, with ``exclude_norm_and_bias_from_weight_decay``,
    split again into a group with the optimizer's weight decay and one with
    ``weight_decay=0`` (named ``<group>_no_decay``) for biases and normalisation parameters.
    lightly's LARS also skips its trust-ratio adaptation on groups without weight decay, as
    SimCLR, BYOL and Barlow Twins do.

    Without tags and without the exclusion, one group without a name (what passing
    ``module.parameters()`` gives), so log keys and checkpoints are unchanged.

    Args:
        module: the model; parameters with ``requires_grad=False`` are left out, shared ones
            appear once.
        exclude_norm_and_bias_from_weight_decay: zero weight decay for biases and norms.
        parameter_options: options of single parameters by their name in ``module`` (e.g. the
            ``lr_scale`` and ``name`` of layer-wise learning-rate decay, see
            :func:`~nnframe.core.optim.layer_decay_options`), applied over the module tags.

    Returns:
        ``[{"params": [...], "name": ..., **options}, ...]``, empty groups left out.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    seen: set[int] = set()

    per_parameter = parameter_options or {}

    def visit(submodule: nn.Module, options: dict[str, Any], prefix: str) -> None:
        tag = getattr(submodule, PARAM_GROUP_OPTIONS_ATTR, None)
        if tag:
            options = {**options, **tag}
        for name, parameter in submodule.named_parameters(recurse=False):
            if not parameter.requires_grad or id(parameter) in seen:
                continue
            seen.add(id(parameter))
            these = {**options, **per_parameter.get(prefix + name, {})}
            no_decay = exclude_norm_and_bias_from_weight_decay and is_no_weight_decay(submodule, name, parameter)
            key = (repr(sorted(these.items())), no_decay)
            if key not in groups:
                group = {**these, "params": []}
                if no_decay:
                    group["name"] = f"{these.get('name', 'params')}_no_decay"
                    group["weight_decay"] = 0.0
                groups[key] = group
            groups[key]["params"].append(parameter)
        for child_name, child in submodule.named_children():
            visit(child, options, f"{prefix}{child_name}.")

    visit(module, {}, "")
    result = list(groups.values())
    if len(result) > 1:
        # Named groups throughout, so the learning-rate monitor logs one readable key per group.
        for group in result:
            group.setdefault("name", "params")
    return result
