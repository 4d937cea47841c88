"""A run's hyperparameters and description, from its config and command line, for TensorBoard."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import lightning as L
from omegaconf import DictConfig, ListConfig, OmegaConf

from nnframe.core.callbacks.run_info_callback import HParamValue, RunInfoCallback
from nnframe.core.sweeps.overrides import hparam_overrides, override_key

# Shown in the environment entry when installed, after the nnframe packages.
_LIBRARIES = ("torch", "torchvision", "lightning", "torchmetrics", "timm", "segmentation-models-pytorch",
              "lightly", "hydra-core", "omegaconf", "tensorboard")


def _hydra(cfg: DictConfig) -> Any | None:
    """``cfg``'s own Hydra config (a notebook may have composed another config since)."""
    from nnframe.core.composition import hydra_config_of

    return hydra_config_of(cfg)


def _task_overrides(cfg: DictConfig) -> list[str]:
    from nnframe.core.resolvers import task_overrides

    hydra = _hydra(cfg)
    return task_overrides(hydra) if hydra is not None else []


def _hparam_value(cfg: DictConfig, key: str, choices: dict[str, Any]) -> HParamValue | None:
    """A config value as an HPARAMS cell: a config group's chosen option, or the value at ``key``."""
    if key in choices and choices[key] is not None:
        return str(choices[key])
    try:
        value = OmegaConf.select(cfg, key, throw_on_missing=False)
    except Exception:  # an interpolation that does not resolve outside its context
        return None
    if isinstance(value, DictConfig | ListConfig):
        return None if isinstance(value, DictConfig) else str(OmegaConf.to_container(value))
    if value is None:
        return None
    return value if isinstance(value, bool | int | float) else str(value)


def run_hparams(cfg: DictConfig) -> dict[str, HParamValue]:
    """The run's HPARAMS columns: every hyperparameter the command line set (as config keys:
    ``model.optimizer.lr``, or a group such as ``model`` with its chosen option), then the keys
    the task lists in ``cfg.hparams`` (learning rate, batch size, epochs, backbone, seed, ...).

    Values are the composed config's (numbers stay numbers, so their columns sort and filter
    as numbers); overrides that choose how a run is made (``resume``, ``paths.*``, ``hydra.*``)
    are left out.
    """
    hydra = _hydra(cfg)
    choices = {k: v for k, v in (hydra.runtime.choices.items() if hydra is not None else [])}
    keys = [*hparam_overrides(_task_overrides(cfg)), *(str(k) for k in cfg.get("hparams") or [])]
    params: dict[str, HParamValue] = {}
    for key in dict.fromkeys(keys):
        value = _hparam_value(cfg, key, choices)
        if value is not None:
            params[key] = value
    return params


def command_line(cfg: DictConfig) -> str:
    """The ``nnframe`` command that makes this run again (in a sweep: this job's values)."""
    overrides = [o for o in _task_overrides(cfg) if override_key(o) != "action"]
    task, action = cfg.get("task_name", "<task>"), cfg.get("action", "train")
    return " ".join(["nnframe", str(task), str(action), *(shlex.quote(o) for o in overrides)])


