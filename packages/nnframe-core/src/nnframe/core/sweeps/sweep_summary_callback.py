"""A Hydra callback that ends a multirun with the table of its runs and the command that shows it again."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from nnframe.core.sweeps.runs_table import collect_runs, format_runs_table

log = logging.getLogger(__name__)


class SweepSummaryCallback(Callback):
    """Prints, when a ``-m`` sweep ends, the table of its runs (best first, as ``nnframe runs``
    prints it) and ``nnframe runs <sweep dir>``, which prints it again later."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from nnframe.core.external_launch import external_launch

        launch = external_launch()
        if launch is not None and launch.rank > 0:
            return  # a sweep under torchrun / srun: rank 0 prints the table once
        try:
            # Resolved as the sweep resolved it: the sweep_dir and now resolvers are cached.
            sweep_dir = Path(str(config.hydra.sweep.dir))
            rows = collect_runs(sweep_dir) if sweep_dir.is_dir() else []
        except Exception:  # never fail a finished sweep over its summary
            log.debug("could not read the sweep's runs", exc_info=True)
            return
        if not rows:
            return
        print(f"\nsweep: {len(rows)} run{'s' * (len(rows) != 1)} in {sweep_dir}")
        print(format_runs_table(rows, sweep_dir))
        print(f"again later: nnframe runs {sweep_dir}", flush=True)
