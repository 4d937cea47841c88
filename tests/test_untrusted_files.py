"""Files from elsewhere run no code: the three attacks of issue 24, at every entry point, through
the real ``nnframe`` command (the console script users run) in a subprocess.

1. A checkpoint whose pickle would create a marker file (``os.system("touch ...")``), given as
   ``ckpt_path`` to cls ``eval``/``predict``/``train``/``export``, a replaced ``last.ckpt`` under
   ``train resume=true``, seg ``eval`` and ssl ``export``/``predict``/``linear``: refused with a
   message naming the file, the marker never made.
2. A checkpoint that loads as data but whose stored config names ``torch.load`` / ``exec`` /
   ``os.system`` at ``model.net``: refused before anything is built.
3. A ``rich.py`` / ``torchmetrics.py`` / ``matplotlib.py`` / ``tensorboard.py`` in the folder
   ``eval`` runs from: never imported, while the folder's own package still is.

One tiny real training per task (the sizes of ``test_cli_matrix``) gives the files the attacks
are built from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow

NNFRAME = Path(sys.executable).with_name("nnframe")
TINY = {
    "cls": ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16"],
    "seg": ["data.num_train=32", "data.num_val=16", "data.num_test=16", "data.batch_size=8"],
    "ssl": ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16", "data.batch_size=16",
            "model.knn_k=5", "method.module.hidden_dim=64", "method.module.output_dim=32"],
}
SHADOWED = ("rich", "torchmetrics", "matplotlib", "tensorboard")


def nnframe(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """``nnframe <args>`` as a user runs it (no PYTHONPATH, no NNFRAME_ settings of this shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNFRAME_") and k != "PYTHONPATH"}
    env.update(NNFRAME_OUTPUT_DIR=str(cwd / "outputs"), OMP_NUM_THREADS="1")
    return subprocess.run([str(NNFRAME), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


class _Payload:
    """Unpickling it (an unsafe load) runs ``touch marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("untrusted")


def _train(task: str, workdir: Path) -> Path:
    run_dir = workdir / f"{task}_run"
    done = nnframe(task, "train", *TINY[task], "trainer.max_epochs=1", f"hydra.run.dir={run_dir}", cwd=workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def cls_run(workdir: Path) -> Path:
    return _train("cls", workdir)


@pytest.fixture(scope="module")
def seg_run(workdir: Path) -> Path:
    return _train("seg", workdir)


@pytest.fixture(scope="module")
def ssl_run(workdir: Path) -> Path:
    return _train("ssl", workdir)


def _checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)


def malicious_copy(run_dir: Path, path: Path) -> tuple[Path, Path]:
    """The run's checkpoint with a pickled payload added; returns the file and its marker."""
    marker = path.with_name(f"{path.stem}.MARKER")
    checkpoint = _checkpoint(run_dir)
    checkpoint["nnframe"]["payload"] = _Payload(marker)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)
    return path, marker


def assert_refused(done: subprocess.CompletedProcess[str], path: Path, marker: Path) -> None:
    output = done.stdout + done.stderr
    assert not marker.exists(), "the checkpoint's pickle ran"
    assert done.returncode != 0, output[-3000:]
    assert f"nnframe: error: {path} is not a plain nnframe/Lightning checkpoint" in done.stderr, output[-3000:]
    assert "weights_only" not in output and "Traceback" not in output, output[-3000:]


# --- 1. a checkpoint whose pickle runs code ---------------------------------------------------

CLS_ACTIONS = {
    "eval": lambda w: [*TINY["cls"]],
    "predict": lambda w: [f"predict.input_dir={w}"],
    "train": lambda w: [*TINY["cls"], "trainer.max_epochs=2", f"hydra.run.dir={w / 'train_from_evil'}"],
    "export": lambda w: [f"hydra.run.dir={w / 'export_evil'}"],
}


@pytest.mark.parametrize("action", sorted(CLS_ACTIONS))
def test_cls_ckpt_path_with_a_payload_runs_nothing(action: str, cls_run: Path, workdir: Path) -> None:
    path, marker = malicious_copy(cls_run, workdir / f"evil_cls_{action}.ckpt")
    done = nnframe("cls", action, f"ckpt_path={path}", *CLS_ACTIONS[action](workdir), cwd=workdir)
    assert_refused(done, path, marker)


def test_resume_from_a_replaced_last_ckpt_runs_nothing(cls_run: Path, workdir: Path) -> None:
    run_dir = workdir / "replaced_run"
    shutil.copytree(cls_run, run_dir)
    path, marker = malicious_copy(cls_run, run_dir / "checkpoints" / "last.ckpt")
    done = nnframe("cls", "train", *TINY["cls"], "trainer.max_epochs=2", "resume=true", f"hydra.run.dir={run_dir}",
                   cwd=workdir)
    assert_refused(done, path, marker)


def test_seg_eval_with_a_payload_runs_nothing(seg_run: Path, workdir: Path) -> None:
    path, marker = malicious_copy(seg_run, workdir / "evil_seg.ckpt")
    assert_refused(nnframe("seg", "eval", *TINY["seg"], f"ckpt_path={path}", cwd=workdir), path, marker)


SSL_ACTIONS = {
    "export": lambda w: [f"export.output={w / 'evil_backbone.pt'}"],
    "predict": lambda w: [f"predict.input_dir={w}"],
    "linear": lambda w: [*TINY["ssl"], "linear.epochs=1"],
}


@pytest.mark.parametrize("action", sorted(SSL_ACTIONS))
def test_ssl_ckpt_path_with_a_payload_runs_nothing(action: str, ssl_run: Path, workdir: Path) -> None:
    path, marker = malicious_copy(ssl_run, workdir / f"evil_ssl_{action}.ckpt")
    done = nnframe("ssl", action, f"ckpt_path={path}", *SSL_ACTIONS[action](workdir), cwd=workdir)
    assert_refused(done, path, marker)
    assert not (workdir / "evil_backbone.pt").exists()


def test_a_text_file_as_checkpoint_says_so(workdir: Path) -> None:
    notes = workdir / "notes.ckpt"
    notes.write_text("best epoch: 3\n")
    done = nnframe("cls", "eval", f"ckpt_path={notes}", cwd=workdir)
    assert done.returncode != 0 and "mmap" not in done.stderr
    assert f"nnframe: error: {notes} is not a checkpoint: it was not written by torch.save" in done.stderr


# --- 2. a stored config that names code -------------------------------------------------------

def _injected(run_dir: Path, workdir: Path, action: str, net: dict) -> Path:
    checkpoint = _checkpoint(run_dir)
    checkpoint["nnframe"]["config"]["model"]["net"] = net
    path = workdir / f"injected_{action}.ckpt"
    torch.save(checkpoint, path)
    torch.load(path, weights_only=True)  # loads as data: only the config is the attack
    return path


@pytest.mark.parametrize(("action", "target"), [("eval", "builtins.exec"), ("predict", "os.system"),
                                                ("export", "torch.load")])
def test_a_stored_config_naming_code_is_refused_before_anything_runs(action: str, target: str, cls_run: Path,
                                                                      workdir: Path) -> None:
    marker = workdir / f"injected_{action}.MARKER"
    net = {
        "builtins.exec": {"_target_": "builtins.exec", "_args_": [f"open({str(marker)!r}, 'w').close()"]},
        "os.system": {"_target_": "os.system", "_args_": [f"touch {marker}"]},
    }.get(target)
    if target == "torch.load":  # unpickles a payload file, which touches its own marker
        payload, marker = malicious_copy(cls_run, workdir / f"payload_{action}.pt")
        net = {"_target_": "torch.load", "f": str(payload), "weights_only": False}
    path = _injected(cls_run, workdir, action, net)
    done = nnframe("cls", action, f"ckpt_path={path}", *CLS_ACTIONS[action](workdir), cwd=workdir)
    assert not marker.exists(), "the stored config's target ran"
    assert done.returncode != 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (f"nnframe: error: model.net._target_={target} is not allowed in a checkpoint's config: {path}"
            in done.stderr), done.stderr[-3000:]


# --- 3. modules in the current folder ---------------------------------------------------------

def test_modules_in_the_current_folder_do_not_shadow_installed_packages(cls_run: Path, workdir: Path) -> None:
    folder = workdir / "downloaded_model"
    folder.mkdir()
    shutil.copy(cls_run / "checkpoints" / "last.ckpt", folder / "model.ckpt")
    for name in SHADOWED:
        (folder / f"{name}.py").write_text(f"open({str(folder / (name + '.MARKER'))!r}, 'w').close()\n")
    # The folder's own package (named after the project) is still importable by _target_.
    (folder / "configs").mkdir()
    (folder / "sec_own_logger").mkdir()
    (folder / "sec_own_logger" / "__init__.py").write_text(
        "from lightning.pytorch.loggers import CSVLogger\n\n"
        f"open({str(folder / 'OWN.MARKER')!r}, 'w').close()\n\n"
        "class OwnLogger(CSVLogger):\n    pass\n")
    done = nnframe("cls", "eval", "--config-dir", "configs", *TINY["cls"], "ckpt_path=model.ckpt",
                   "+logger.own._target_=sec_own_logger.OwnLogger", "+logger.own.save_dir=own_logs", cwd=folder)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "val/acc" in done.stdout
    assert [name for name in SHADOWED if (folder / f"{name}.MARKER").exists()] == []
    assert (folder / "OWN.MARKER").exists()
