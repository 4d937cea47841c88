"""nnframe's message for an override of a key the config does not have (a typo such as ``lrr``
for ``model.optimizer``'s ``lr``).

Hydra answers "To append to your config use +<the key>=<value>": followed, the new key reaches
the optimizer's constructor and fails with a TypeError. The likely intent is a typo, so the
message names the closest existing key instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, OmegaConf

_UNKNOWN_KEY = re.compile(r"Could not override '([^']+)'")


def _keys(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted key of a plain container (``OmegaConf.to_container(resolve=False)``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if prefix == "" and key == "hydra":
                continue
            path = f"{prefix}{key}"
            yield path
            yield from _keys(value, f"{path}.")


def closest_key(cfg: DictConfig, key: str) -> str | None:
    """The existing key most like ``key``: a sibling first (``lrr`` -> ``lr``), else any key."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent, throw_on_missing=False) if parent else cfg
    if isinstance(node, DictConfig):
        match = difflib.get_close_matches(leaf, [str(k) for k in node], n=1, cutoff=0.5)
        if match:
            return f"{parent}.{match[0]}" if parent else match[0]
    match = difflib.get_close_matches(key, list(_keys(OmegaConf.to_container(cfg, resolve=False))), n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_key_message(error: BaseException, config_package: str, config_name: str, action: str,
                        overrides: list[str], command: str) -> str | None:
    """The one-line message for Hydra's "Could not override 'key'" of a key the config lacks, or
    None for another error.

    Args:
        error: Hydra's composition error.
        config_package, config_name, action: what was composed.
        overrides: the command line's overrides.
        command: the command as the user typed it (``nnframe cls train``), for the ``--cfg job`` hint.
    """
    from nnframe.core.composition import compose_config

    found = _UNKNOWN_KEY.match(str(error))
    if not found or "not in struct" not in str(error.__cause__ or ""):
        return None
    key = found.group(1)
    given = [o for o in overrides if o.split("=", 1)[0] == key]
    value = given[0].split("=", 1)[1] if given else "..."
    others = [o for o in overrides if o not in given]
    try:
        cfg = compose_config(config_package, others, config_name=config_name, action=action)
    except Exception:  # another override fails too: no suggestion, the listing hint still helps
        cfg = None
    suggestion = closest_key(cfg, key) if cfg is not None else None
    listing = f"`{command} --cfg job` lists every key"
    if suggestion is None:
        return f"{key} is not a key of this config ({listing})"
    return f"{key} is not a key of this config: did you mean {suggestion}={value}? ({listing})"
