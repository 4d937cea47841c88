"""No private attribute of Lightning, torch, torchvision, timm (or Optuna) is touched outside
``nnframe.core.compat``: the sources of every package are scanned with ``ast``.

What counts as a private access (a name ``_x``, not a dunder, not a Hydra key such as ``_target_``):

- an import of a private name or module of those libraries (``from torch.optim.optimizer import _x``);
- ``module._x`` on an imported library module (``torch._foreach_lerp_``, ``nn.modules.batchnorm._NormBase``);
- ``obj._x`` on any other object but ``self``/``cls`` (a trainer, a logger, a dataset), unless
  nnframe itself defines ``_x`` somewhere (its own helpers: ``datamodule._current_epoch()``);
- ``getattr``/``setattr``/``hasattr``/``delattr`` of such a name given as a string;
- inside a class derived from one of those libraries' classes (directly or through nnframe
  classes and mixins): ``self._x``/``cls._x`` or a method/attribute ``_x`` defined in the class
  body, where ``_x`` is a private name of the library classes in its MRO (their class
  attributes, and the ``self._x`` their source uses): an inherited private attribute read,
  written or overridden.

There is no allowance: every such access lives in ``nnframe/core/compat/<library>.py``, with its
reason, upstream link and a loud test in ``tests/compat/``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
LIBRARIES = ("lightning", "pytorch_lightning", "lightning_fabric", "torch", "torchvision", "timm", "optuna")
COMPAT = Path("packages/nnframe-core/src/nnframe/core/compat")
#: Hydra's config keys look private but are not attributes of a library.
HYDRA_KEYS = frozenset({"_target_", "_partial_", "_convert_", "_recursive_", "_args_"})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in HYDRA_KEYS


def _is_library(module: str) -> bool:
    return module.split(".")[0] in LIBRARIES


def source_files() -> list[Path]:
    """Every package's sources, relative to the repository root, without the compat modules."""
    files = sorted(p.relative_to(ROOT) for p in ROOT.glob("packages/*/src/**/*.py"))
    return [f for f in files if COMPAT not in f.parents and "project_template" not in f.parts]


def _module_name(path: Path) -> str:
    parts = path.relative_to(Path(*path.parts[:3])).with_suffix("").parts  # under packages/<pkg>/src
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), filename=str(path))


@cache
def nnframe_owned_names() -> frozenset[str]:
    """Private names nnframe's own code defines: functions, methods, class and module attributes,
    and ``self._x = ...`` assignments (the compat modules' overrides left out)."""
    names: set[str] = set()
    for path in source_files():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and _private(node.name):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and _private(node.id):
                names.add(node.id)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _private(node.attr)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
    return frozenset(names)


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local names bound to modules by ``import x`` / ``import x as y`` / ``from x import module``."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_library(full) and inspect.ismodule(sys.modules.get(full) or _try_import(full)):
                    bound[alias.asname or alias.name] = full
    return bound


def _try_import(name: str) -> object:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@cache
def _library_private_names(cls: type) -> frozenset[str]:
    """Private names of a library class: its class attributes and the ``self._x`` of its source."""
    names = {n for n in vars(cls) if _private(n)}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(names)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")):
            names.add(node.attr)
    return frozenset(names)


def _class_private_uses(node: ast.ClassDef) -> list[tuple[int, str]]:
    """``(line, name)`` of the private names a class body uses on itself or defines."""
    uses: list[tuple[int, str]] = []
    for child in node.body:
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and _private(child.name):
            uses.append((child.lineno, child.name))
        elif isinstance(child, ast.Assign | ast.AnnAssign):
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            uses += [(t.lineno, t.id) for t in targets if isinstance(t, ast.Name) and _private(t.id)]
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Attribute) and _private(sub.attr) and isinstance(sub.value, ast.Name)
                and sub.value.id in ("self", "cls")):
            uses.append((sub.lineno, sub.attr))
    return uses


def _class_defs() -> dict[tuple[str, str], tuple[Path, ast.ClassDef]]:
    """Every top-level class of nnframe's sources, by ``(module, name)``."""
    classes = {}
    for path in source_files():
        for node in _tree(path).body:
            if isinstance(node, ast.ClassDef):
                classes[(_module_name(path), node.name)] = (path, node)
    return classes


