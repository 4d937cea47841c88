"""OmegaConf resolvers nnframe configs use; registered before any config is composed."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from nnframe.core.errors import ConfigError
from nnframe.core.output_dir import ensure_writable_dir

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
# Overrides that may differ between a run and its resumption: what to continue from, how long,
# on how many devices, how data is loaded, what is printed and where Hydra writes.
RESUME_FREE_KEYS = ("resume", "ckpt_path", "action", "test", "trainer.max_epochs", "trainer.max_steps",
                    "trainer.max_time", "trainer.devices", "trainer.num_nodes", "data.num_workers",
                    "data.pin_memory", "data.persistent_workers")
RESUME_FREE_PREFIXES = ("extras.", "hydra.", "hydra/")
_run_dirs: dict[tuple[str, bool, tuple[str, ...]], str] = {}
_handed_out: set[str] = set()  # new run directories named (or claimed) by this process
_claim_dirs = False  # see claiming_run_dirs
_sweep_dirs: dict[tuple[str, str], str] = {}
_exit_on_error = False  # set by the command line: print a user error and exit instead of raising


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def resume_relevant(overrides: Sequence[str]) -> frozenset[str]:
    """The overrides that must be the same for ``resume=true`` to continue a run (see
    :data:`RESUME_FREE_KEYS`), normalised (``+key=v`` and ``key=v`` are the same)."""
    kept = set()
    for override in overrides:
        key = _key(override)
        if key in RESUME_FREE_KEYS or key.startswith(RESUME_FREE_PREFIXES):
            continue
        kept.add(override.lstrip("+") if "=" in override else override)
    return frozenset(kept)


def run_overrides(run: Path) -> list[str] | None:
    """The command-line overrides a run was started with (``.hydra/overrides.yaml``), if known."""
    try:
        overrides = yaml.safe_load((run / ".hydra" / "overrides.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return None
    return [str(o) for o in overrides] if isinstance(overrides, list) else None


def _last_checkpoints(run: Path) -> list[Path]:
    """A run's ``checkpoints/last.ckpt``, or those of its cross-validation folds (``fold_<k>/``)."""
    own = run / LAST_CHECKPOINT
    return [own] if own.is_file() else [p for p in run.glob(f"fold_*/{LAST_CHECKPOINT}") if p.is_file()]


def resumable_runs(base: str | Path) -> list[Path]:
    """Run directories under ``base`` that hold ``checkpoints/last.ckpt`` (or whose
    cross-validation folds do), newest checkpoint first."""
    base = Path(base)
    if not base.is_dir():
        return []
    runs = {d: max(p.stat().st_mtime for p in found) for d in base.iterdir()
            if d.is_dir() and (found := _last_checkpoints(d))}
    return sorted(runs, key=runs.__getitem__, reverse=True)


def latest_run_dir(base: str | Path, overrides: Sequence[str] | None = None) -> Path | None:
    """The newest run directory under ``base`` that holds ``checkpoints/last.ckpt`` and, when
    ``overrides`` are given, was started with the same overrides (:func:`resume_relevant`)."""
    for run in resumable_runs(base):
        if overrides is None:
            return run
        started = run_overrides(run)
        if started is not None and resume_relevant(started) == resume_relevant(overrides):
            return run
    return None


def _no_run_to_resume(base: Path, overrides: Sequence[str], candidates: list[Path]) -> str:
    task = base.parent.parent.name
    wanted = sorted(resume_relevant(overrides))
    lines = [f"resume=true: no run under {base} was started with this command's overrides "
             f"({' '.join(wanted) or 'none'}; these may differ: {', '.join(RESUME_FREE_KEYS[:7])}, ...). "
             "Runs there, newest first:"]
    for run in candidates[:5]:
        started = run_overrides(run)
        if started is None:
            lines.append(f"  {run.name}: overrides unknown (no .hydra/overrides.yaml); continue it with "
                         f"ckpt_path={run / LAST_CHECKPOINT}")
            continue
        own = [o for o in started if _key(o) not in ("resume", "ckpt_path", "action")]
        lines.append(f"  {run.name}: {' '.join(own) or '(defaults)'}")
        lines.append(f"      continue it: {shlex.join(['nnframe', task, 'train', *own, 'resume=true'])}")
    if len(candidates) > 5:
        lines.append(f"  ... and {len(candidates) - 5} older")
    lines.append("Or leave out resume=true to start a new run.")
    return "\n".join(lines)


