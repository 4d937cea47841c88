"""Screenshots of TensorBoard for the README: fresh short runs of every task, each tab in Chromium.

    uv run python scripts/tensorboard_screenshots.py                # train, then shoot
    uv run python scripts/tensorboard_screenshots.py --logdir runs  # keep the runs (reused if there)

Trains a 2-run ``cls`` sweep, one ``seg`` run and one ``ssl`` run under one log directory (about
five minutes on a laptop CPU), starts TensorBoard on it, opens each tab in headless Chromium
(Debian's ``chromium`` package) and writes ``docs/images/tensorboard_<name>.png``, palette PNGs of
a few tens of KB each. It lives in ``scripts/`` because it maintains documentation: it is neither
a benchmark (``benchmarks/`` measure speed) nor a test (the test that TensorBoard shows the
expected tags is ``tests/test_tensorboard_view.py``, which shares ``tensorboard_browser.py``).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tensorboard_browser import (  # noqa: E402
    HeadlessChromium,
    open_tensorboard_tab,
    show_actual_image_size,
    tensorboard,
)

ROOT = Path(__file__).resolve().parent.parent
# The same data sizes for every task, so that HPARAMS shows what really differs between the runs.
DATA = ["data.num_train=800", "data.num_val=200", "data.num_test=200"]
RUNS = [
    ["cls", "train", "-m", "model.optimizer.lr=0.001,0.003", "trainer.max_epochs=5", *DATA],
    ["seg", "train", "trainer.max_epochs=3", *DATA],
    ["ssl", "train", "trainer.max_epochs=6", *DATA],
]


@dataclass(frozen=True)
class Shot:
    """One screenshot: a TensorBoard tab, what to wait for, the window height, deep-link query."""

    tab: str
    wait_for: str
    height: int = 1000
    query: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    actual_size: bool = False  # IMAGES: tick "Show actual image size"
    open_matches: bool = False  # CUSTOM SCALARS: open each chart's "Matches" list (its legend)
    pause: float = 4.0  # seconds for charts and images to draw after their data arrives


SHOTS = {
    "timeseries": Shot("timeseries", "train/acc"),
    # The figures at their own size (IMAGES tab; its filters are the part of the URL after #).
    "figures": Shot("images&tagFilter=predictions%7Cviews&regexInput=0_model%7Cssl%2F", "val/predictions", 1500,
                    actual_size=True),
    "segmentation": Shot("images&regexInput=seg%2F", "val/predictions", 1650, actual_size=True),
    "hparams": Shot("hparams", "model.optimizer.lr", 700),
    "text": Shot("text", "nnframe cls train"),
    "custom_scalars": Shot("custom_scalars", "every class", 1100, open_matches=True),
    # The projector draws in a frame of its own: nothing to wait for but time.
    "projector": Shot("projector", "PROJECTOR", 900, pause=15.0),
}


# Clicks the "Matches" toggle of every custom-scalar chart: the list names each line, with its
# marker (TensorBoard draws all lines of a run in the run's colour, one marker per tag).
OPEN_MATCHES_JS = """(() => {
  const walk = (root) => {
    for (const element of root.querySelectorAll('*')) {
      if (element.classList && element.classList.contains('toggle-matches-button')) element.click();
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
})()"""


def train(logdir: Path) -> None:
    """The runs of :data:`RUNS`, through the ``nnframe`` command, into ``logdir``."""
    env = {**os.environ, "NNFRAME_OUTPUT_DIR": str(logdir)}
    for args in RUNS:
        print("nnframe", " ".join(args), flush=True)
        subprocess.run([sys.executable, "-m", "nnframe.core.cli", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL)


def small_png(png: bytes, colours: int = 128) -> bytes:
    """The screenshot as a palette PNG (a few times smaller; TensorBoard's flat colours survive)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True)
    return out.getvalue()


def shoot(logdir: Path, out_dir: Path, names: list[str], width: int = 1600) -> list[Path]:
    """The screenshots ``names`` of :data:`SHOTS` of TensorBoard on ``logdir``, into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tensorboard(logdir) as url:
        for name in names:
            shot = SHOTS[name]
            with HeadlessChromium(width=width, height=shot.height) as browser:
                open_tensorboard_tab(browser, url, shot.tab, shot.query, shot.settings)
                if not browser.wait_for_text(shot.wait_for, timeout=60):
                    print(f"warning: {name}: {shot.wait_for!r} did not appear", file=sys.stderr)
                if shot.actual_size and not show_actual_image_size(browser):
                    print(f"warning: {name}: no 'Show actual image size' box", file=sys.stderr)
                if shot.open_matches:
                    time.sleep(shot.pause)
                    browser.evaluate(OPEN_MATCHES_JS)
                time.sleep(shot.pause)
                path = out_dir / f"tensorboard_{name}.png"
                path.write_bytes(small_png(browser.screenshot()))
                written.append(path)
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                      f"{path.stat().st_size // 1024} KB", flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logdir", type=Path, help="where the runs go (reused when it holds runs); "
                        "default: a temporary folder")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    parser.add_argument("--shots", nargs="*", default=list(SHOTS), choices=list(SHOTS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nnframe-tb-") as scratch:
        logdir = args.logdir or Path(scratch)
        if not any(logdir.rglob("events.out.tfevents.*")):
            train(logdir)
        shoot(logdir, args.out, args.shots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
