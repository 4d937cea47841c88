"""What TensorBoard shows for a 2-run cls sweep, a seg run and an ssl run under one ``--logdir``:
first their event files, then TensorBoard itself, through its HTTP data and in headless Chromium.

The runs go through the real ``nnframe`` command (in-process) with the default callbacks and
logger; only the data, image size and epochs are shrunk.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tensorboard.plugins.hparams import api_pb2, metadata

from nnframe.core.cli import main
from nnframe.core.sweeps import collect_runs, format_runs_table
from nnframe.core.testing import event_summaries

TINY = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.batch_size=32", "trainer.max_epochs=1",
        "trainer.accelerator=cpu"]
MONITOR = {"cls": "val/acc", "seg": "val/miou", "ssl": "val/knn_top1"}


def _browser_module():
    path = Path(__file__).resolve().parent.parent / "scripts" / "tensorboard_browser.py"
    spec = importlib.util.spec_from_file_location("tensorboard_browser", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("tensorboard_browser", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The four runs, as the README's commands make them."""
    root = tmp_path_factory.mktemp("outputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNFRAME_OUTPUT_DIR", str(root))
        assert main(["cls", "train", "-m", "model.optimizer.lr=1e-3,1e-2", *TINY]) == 0
        assert main(["seg", "train", *TINY]) == 0
        assert main(["ssl", "train", *TINY]) == 0
    yield root


def _runs(logdir: Path) -> dict[str, Path]:
    """``{"cls 0": <run dir>, "cls 1": ..., "seg": ..., "ssl": ...}``."""
    runs = sorted(p.parent.parent for p in logdir.rglob(".hydra/overrides.yaml"))
    named = {}
    for run in runs:
        task = run.relative_to(logdir).parts[0]
        named[f"{task} {run.name[0]}" if task == "cls" else task] = run
    return named


@pytest.mark.slow
def test_event_files_hold_the_runs_tags_hparams_and_text(logdir: Path) -> None:
    runs = _runs(logdir)
    assert set(runs) == {"cls 0", "cls 1", "seg", "ssl"}
    assert runs["cls 0"].name == "0_model.optimizer.lr=0.001" and runs["cls 1"].name == "1_model.optimizer.lr=0.01"

    for name, run in runs.items():
        task = name.split()[0]
        main_run, test_run = event_summaries(run / "tensorboard"), event_summaries(run / "tensorboard" / "test")
        scalars = {t for t, v in main_run.items() if v[0].metadata.plugin_data.plugin_name == "scalars"}
        assert {"train/loss_epoch", MONITOR[task], f"{MONITOR[task]}_best"} <= scalars, name
        assert not any(t == "epoch" or t.startswith(("hp/", "test/", "lr-")) for t in main_run), sorted(main_run)
        assert MONITOR[task] in test_run, f"{name}: the test value is a point of the validation chart"

        assert metadata.EXPERIMENT_TAG not in main_run, "one experiment summary would hide the other tasks' columns"
        (start,) = main_run[metadata.SESSION_START_INFO_TAG]
        hparams = metadata.parse_session_start_info_plugin_data(start.metadata.plugin_data.content).hparams
        assert {"data.batch_size", "trainer.max_epochs", "seed"} <= set(hparams), name
        assert not any(k.startswith(("choice/", "override/", "hydra")) for k in hparams)
        (end,) = main_run[metadata.SESSION_END_INFO_TAG]
        assert metadata.parse_session_end_info_plugin_data(end.metadata.plugin_data.content).status == \
            api_pb2.STATUS_SUCCESS

        (text,) = main_run["run"]
        description = text.tensor.string_val[0].decode()
        assert f"nnframe {task} train" in description and "trainer.max_epochs=1" in description
        assert "| torch |" in description and "_target_:" in description  # versions, composed config

        images = {t for t, v in main_run.items() if v[0].metadata.plugin_data.plugin_name == "images"}
        assert images == ({"train/views"} if task == "ssl" else
                          {"train/samples", "val/predictions", "val/confusion_matrix"}), name

    lr = [metadata.parse_session_start_info_plugin_data(
        event_summaries(runs[f"cls {i}"] / "tensorboard")[metadata.SESSION_START_INFO_TAG][0].metadata.plugin_data.content
    ).hparams["model.optimizer.lr"].number_value for i in (0, 1)]
    assert lr == [0.001, 0.01], "the swept value is a numeric column"
    ssl = metadata.parse_session_start_info_plugin_data(
        event_summaries(runs["ssl"] / "tensorboard")[metadata.SESSION_START_INFO_TAG][0].metadata.plugin_data.content).hparams
    assert ssl["method"].string_value == "simclr_small" and ssl["backbone.name"].string_value == "simple_cnn"
    assert "custom_scalars__config__" in event_summaries(runs["seg"] / "tensorboard"), "per-class IoU in one chart"
    assert (runs["ssl"] / "tensorboard" / "projector_config.pbtxt").is_file()

    sweep = runs["cls 0"].parent
    table = format_runs_table(collect_runs(sweep), sweep)
    assert "0_model.optimizer.lr=0.001" in table and "1_model.optimizer.lr=0.01" in table