@cache
def inherited_private_uses() -> frozenset[tuple[str, int, str]]:
    """``(file, line, name)`` where a class derived from a library class uses or overrides a
    private name of that library class (its own body or an nnframe mixin's in its MRO)."""
    classes = _class_defs()
    found: set[tuple[str, int, str]] = set()
    for (module_name, class_name), _ in classes.items():
        cls = getattr(importlib.import_module(module_name), class_name, None)
        if not isinstance(cls, type):
            continue
        library = [c for c in cls.__mro__ if _is_library(c.__module__)]
        if not library:
            continue
        private = frozenset().union(*(_library_private_names(c) for c in library))
        for own in cls.__mro__:
            entry = classes.get((own.__module__, own.__name__))
            if entry is None:  # a library class, or a compat mixin (not scanned)
                continue
            path, node = entry
            found |= {(str(path), line, name) for line, name in _class_private_uses(node) if name in private}
    return frozenset(found)


def direct_private_accesses(path: Path) -> list[tuple[int, str]]:
    """``(line, what)`` of the imports and attribute accesses of private library names in a file."""
    tree = _tree(path)
    modules = _imported_modules(tree)
    # A name nnframe assigns only because it overrides a library's private one is not nnframe's.
    owned = nnframe_owned_names() - {name for _, _, name in inherited_private_uses()}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _is_library(node.module):
            private_module = any(_private(p) for p in node.module.split("."))
            found += [(node.lineno, f"from {node.module} import {a.name}") for a in node.names
                      if private_module or _private(a.name)]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if _is_library(a.name) and any(_private(p) for p in a.name.split("."))]
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            root = _root_name(node.value)
            if root in ("self", "cls") and isinstance(node.value, ast.Name):
                continue  # a class's own attributes: inherited_private_uses() looks at those
            if root in modules:
                if _is_library(modules[root]):
                    found.append((node.lineno, ast.unparse(node)))
            elif node.attr not in owned:
                found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _private(node.args[1].value) and node.args[1].value not in owned):
            found.append((node.lineno, ast.unparse(node)))
    return found


def all_private_accesses() -> dict[str, list[str]]:
    """Every private access found, ``file -> ["line: what", ...]``."""
    found: dict[str, list[str]] = {}
    for path in source_files():
        for line, what in direct_private_accesses(path):
            found.setdefault(str(path), []).append(f"{line}: {what}")
    for path, line, name in sorted(inherited_private_uses()):
        found.setdefault(path, []).append(f"{line}: self.{name} (inherited from a library class)")
    return found


def test_no_private_library_access_outside_the_compat_modules() -> None:
    found = all_private_accesses()
    assert not found, (
        "private attributes of Lightning/torch/torchvision/timm/Optuna outside nnframe/core/compat "
        "(move each into nnframe/core/compat/<library>.py with its reason, upstream link and a loud test):\n"
        + "\n".join(f"{path}:\n    " + "\n    ".join(items) for path, items in sorted(found.items())))


@pytest.mark.parametrize(("source", "expected"), [
    ("import torch\ntorch._foreach_lerp_(a, b, 0.1)\n", ["torch._foreach_lerp_"]),
    ("from torch import nn\nx = nn.modules.batchnorm._NormBase\n", ["nn.modules.batchnorm._NormBase"]),
    ("from torch.optim.optimizer import _get_fused\n", ["from torch.optim.optimizer import _get_fused"]),
    ("from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector\n",
     ["from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector"]),
    ("def f(trainer):\n    return trainer._signal_connector\n", ["trainer._signal_connector"]),
    ("def f(loop):\n    return getattr(loop, '_on_before_fetch', None)\n", ["getattr(loop, '_on_before_fetch', None)"]),
    ("import os\nos._exit(0)\n", []),  # not one of the libraries
    ("def f(cfg):\n    return cfg.model._target_\n", []),  # a Hydra key
    ("class A:\n    def f(self):\n        return self._x\n", []),  # an own attribute
])
def test_the_scan_flags_what_it_should(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str,
                                       expected: list[str]) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    _tree.cache_clear()
    try:
        assert [what for _, what in direct_private_accesses(Path("sample.py"))] == expected
    finally:
        _tree.cache_clear()


def test_the_scan_sees_a_private_method_a_subclass_overrides() -> None:
    """Before the compat mixins, nnframe's CIFAR class overrode torchvision's ``_check_integrity``."""
    from torchvision import datasets

    assert "_check_integrity" in _library_private_names(datasets.CIFAR10)
    assert "_experiment" in _library_private_names(__import__("lightning").pytorch.loggers.CSVLogger)
