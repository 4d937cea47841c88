"""The Optuna sweeper, made to resume an interrupted study stored in SQLite.

hydra-optuna-sweeper already loads an existing study (``load_if_exists``), but it would run
``n_trials`` more trials, number their jobs from 0 again (overwriting the first trials' run
directories) and leave trials that were running at the interruption as RUNNING for ever.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra_plugins.hydra_optuna_sweeper import optuna_sweeper

log = logging.getLogger(__name__)

_DIRECTIONS = {"max": "maximize", "min": "minimize"}
_SQLITE = "sqlite:///"


def _direction(value: Any) -> Any:
    """``max``/``min`` (nnframe's ``monitor_mode``) -> Optuna's ``maximize``/``minimize``."""
    if isinstance(value, str):
        return _DIRECTIONS.get(value, value)
    if isinstance(value, list | tuple):
        return [_direction(v) for v in value]
    return value


class ResumableOptunaSweeper(optuna_sweeper.OptunaSweeper):
    """``hydra/sweeper: optuna`` whose ``n_trials`` counts the trials already stored.

    Accepts the same settings as the Optuna sweeper; ``direction`` may also be ``max``/``min``.
    """

    def __init__(self, direction: Any, **kwargs: Any) -> None:
        super().__init__(direction=_direction(direction), **kwargs)

    def sweep(self, arguments: list[str]) -> None:
        impl = self.sweeper
        if impl.storage and impl.study_name:
            previous = self._resume_study(impl)
            impl.job_idx = previous  # new trials get new run directories
            impl.n_trials = max(impl.n_trials - previous, 0)
            if previous:
                log.info(f"Resuming study {impl.study_name!r}: {previous} trials stored, "
                         f"{impl.n_trials} to go")
        return impl.sweep(arguments)

    @staticmethod
    def _resume_study(impl: Any) -> int:
        """Create or load the study; mark trials left RUNNING by an interruption as failed.

        Returns:
            The number of trials the study already holds.
        """
        import optuna

        storage = str(impl.storage)
        if storage.startswith(_SQLITE):  # SQLite does not create the folder of its file
            Path(storage[len(_SQLITE):]).parent.mkdir(parents=True, exist_ok=True)
        directions = impl._get_directions()
        study = optuna.create_study(study_name=impl.study_name, storage=storage, directions=directions,
                                    load_if_exists=True)
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            log.warning(f"Trial {trial.number} was interrupted: recorded as failed")
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        return len(study.trials)