def task_overrides(hydra_cfg: Any) -> list[str]:
    """``hydra_cfg.overrides.task`` as typed: an override holding an interpolation
    (``+callbacks.x.file=/tmp/f_${cv.fold}``) keeps it. Reading the list's items would resolve it,
    so a printed command and the run matching ``resume=true`` would differ from the command line."""
    from omegaconf import OmegaConf

    overrides = hydra_cfg.overrides.task
    raw = OmegaConf.to_container(overrides, resolve=False) if OmegaConf.is_config(overrides) else overrides
    return [str(o) for o in raw]


def _command_line_overrides() -> list[str] | None:
    """The overrides of the command being composed (None outside a Hydra app)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    return task_overrides(HydraConfig.get())


def _user_error(message: str) -> None:
    if not _exit_on_error:
        raise ConfigError(message)
    print(f"nnframe: error: {message}", file=sys.stderr)
    raise SystemExit(2)  # OmegaConf and Hydra wrap exceptions, not SystemExit


def run_name(configured: str, groups: Sequence[str] | None = None) -> str:
    """What a run is called (its folder under ``<task>/<action>/``): ``configured`` (the
    experiment's ``run_name``) unless the command line chose an option of one of ``groups``
    (``data=image_folder``) that the name does not already say; then the options of all ``groups``
    joined, e.g. ``image_folder_timm``.
    A ``run_name=...`` on the command line always wins.
    """
    from hydra.core.hydra_config import HydraConfig

    if not groups or not HydraConfig.initialized():
        return configured
    hydra_cfg = HydraConfig.get()
    given = {_key(o): o.split("=", 1)[1] for o in task_overrides(hydra_cfg) if "=" in o}
    chosen = [given[group] for group in groups if group in given]
    if "run_name" in given or not chosen:
        return configured
    # A name that already says the options chosen (an experiment's `cifar10_${...method}` with
    # method=byol: cifar10_byol) names the run well as it is.
    words = set(re.split(r"[_\-]", configured))
    if all(option in words or option in configured.split("+") for option in chosen):
        return configured
    choices = hydra_cfg.runtime.choices
    parts = [given.get(group, choices.get(group)) for group in groups]
    # A swept group (data=a,b or choice(a,b)) names the sweep a+b.
    cleaned = [re.sub(r"^choice\((.*)\)$", r"\1", str(p)).replace(",", "+") for p in parts if p not in (None, "null")]
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", "_".join(cleaned))


def _check_writable(base: str) -> None:
    """A clear message now, rather than Hydra's traceback when it fails to create the run dir."""
    try:
        ensure_writable_dir(base, "output folder", create=False)  # Hydra creates it for a run
    except ConfigError as error:
        _user_error(str(error))


def run_dir(base: str, resume: bool = False) -> str:
    """Directory of this run: a new timestamped one, or with ``resume`` the newest run under
    ``base`` started with the same command-line overrides (except :data:`RESUME_FREE_KEYS`).

    With ``resume`` and runs under ``base`` of which none fits, this refuses (a user error that
    lists them and how to continue each); with no run there at all, it starts a new one.
    The answer is cached per process, so every place that resolves it sees the same directory.
    """
    from nnframe.core.external_launch import agreed, slurm_requeued

    asked = bool(resume)
    resume = asked or slurm_requeued()  # a requeued job continues its run (a new one if it saved none)
    overrides = _command_line_overrides() if resume else None
    key = (str(base), bool(resume), tuple(overrides or ()))
    if key not in _run_dirs:
        # torchrun / srun start this command once per process: rank 0 names the run, the others join it.
        try:
            _run_dirs[key] = agreed("run_dir", lambda: _new_or_resumed_run_dir(base, resume, overrides, asked))
        except ConfigError as error:
            _user_error(str(error))
    return _run_dirs[key]


def _new_or_resumed_run_dir(base: str, resume: bool, overrides: list[str] | None, asked: bool = True) -> str:
    """A new run directory (claimed) or, with ``resume``, the run to continue (see :func:`run_dir`);
    ``asked``: the user asked for ``resume=true`` (else a requeued job: no refusal, a new run)."""
    _check_writable(base)
    previous = latest_run_dir(base, overrides) if resume else None
    if asked and resume and previous is None and overrides is not None:
        candidates = resumable_runs(base)
        if candidates:
            _user_error(_no_run_to_resume(Path(base), overrides, candidates))
    if previous is not None:
        return str(previous)
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return str(claim_new_dir(Path(base), stamp) if _claim_dirs else _free_name(Path(base), stamp))


def _free_name(base: Path, stamp: str) -> Path:
    """A name not taken yet, not created (the Python API: the run creates it)."""
    candidate, n = base / stamp, 1
    while candidate.exists() or str(candidate) in _handed_out:  # two runs within the same second
        candidate, n = base / f"{stamp}_{n}", n + 1
    _handed_out.add(str(candidate))
    return candidate


@contextlib.contextmanager
def claiming_run_dirs() -> Iterator[None]:
    """Within it (the command line's run), :func:`run_dir` creates each new run directory when
    it names it (:func:`claim_new_dir`), so that runs started in the same second never share
    one; outside it (the Python API's ``compose``) it only names it and the run creates it."""
    global _claim_dirs
    previous, _claim_dirs = _claim_dirs, True
    try:
        yield
    finally:
        _claim_dirs = previous


def claim_new_dir(base: Path, name: str) -> Path:
    """Create ``base/name`` (or ``base/name_1``, ``name_2``, ... when taken) and return it.

    The folder is created exclusively (``os.mkdir`` fails on an existing one), so two runs
    started in the same second, in this process or in two, never get the same folder: checking
    that a name is free and creating it later would let both take it.
    """
    candidate, n = base / name, 1
    try:  # the folders above it may be new (a first run); only the run's own folder is exclusive
        base.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _user_error(f"cannot create the output folder {base}: {error.strerror or error}. Choose a "
                    "writable folder with paths.log_dir=/path/to/outputs (or NNFRAME_OUTPUT_DIR)")
    while True:
        if str(candidate) not in _handed_out:
            try:
                os.mkdir(candidate)
                break
            except FileExistsError:
                pass
            except OSError as error:
                _user_error(f"cannot create the run folder {candidate}: {error.strerror or error}. Choose a "
                            "writable folder with paths.log_dir=/path/to/outputs (or NNFRAME_OUTPUT_DIR)")
        candidate, n = base / f"{name}_{n}", n + 1
    _handed_out.add(str(candidate))
    return candidate


def sweep_dir(base: str, stamp: str) -> str:
    """Directory of a multirun: ``<base>_<stamp>``, claimed as :func:`claim_new_dir` does, so
    two identical sweeps started in the same second write their jobs into two folders.

    Hydra resolves ``hydra.sweep.dir`` again for every job (copying its resolver cache from the
    sweep's config); the answer is also cached per process and ``stamp`` (Hydra's ``${now:...}``),
    so every job of one sweep gets the same folder. A sweep started by torchrun or srun (each
    process runs the whole sweep, each job on all processes) takes rank 0's folder on every
    process, as :func:`run_dir` does (their clocks may not even agree on the second).
    """
    from nnframe.core.external_launch import agreed

    key = (str(base), str(stamp))
    if key not in _sweep_dirs:
        parent, name = Path(base).parent, f"{Path(base).name}_{stamp}"

        def claim() -> str:
            _check_writable(str(parent))
            return str(claim_new_dir(parent, name))

        try:
            _sweep_dirs[key] = agreed("sweep_dir", claim)
        except ConfigError as error:
            _user_error(str(error))
    return _sweep_dirs[key]


def check_dir_overrides(overrides: Sequence[str]) -> None:
    """A clear error for ``hydra.run.dir=`` / ``hydra.sweep.dir=`` on the command line naming a
    folder that cannot be written (a file, a read-only place), rather than Hydra's traceback
    when it fails to create it.

    Raises:
        ConfigError: naming the override, why it cannot be used and what to do instead.
    """
    for override in overrides:
        key, _, value = override.partition("=")
        key, value = key.lstrip("+~"), value.strip().strip("'\"")
        if key not in ("hydra.run.dir", "hydra.sweep.dir") or not value or "${" in value:
            continue
        path = Path(value).expanduser()
        blocking = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            reason = f"{blocking} is a file"
        else:
            try:
                ensure_writable_dir(path)
                continue
            except ConfigError as error:
                cause = error.__cause__
                reason = (cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)).lower()
        raise ConfigError(f"cannot write the run to {key}={value}: {reason}. Give a folder that can be written, "
                          f"or leave {key} out (runs then go under paths.log_dir, ./outputs by default)")


