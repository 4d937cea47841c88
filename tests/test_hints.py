"""Every ``key=value`` a message in the source tells the user to set names a key that exists: the
command line with that override composes, for the task whose package holds the message (core's
messages: for at least one task, with the config option that has the key, e.g. ``data.skip_corrupt``
under ``data=image_folder``). Before, a wrong backbone file said ``set model.net.backbone=...``
(it is ``model.backbone``) and ``nnframe ssl tune`` printed ``model.optimizer.lr`` (ssl's is
``method.optimizer.lr``)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue

from nnframe.core.resolvers import register_resolvers
from nnframe.core.task_registry import config_groups, discover_tasks

ROOT = Path(__file__).resolve().parents[1]
# key=value in a message: a dotted config key right before "=", not part of a longer word.
_HINT = re.compile(r"(?<![\w.+~/$\-])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)=")
_SKIP_FILES = {"testing"}  # test helpers' override lists are not messages to users


def _strings(tree: ast.AST) -> list[str]:
    """String constants, and f-strings with ``X`` for each formatted value."""
    inside_f = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts.append("".join(part.value if isinstance(part, ast.Constant) else "X" for part in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_f:
            texts.append(node.value)
    return texts


_COMMAND = re.compile(r"nnframe (cls|seg|ssl)\b")


def _hints() -> list[tuple[str, str, str]]:
    """``(task or "core", key, file)`` of every key a message names; a key after ``nnframe <task>``
    in the same text belongs to that task's command line."""
    found: set[tuple[str, str, str]] = set()
    for source in sorted(ROOT.glob("packages/*/src/**/*.py")):
        if _SKIP_FILES & set(source.parts):
            continue
        package = source.relative_to(ROOT).parts[1].removeprefix("nnframe-")
        for text in _strings(ast.parse(source.read_text())):
            if "_target_" in text:
                continue
            for match in _HINT.finditer(text):
                key = match.group(1)
                if key.startswith(("hydra.", "self.", "cfg.", "os.", "sys.")) or key.split(".")[0] in (
                        "torch", "np", "nn", "lightning"):
                    continue
                # The key belongs to a `nnframe <task> ...` command before it, unless that command
                # ended (a backtick, a semicolon or a colon) before the key.
                command = None
                for found_command in _COMMAND.finditer(text[:match.start()]):
                    between = text[found_command.end():match.start()]
                    command = None if re.search(r"[`;]|: ", between) else found_command.group(1)
                found.add((command or package, key, str(source.relative_to(ROOT))))
    return sorted(found)


@cache
def _compose(task: str, overrides: tuple[str, ...]) -> object:
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=discover_tasks()[task].config_package, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def _override_value(cfg: object, key: str) -> str | None:
    """The key's value as an override (None: the key is not in ``cfg``)."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent, default=None, throw_on_resolution_failure=False, throw_on_missing=False)
    if not OmegaConf.is_dict(node) or leaf not in list(node.keys()):  # `in` is False for ??? values
        return None
    try:
        node = OmegaConf.select(cfg, key, throw_on_missing=True)
    except MissingMandatoryValue:  # e.g. data.root: ???
        return "/placeholder"
    except Exception:  # an interpolation that needs a run (${hydra:runtime.output_dir})
        return "/placeholder"
    if node is None or OmegaConf.is_config(node):
        return "null"
    if isinstance(node, bool):
        return str(node).lower()
    return f"'{node}'" if isinstance(node, str) else str(node)


def _composes_with(task: str, key: str) -> bool:
    """Whether ``<task> train key=<its value>`` composes under the default or one option of the
    key's group (``data.root`` under ``data=image_folder``)."""
    group = key.split(".")[0]
    options = [()] + [(f"{group}={o}",) for o in config_groups(discover_tasks()[task]).get(group, [])]
    for choice in options:
        try:
            value = _override_value(_compose(task, choice), key)
        except Exception:
            continue
        if value is None:
            continue
        try:
            _compose(task, (*choice, f"{key}={value}"))
            return True
        except Exception:
            continue
    return False


def test_messages_name_config_keys() -> None:
    assert len(_hints()) >= 20


@pytest.mark.parametrize(("package", "key", "source"), _hints(), ids=lambda v: str(v).replace("/", "_"))
def test_hinted_key_exists(package: str, key: str, source: str) -> None:
    tasks = list(discover_tasks())
    candidates = tasks if package == "core" else [package]
    if package != "core" and package not in tasks:
        pytest.skip(f"task {package!r} is not installed")
    assert any(_composes_with(task, key) for task in candidates), (
        f"{source} tells the user to set {key}=..., which no command line of {', '.join(candidates)} accepts")
