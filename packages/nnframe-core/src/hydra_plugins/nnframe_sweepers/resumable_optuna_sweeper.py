"""The Optuna sweeper, made to resume an interrupted study stored in SQLite.

hydra-optuna-sweeper already loads an existing study (``load_if_exists``), but it would run
``n_trials`` more trials, number their jobs from 0 again (overwriting the first trials' run
directories) and leave trials that were running at the interruption as RUNNING for ever.
Here a resumed study counts the trials it finished, re-runs an interrupted trial first with the
same parameters (not counted: a study asked for ``n_trials`` ends with that many finished
trials), and says so in one line. Optuna's and Alembic's chatter is kept out of the log, and
Optuna's records go through Hydra's handlers (no colour codes in a log file).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from hydra_plugins.hydra_optuna_sweeper import optuna_sweeper

log = logging.getLogger(__name__)

_DIRECTIONS = {"max": "maximize", "min": "minimize"}
_SQLITE = "sqlite:///"
INTERRUPTED_ATTR = "nnframe_interrupted"  # user attribute of a trial stopped by Ctrl-C / SIGTERM


def _direction(value: Any) -> Any:
    """``max``/``min`` (nnframe's ``monitor_mode``) -> Optuna's ``maximize``/``minimize``."""
    if isinstance(value, str):
        return _DIRECTIONS.get(value, value)
    if isinstance(value, list | tuple):
        return [_direction(v) for v in value]
    return value


def direction_names(direction: Any) -> list[str]:
    """The sweeper's ``direction`` (one or a list; names or hydra-optuna-sweeper's ``Direction``
    values) as the list of names ``optuna.create_study(directions=...)`` takes."""
    values = list(direction) if isinstance(direction, Sequence) and not isinstance(direction, str) else [direction]
    return [v.name if isinstance(v, Enum) else str(v) for v in values]


class _DropStudyChatter(logging.Filter):
    """"A new study created" / "Using an existing study" (Optuna), "Study name" / "Storage"
    (hydra-optuna-sweeper): the resumable sweeper says all that once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("A new study created", "Using an existing study", "Study name:",
                                               "Storage:"))


def _plain_logging() -> None:
    import optuna

    optuna.logging.disable_default_handler()  # colorlog's handler writes ANSI codes to any stream
    optuna.logging.enable_propagation()  # to Hydra's console and log file instead
    for name in ("optuna.storages._rdb.storage", "optuna.study.study", "hydra_plugins.hydra_optuna_sweeper._impl"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropStudyChatter) for f in logger.filters):
            logger.addFilter(_DropStudyChatter())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "setup plugin ..." x7 on every open


def finished_trials(study: Any) -> int:
    """Trials that count towards ``n_trials``: finished (complete, pruned or failed), not interrupted."""
    import optuna

    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.state in done and not t.user_attrs.get(INTERRUPTED_ATTR))


class ResumableOptunaSweeper(optuna_sweeper.OptunaSweeper):
    """``hydra/sweeper: optuna`` whose ``n_trials`` counts the trials already finished.

    Accepts the same settings as the Optuna sweeper; ``direction`` may also be ``max``/``min``.
    """

    def __init__(self, direction: Any, **kwargs: Any) -> None:
        super().__init__(direction=_direction(direction), **kwargs)

    def sweep(self, arguments: list[str]) -> None:
        _plain_logging()
        impl = self.sweeper
        if impl.storage and impl.study_name:
            finished, numbered = self._resume_study(impl)
            impl.job_idx = numbered  # new trials get new run directories, numbered like their trials
            impl.n_trials = max(impl.n_trials - finished, 0)
        return impl.sweep(arguments)

    @staticmethod
    def _resume_study(impl: Any) -> tuple[int, int]:
        """Create or load the study; a trial left RUNNING by an interruption is recorded as failed
        (and marked interrupted) and its parameters are queued to run first.

        Returns:
            ``(finished trials that count, trials in the study before the queued re-runs)``.
        """
        import optuna

        storage = str(impl.storage)
        if storage.startswith(_SQLITE):  # SQLite does not create the folder of its file
            Path(storage[len(_SQLITE):]).parent.mkdir(parents=True, exist_ok=True)
        existing = impl.study_name in {s.study_name for s in optuna.get_all_study_summaries(storage=storage)}
        rdb = optuna.storages.RDBStorage(storage)  # the study's storage, to mark trials by their id
        study = optuna.create_study(study_name=impl.study_name, storage=rdb,
                                    directions=direction_names(impl.direction), load_if_exists=True)
        interrupted = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        study_id = rdb.get_study_id_from_name(impl.study_name)
        for trial in interrupted:
            trial_id = rdb.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            rdb.set_trial_user_attr(trial_id, INTERRUPTED_ATTR, True)
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        numbered = len(study.trials)
        for trial in interrupted:
            study.enqueue_trial(trial.params)
        finished = finished_trials(study)
        total = int(impl.n_trials)
        to_go = max(total - finished, 0)
        where = storage[len(_SQLITE):] if storage.startswith(_SQLITE) else storage
        if not existing:
            log.info(f"Optuna study {impl.study_name!r} created in {where}: {to_go} trials to run")
        else:
            states = [t.state.name.lower() for t in study.get_trials(deepcopy=False)
                      if not t.user_attrs.get(INTERRUPTED_ATTR) and t.state != optuna.trial.TrialState.WAITING]
            counts = ", ".join(f"{states.count(s)} {s}" for s in ("complete", "pruned", "fail") if s in states)
            rerun = (f"; {len(interrupted)} interrupted trial(s) (#{', #'.join(str(t.number) for t in interrupted)})"
                     " run again first with the same parameters" if interrupted else "")
            log.info(f"Optuna study {impl.study_name!r} resumed from {where}: {finished} of {total} trials "
                     f"finished ({counts or 'none'}){rerun}; {to_go} to go")
        return finished, numbered
