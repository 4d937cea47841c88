"""A Hydra callback that tells the jobs of a multirun which keys the sweep varies."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from nnframe.core.sweeps.overrides import SWEPT_KEYS_ENV, swept_keys

log = logging.getLogger(__name__)


class SweptKeysCallback(Callback):
    """Records the swept keys of a multirun in ``$NNFRAME_SWEPT_KEYS`` for its jobs.

    A job's own config holds only its values (``lr=0.01``), not which of them the sweep varies
    (``lr=0.001,0.01``); the sweep's config, which Hydra gives ``on_multirun_start``, does. The
    jobs name their directories after those keys (:func:`~nnframe.core.sweeps.job_dirname`).
    An environment variable, so that launchers starting jobs in other processes pass it on.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        hydra_cfg = config.hydra
        params = OmegaConf.to_container(hydra_cfg.sweeper.params, resolve=False) if "params" in hydra_cfg.sweeper \
            and hydra_cfg.sweeper.params else None
        try:
            keys = swept_keys(list(hydra_cfg.overrides.task), params)  # type: ignore[arg-type]
        except Exception:  # never stop a sweep for a directory name: jobs fall back to all overrides
            log.debug("could not read the swept keys", exc_info=True)
            os.environ.pop(SWEPT_KEYS_ENV, None)
            return
        os.environ[SWEPT_KEYS_ENV] = json.dumps(keys)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        os.environ.pop(SWEPT_KEYS_ENV, None)