def _git_commit(directory: Path) -> str | None:
    """``<commit>`` (``+ uncommitted changes``) of the git checkout holding ``directory``."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True,
                                  timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" + uncommitted changes" if dirty else "")


def _versions() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name.startswith("nnframe"):
            found[name] = dist.version
    rows = sorted(found.items())
    for name in _LIBRARIES:
        try:
            rows.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return rows


def environment_markdown(cfg: DictConfig) -> str:
    """Python, package versions, the CUDA build and the git commit(s), as a markdown table."""
    import torch

    rows = [("python", platform.python_version()), *_versions()]
    if torch.version.cuda:
        rows.append(("CUDA (torch build)", torch.version.cuda))
    rows.append(("host", platform.node()))
    project = Path(str(cfg.paths.root_dir)) if "paths" in cfg and "root_dir" in cfg.paths else Path(os.getcwd())
    commits = {"git commit": _git_commit(project)}
    framework = Path(__file__).resolve().parent
    framework_commit = _git_commit(framework)
    if framework_commit and framework_commit != commits["git commit"]:
        commits["git commit (nnframe)"] = framework_commit
    rows += [(name, commit) for name, commit in commits.items() if commit]
    return "\n".join(["| | version |", "|---|---|", *(f"| {name} | `{value}` |" for name, value in rows)])


def config_yaml(cfg: DictConfig) -> str:
    """The composed config as YAML, resolved where it resolves."""
    try:
        return OmegaConf.to_yaml(cfg, resolve=True)
    except Exception:  # an interpolation that only resolves inside Hydra: show it unresolved
        return OmegaConf.to_yaml(cfg, resolve=False)


def run_text(cfg: DictConfig) -> dict[str, str]:
    """The run's TEXT entry ``run``: its command, environment (versions, git commit) and composed
    config, in markdown (one entry, so that TensorBoard shows each run's description as one card;
    the config comes last, being the longest).

    Code blocks are indented by four spaces (markdown's own code block), which TensorBoard
    renders verbatim.
    """
    def code(text: str) -> str:
        return "\n".join("    " + line for line in text.rstrip("\n").splitlines())

    hydra = _hydra(cfg)
    where = []
    output_dir = cfg.paths.get("output_dir") if "paths" in cfg else None
    if output_dir:
        where.append(f"run directory: `{output_dir}`")
    if hydra is not None and str(hydra.mode) == "RunMode.MULTIRUN":
        where.append(f"one job of the sweep in `{hydra.sweep.dir}`")
    sections = ["#### Command", code(command_line(cfg)), *where,
                "#### Environment", environment_markdown(cfg),
                "#### Config", code(config_yaml(cfg))]
    return {"run": "\n\n".join(sections)}


def trial_id(cfg: DictConfig) -> str:
    """The run's name in TensorBoard's HPARAMS table: its task and folder name first (a sweep
    job's folder names its swept values: ``cls 1_lr=0.01``), then its folder's path under the
    log directory, which keeps it unique
    (``cls 1_lr=0.01 (train/shapes/multirun_<time>/1_model.optimizer.lr=0.01)``)."""
    try:
        output = Path(str(cfg.paths.output_dir))
        root = Path(str(cfg.paths.get("log_dir") or output.parent))
    except Exception:  # no paths, or an output_dir that only resolves inside Hydra
        return ""
    relative = output.relative_to(root) if output.is_relative_to(root) else output
    parts = list(relative.parts[:-1])
    task = str(cfg.get("task_name") or "")
    if parts and parts[0] == task:
        parts = parts[1:]
    # The HPARAMS table cuts a trial id after ~15 characters: swept keys by their last part
    # (0_model.optimizer.lr=0.001 is 0_lr=0.001).
    short = re.sub(r"(^\d+_|,)(?:[\w-]+\.)+(?=[\w-]+=)", r"\1", relative.name)
    name = f"{task} {short}".strip()
    return f"{name} ({'/'.join([*parts, relative.name])})"


def tensorboard_log_root(cfg: DictConfig) -> Path | None:
    """The folder to open TensorBoard on for this run, absolute (the hint is followed from any
    folder): the log directory (``paths.log_dir``) that holds the run, where the HPARAMS
    experiment summary of every run under it is written (TensorBoard reads it only under the
    folder it is opened on); for a run placed outside it (``hydra.run.dir=...``), the run
    directory itself. None: the config has no run directory."""
    try:
        output = Path(str(cfg.paths.output_dir)).absolute()
        log_dir = cfg.paths.get("log_dir")
    except Exception:  # no paths, or an output_dir that only resolves inside Hydra
        return None
    if log_dir:
        root = Path(str(log_dir)).expanduser().absolute()
        if output.is_relative_to(root):
            return root
    return output


def log_run_info(trainer: L.Trainer, cfg: DictConfig) -> None:
    """Have ``trainer`` write the run's HPARAMS session and TEXT entries to TensorBoard when it
    starts fitting, and the session's end when the run (fit, then test) has finished; the
    experiment summary goes to :func:`tensorboard_log_root`, the folder the run's end prints."""
    log_root = tensorboard_log_root(cfg)
    trainer.callbacks.append(RunInfoCallback(run_hparams(cfg), run_text(cfg), ends_after_test=bool(cfg.get("test")),
                                             log_root=str(log_root) if log_root else None,
                                             monitor=cfg.get("monitor"), trial_id=trial_id(cfg)))