def _post(url: str, body: dict) -> dict:
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _get(url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_tensorboard_shows_every_tasks_runs_in_chromium(logdir: Path) -> None:
    browser_module = _browser_module()
    if browser_module.find_chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")

    with browser_module.tensorboard(logdir) as url:
        # HPARAMS: every task's runs, their hyperparameters and their own metric tags as columns.
        experiment = _post(f"{url}/data/plugin/hparams/experiment", {"experimentName": ""})
        hparams = {h["name"]: h for h in experiment["hparamInfos"]}
        assert hparams["model.optimizer.lr"]["type"] == "DATA_TYPE_FLOAT64"
        assert hparams["model.optimizer.lr"].get("differs") is True
        metrics = {(m["name"].get("group", ""), m["name"]["tag"]) for m in experiment["metricInfos"]}
        assert {("", "val/acc"), ("", "val/miou"), ("", "val/knn_top1"), ("test", "val/acc")} <= metrics
        assert not any(tag.startswith("hp/") or tag == "epoch" for _, tag in metrics)
        groups = _post(f"{url}/data/plugin/hparams/session_groups",
                       {"experimentName": "", "allowedStatuses": ["STATUS_SUCCESS", "STATUS_UNKNOWN"],
                        "colParams": [], "startIndex": 0, "sliceSize": 100})
        assert groups["totalSize"] == 4
        text_tags = _get(f"{url}/data/plugin/text/tags")
        assert {run for run, tags in text_tags.items() if "run" in tags} == {
            run for run in _get(f"{url}/data/runs") if not run.endswith("/test")}

        with browser_module.HeadlessChromium(width=1600, height=1000) as browser:
            # Time Series opens on the train and val groups (TensorBoard expands the first two).
            browser_module.open_tensorboard_tab(browser, url, "timeseries")
            assert browser.wait_for_text("train/acc", "train/dice", timeout=60), browser.text()[:2000]
            groups = browser.evaluate("Array.from(document.querySelectorAll('.group-title')).map(e => e.innerText)")
            assert groups == ["Pinned", "train", "val"], groups
            _assert_not_blank(browser.screenshot())
            # Deep link with a tag filter: each task's monitored metric, the test point on the same card.
            browser_module.open_tensorboard_tab(browser, url, "timeseries", "tagFilter=val%2F(acc%7Cmiou%7Cknn_top1)%24")
            assert browser.wait_for_text("val/acc", "val/miou", "val/knn_top1", timeout=60)

            expected = {
                "hparams": ["model.optimizer.lr", "backbone.name", "val/miou", "val/knn_top1"],
                "images": ["val/predictions", "val/confusion_matrix", "train/views"],
                "text": ["Command", "nnframe cls train model.optimizer.lr=0.001", "Environment", "Config"],
            }
            for tab, needles in expected.items():
                browser_module.open_tensorboard_tab(browser, url, tab)
                assert browser.wait_for_text(*needles, timeout=60), (tab, [n for n in needles
                                                                           if n not in browser.text()])
                _assert_not_blank(browser.screenshot())


def _assert_not_blank(png: bytes) -> None:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1600, 1000)
    assert max(ImageStat.Stat(image).stddev) > 20, "the screenshot is one flat colour"
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 500, "the screenshot has no charts"
