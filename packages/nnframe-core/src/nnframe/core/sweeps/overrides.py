"""Which command-line overrides are hyperparameters, which of them a sweep varies, and the
directory name of a sweep's job.

Import-light (no torch): ``nnframe runs`` and the sweep's directory resolver use it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Overrides that choose how a run is made or where it is written, not what is trained.
NON_HPARAM_KEYS = ("action", "hparams_search", "hydra", "resume", "ckpt_path", "paths", "extras", "logger")
#: The keys the running multirun varies, as JSON (set at the start of a multirun, inherited by
#: launchers that start jobs in other processes).
SWEPT_KEYS_ENV = "NNFRAME_SWEPT_KEYS"
_MAX_DIRNAME = 120


def override_key(override: str) -> str:
    """``+model.x=1`` / ``~x`` / ``hydra/launcher=slurm`` -> ``model.x`` / ``x`` / ``hydra/launcher``."""
    return override.partition("=")[0].lstrip("+~")


def is_hparam_key(key: str) -> bool:
    """False for the keys of :data:`NON_HPARAM_KEYS` and anything under them."""
    return not any(key == k or key.startswith((f"{k}.", f"{k}/")) for k in NON_HPARAM_KEYS)


def hparam_overrides(overrides: Iterable[str]) -> dict[str, str]:
    """The overrides that set hyperparameters, ``key -> value`` as typed, in command-line order."""
    params: dict[str, str] = {}
    for override in overrides:
        key, sep, value = str(override).partition("=")
        key = key.lstrip("+~")
        if sep and is_hparam_key(key):
            params[key] = value
    return params


def swept_keys(overrides: Iterable[str], sweeper_params: Mapping[str, Any] | None = None) -> list[str]:
    """The keys a multirun varies: sweep overrides (``a=1,2``, ``choice(...)``, ``interval(...)``)
    on the command line and the sweeper's configured ``params`` (an Optuna search space).

    Raises:
        hydra.errors.OverrideParseException: for an override Hydra cannot parse.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    given = [str(o) for o in overrides] + [f"{k}={v}" for k, v in (sweeper_params or {}).items()]
    parsed = OverridesParser.create().parse_overrides(given)
    keys = [override_key(o.input_line or "") for o in parsed if o.is_sweep_override()]
    return [k for k in dict.fromkeys(keys) if is_hparam_key(k)]


def current_swept_keys() -> list[str] | None:
    """The keys the running multirun varies (see :class:`SweptKeysCallback`), or None if unknown."""
    value = os.environ.get(SWEPT_KEYS_ENV)
    try:
        keys = json.loads(value) if value else None
    except ValueError:
        return None
    return [str(k) for k in keys] if isinstance(keys, list) else None


def _short_value(value: str) -> str:
    """Floats an Optuna trial samples (``0.0012345678912``) to 4 significant digits."""
    if len(value) > 8 and re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", value):
        return f"{float(value):.4g}"
    return value


def job_dirname(num: int | str, overrides: Iterable[str], swept: Iterable[str] | None = None) -> str:
    """The directory of job ``num`` of a sweep: ``<num>_<key>=<value>,...`` of the keys the sweep
    varies (all hyperparameter overrides when those are unknown), ``<num>`` without any.

    The number keeps two jobs with the same values (an Optuna study can sample a point twice)
    in two directories; ``/`` in values becomes ``-`` and long names are cut, so the name is
    always one valid directory.

    Args:
        num: Hydra's ``hydra.job.num``.
        overrides: the job's overrides (``hydra.overrides.task``).
        swept: the keys the sweep varies; default :func:`current_swept_keys`.
    """
    params = hparam_overrides(overrides)
    keys = list(swept) if swept is not None else current_swept_keys()
    if keys is not None:
        params = {k: v for k, v in params.items() if k in keys}
    name = ",".join(f"{k}={_short_value(v)}" for k, v in params.items())
    name = re.sub(r"[/\\\x00]", "-", name)
    if len(name) > _MAX_DIRNAME:
        name = name[:_MAX_DIRNAME - 3] + "..."
    return f"{num}_{name}" if name else str(num)