def _run_name_resolver(configured: Any, groups: Any = None) -> str:
    names = list(groups) if groups is not None else None
    return run_name(str(configured), [str(g) for g in names] if names else None)


def _sweep_subdir(num: int, overrides: Any) -> str:
    """A sweep job's directory, named after the values it sweeps (``0_model.optimizer.lr=0.01``)."""
    from nnframe.core.sweeps.overrides import job_dirname

    return job_dirname(num, [str(o) for o in overrides or []])


def _rank_suffix() -> str:
    """``_rank<N>`` for a process of rank N > 0 started by torchrun or srun, else nothing."""
    from nnframe.core.external_launch import external_launch

    launch = external_launch()
    return f"_rank{launch.rank}" if launch is not None and launch.rank > 0 else ""


def forget_run_dirs() -> None:
    """Let the next run directory be a new one: the Python API composes several runs in one
    process (the command line resolves one per process, cached by :func:`run_dir`)."""
    _run_dirs.clear()


def register_resolvers(exit_on_error: bool = False) -> None:
    """Register nnframe's resolvers once (idempotent).

    Args:
        exit_on_error: for the command line: a resolver that finds a user error prints it
            and exits with code 2 (instead of an exception that Hydra prints with a traceback).
    """
    global _exit_on_error
    _exit_on_error = _exit_on_error or exit_on_error
    if not OmegaConf.has_resolver("nnframe.run_dir"):
        OmegaConf.register_new_resolver("nnframe.run_dir", run_dir)
    if not OmegaConf.has_resolver("nnframe.sweep_dir"):
        OmegaConf.register_new_resolver("nnframe.sweep_dir", sweep_dir, use_cache=True)
    if not OmegaConf.has_resolver("nnframe.run_name"):
        OmegaConf.register_new_resolver("nnframe.run_name", _run_name_resolver)
    if not OmegaConf.has_resolver("nnframe.if"):
        # ${nnframe.if:${data.multi_label},val/map,val/acc}: a value that depends on another one.
        OmegaConf.register_new_resolver("nnframe.if", lambda condition, then, otherwise: then
                                        if str(condition).lower() == "true" else otherwise)
    if not OmegaConf.has_resolver("nnframe.cwd"):
        # Not ${hydra:runtime.cwd}: a sweeper resolves the sweep directory before Hydra's
        # runtime config exists, and ${oc.env:VAR,default} resolves its default even when VAR is set.
        OmegaConf.register_new_resolver("nnframe.cwd", os.getcwd)
    if not OmegaConf.has_resolver("nnframe.linear_scaled_lr"):
        from nnframe.core.global_batch import linear_scaled_lr

        OmegaConf.register_new_resolver("nnframe.linear_scaled_lr", linear_scaled_lr)
    if not OmegaConf.has_resolver("nnframe.rank_suffix"):
        OmegaConf.register_new_resolver("nnframe.rank_suffix", _rank_suffix)
    if not OmegaConf.has_resolver("nnframe.sweep_subdir"):
        OmegaConf.register_new_resolver("nnframe.sweep_subdir", _sweep_subdir)


def apply_run_name(cfg: Any) -> None:
    """Set ``cfg.run_name`` to the name its run directory was given (:func:`run_name`)."""
    from omegaconf import open_dict

    groups = cfg.get("run_name_groups")
    with open_dict(cfg):
        cfg.run_name = run_name(str(cfg.run_name), [str(g) for g in groups] if groups else None)
