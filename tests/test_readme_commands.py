"""Every ``nnframe ...`` command in the READMEs (the root one and each package's) composes.

Commands are taken from fenced code blocks (``nnframe``, ``uv run nnframe`` or ``python -m
nnframe.core.cli`` at the start of a line, ``\\`` continuations joined). Each one runs in-process
with ``--cfg job --resolve``: the config is composed and resolved, nothing is trained. A sweep
(``-m``, ``a,b``, ``choice(...)``, ``interval(...)``) is checked with its first value. ``<...>``
placeholders become a dummy word and a bare ``...`` (elided arguments) is dropped. Tasks that are
not installed are skipped. A block that runs ``nnframe init DIR`` (and ``cd DIR``) is followed in a
temporary folder: its init runs for real and its later commands compose there. Other
``--config-dir`` commands are the Extending guide's, which ``tests/test_extending_guide.py`` runs
for real on the files the guide shows.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from nnframe.core.cli import main
from nnframe.core.task_registry import discover_tasks

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
_FENCE = re.compile(r"^\s*```")
_PREFIX = re.compile(r"^\s*(?:\$\s+)?(?P<env>(?:[A-Z_][A-Z0-9_]*=\S+\s+)*)(?:uv run\s+)?(?:nnframe(?=\s|$)|(?:torchrun\b.*?\s)?(?:python\s+)?-m\s+nnframe\.core\.cli\b)")
_PLACEHOLDER = re.compile(r"<[^<>]*>")
_SWEEP_FLAGS = {"-m", "--multirun"}


Setup = tuple[tuple[str, ...], str | None]  # (folders `nnframe init` made earlier in the block, `cd` folder)


def extract_commands(text: str) -> list[tuple[int, dict[str, str], list[str], Setup]]:
    """``(line number, environment variables set on the line, argv after 'nnframe', setup)`` of
    every command in the fenced blocks of ``text``."""
    commands: list[tuple[int, dict[str, str], list[str], Setup]] = []
    in_block, pending, start = False, "", 0
    inits: tuple[str, ...] = ()
    cd: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_block, pending, inits, cd = not in_block, "", (), None
            continue
        if not in_block:
            continue
        if pending:
            line, number = pending + " " + line.strip(), start
            pending = ""
        if line.rstrip().endswith("\\"):
            pending, start = line.rstrip()[:-1], number
            continue
        if line.strip().startswith("cd "):
            cd = shlex.split(line.strip())[1]
            continue
        match = _PREFIX.match(line)
        if match:
            words = [w for w in shlex.split(_PLACEHOLDER.sub("placeholder", line[match.end():]), comments=True)
                     if w != "..."]
            env = dict(word.split("=", 1) for word in shlex.split(match.group("env")))
            commands.append((number, env, words, (inits, cd)))
            if words[:1] == ["init"] and len(words) > 1:
                inits = (*inits, words[1])
    return commands


def _guide_commands() -> list[list[str]]:
    """The commands tests/test_extending_guide.py runs (loaded from its file: tests are no package)."""
    spec = importlib.util.spec_from_file_location("extending_guide", ROOT / "tests" / "test_extending_guide.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [words[1:] for words in module.guide_commands(module.guide_files()) if words[0] == "nnframe"]


def _first_of_sweep(argument: str) -> str:
    """``key=a,b`` / ``key=choice(a,b)`` / ``key=interval(a,b)`` -> ``key=a``."""
    if argument.startswith("-") or "=" not in argument:
        return argument
    (override,) = OverridesParser.create().parse_overrides([argument])
    if not override.is_sweep_override():
        return argument
    if override.is_interval_sweep():
        value = override.value().start
    else:
        value = next(iter(override.sweep_string_iterator()))
    return f"{argument.split('=', 1)[0]}={value}"


def _cases() -> list:
    cases, seen = [], set()
    for readme in READMES:
        for number, env, argv, setup in extract_commands(readme.read_text()):
            key = (tuple(sorted(env.items())), tuple(argv), setup)
            if key not in seen:
                seen.add(key)
                cases.append(pytest.param(env, argv, setup, id=f"{readme.relative_to(ROOT)}:{number}"))
    return cases


def test_readmes_have_commands() -> None:
    assert (ROOT / "README.md").is_file() and len(_cases()) >= 10


@pytest.mark.parametrize(("env", "argv", "setup"), _cases())
def test_readme_command_composes(env: dict[str, str], argv: list[str], setup: Setup, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path))
    monkeypatch.delenv("NNFRAME_CONFIG_DIR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    inits, cd = setup
    if argv[:1] == ["init"] or inits:  # a block that starts a project: follow it in tmp_path
        monkeypatch.chdir(tmp_path)
        for folder in inits:
            assert main(["init", folder]) == 0
        if argv[:1] == ["init"]:
            assert main(argv) == 0 and (tmp_path / argv[1] / "configs").is_dir()
            return
        if cd:
            monkeypatch.chdir(tmp_path / cd)
    elif "--config-dir" in argv or "-cd" in argv:
        assert argv in _guide_commands(), (f"`nnframe {shlex.join(argv)}` needs a config dir: run `nnframe init` "
                                           "before it in its block, or make it a command of the Extending guide")
        pytest.skip("runs for real on the guide's files in tests/test_extending_guide.py")
    if not argv or argv[0] in ("-h", "--help", "help", "list"):
        assert main(argv) == 0
        return
    if argv[0] == "runs":  # reads a finished sweep: check only that the command is well formed
        assert len([a for a in argv[1:] if a != "--all"]) == 1
        return
    task = argv[0]
    if task not in discover_tasks():
        pytest.skip(f"task {task!r} is not installed")
    if len(argv) < 2 or argv[1] in ("-h", "--help") or "--help" in argv:
        assert main(argv) == 0
        return
    action, rest = argv[1], argv[2:]
    rest = [_first_of_sweep(a) for a in rest if a not in _SWEEP_FLAGS]
    if "--cfg" not in rest:
        rest = ["--cfg", "job", "--resolve", *rest]
    code = main([task, action, *rest])
    assert code == 0, f"`nnframe {shlex.join(argv)}` does not compose:\n{capsys.readouterr().err[-2000:]}"
