"""The Optuna sweeper, made to resume an interrupted study stored in SQLite.

hydra-optuna-sweeper already loads an existing study (``load_if_exists``), but it would run
``n_trials`` more trials, number their jobs from 0 again (overwriting the first trials' run
directories) and leave trials that were running at the interruption as RUNNING for ever.
Here a resumed study counts the trials it finished, re-runs an interrupted trial first with the
same parameters (not counted: a study asked for ``n_trials`` ends with that many finished
trials), and says so in one line. A study is resumed only by a command with the same fixed
(not swept) overrides: another one is refused with the difference listed. Optuna's and Alembic's chatter is kept out of the log, and
Optuna's records go through Hydra's handlers (no colour codes in a log file).
Only public Optuna API is used (``create_study``, ``Study.tell``/``enqueue_trial``, the storage's
public methods) of current Optuna (5.x).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from hydra_plugins.hydra_optuna_sweeper import optuna_sweeper

from nnframe.core.errors import ConfigError

log = logging.getLogger(__name__)

_DIRECTIONS = {"max": "maximize", "min": "minimize"}
_SQLITE = "sqlite:///"
FIXED_OVERRIDES_ATTR = "nnframe_fixed_overrides"  # user attribute of a study: the command's fixed overrides
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


def fixed_overrides(arguments: list[str]) -> list[str]:
    """The command's overrides that every trial shares (not swept: no ``choice``, ``range``, ...)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(arguments)
    return sorted(f"{o.get_key_element()}={o.get_value_element_as_str()}" for o in parsed
                  if not o.is_sweep_override())


def refuse_changed_command(storage: str, study_name: str, fixed: list[str]) -> None:
    """A study resumed only by the command that started it: its trials were trained with its fixed
    overrides (e.g. ``trainer.max_epochs=1``), so their scores would not compare with new trials'.

    Raises:
        ConfigError: the stored study was started with other fixed overrides (the difference
            listed, and the override that starts a study of its own).
    """
    import optuna

    if storage.startswith(_SQLITE) and not Path(storage[len(_SQLITE):]).is_file():
        return
    stored = next((s.user_attrs.get(FIXED_OVERRIDES_ATTR) for s in optuna.get_all_study_summaries(storage=storage)
                   if s.study_name == study_name), None)
    if stored is None or sorted(stored) == fixed:  # new, or from before the overrides were recorded
        return
    removed = [o for o in stored if o not in fixed]
    added = [o for o in fixed if o not in stored]
    digest = hashlib.sha1("\n".join(fixed).encode()).hexdigest()[:6]
    raise ConfigError(
        f"Optuna study {study_name!r} in {storage[len(_SQLITE):] if storage.startswith(_SQLITE) else storage} was "
        f"started by another command (its trials ran with {' '.join(removed) or 'no such override'}, this one "
        f"has {' '.join(added) or 'none of them'}): add hydra.sweeper.study_name={study_name}_{digest} to start "
        "a study of its own, or run the study's own command to resume it")


def record_fixed_overrides(storage: str, study_name: str, fixed: list[str]) -> None:
    """Store the command's fixed overrides with the study (see :func:`refuse_changed_command`)."""
    import optuna

    study = optuna.load_study(study_name=study_name, storage=storage)
    if FIXED_OVERRIDES_ATTR not in study.user_attrs:
        study.set_user_attr(FIXED_OVERRIDES_ATTR, fixed)


class ResumableOptunaSweeper(optuna_sweeper.OptunaSweeper):
    """``hydra/sweeper: optuna`` whose ``n_trials`` counts the trials already finished.

    Accepts the same settings as the Optuna sweeper; ``direction`` may also be ``max``/``min``.
    """

    def __init__(self, direction: Any, **kwargs: Any) -> None:
        super().__init__(direction=_direction(direction), **kwargs)

    def sweep(self, arguments: list[str]) -> None:
        from nnframe.core.external_launch import external_launch

        if external_launch() is not None:  # each process would ask the study for a trial of its own
            print("nnframe: error: an Optuna study (hparams_search) cannot run under torchrun or srun: every "
                  "process would ask the study for its own trial, so one DDP job would train different "
                  "hyperparameters; start the study without torchrun or srun (one process runs the study, "
                  "and trainer=ddp trainer.devices=N lets Lightning start each trial's processes)",
                  file=sys.stderr, flush=True)
            raise SystemExit(2)
        _plain_logging()
        impl = self.sweeper
        if impl.storage and impl.study_name:
            fixed = fixed_overrides(arguments)
            try:
                refuse_changed_command(str(impl.storage), str(impl.study_name), fixed)
            except ConfigError as error:  # Hydra would print the sweeper's error with its traceback
                print(f"nnframe: error: {error}", file=sys.stderr, flush=True)
                raise SystemExit(2) from None
            finished, numbered = self._resume_study(impl)
            record_fixed_overrides(str(impl.storage), str(impl.study_name), fixed)
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
