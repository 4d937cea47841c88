"""What TensorBoard shows for a 2-run learning-rate sweep of the first installed task and one run
of every other task under one ``--logdir``: first their event files, then TensorBoard itself,
through its HTTP data and in headless Chromium.

The runs go through the real ``nnframe`` command (in-process) with the default callbacks and
logger; only the data, image size and epochs are shrunk (each task's ``TaskSpec.smoke_overrides``),
so a task installed later is shown here with no edit.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from tensorboard.plugins.hparams import api_pb2, metadata

from nnframe.core.cli import main
from nnframe.core.sweeps import collect_runs, format_runs_table
from nnframe.core.task_registry import discover_tasks
from nnframe.core.testing import compose_task_config, event_summaries

TASKS = discover_tasks()
SWEPT = next(iter(TASKS))  # the task whose learning rate is swept (two runs)
LR_KEY = str(compose_task_config(TASKS[SWEPT].config_package).tune.lr_key)  # its learning rate's key
TRAIN = ["data.num_train=64", "data.num_val=32", "data.num_test=32", "data.batch_size=32", "trainer.max_epochs=1",
         "trainer.accelerator=cpu"]
# The figure each callback draws: a run has the figures of its callbacks, and none of the others.
FIGURES = {"training_samples": "train/samples", "prediction_grid": "val/predictions",
           "confusion_matrix": "val/confusion_matrix", "augmented_views": "train/views"}


def tiny(task: str) -> list[str]:
    """The task's smoke sizes, then this file's (64 training images, one epoch, batches of 32)."""
    return [*TASKS[task].smoke_overrides, *TRAIN]


def monitor(task: str) -> str:
    return TASKS[task].monitor


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
        assert main([SWEPT, "train", "-m", f"{LR_KEY}=1e-3,1e-2", *tiny(SWEPT)]) == 0
        for task in TASKS:
            if task != SWEPT:
                assert main([task, "train", *tiny(task)]) == 0
    yield root


def _runs(logdir: Path) -> dict[str, Path]:
    """``{"<swept task> 0": <run dir>, "<swept task> 1": ..., "<task>": ... for the others}``."""
    runs = sorted(p.parent.parent for p in logdir.rglob(".hydra/overrides.yaml"))
    named = {}
    for run in runs:
        task = run.relative_to(logdir).parts[0]
        named[f"{task} {run.name[0]}" if task == SWEPT else task] = run
    return named


def _figures(run: Path) -> set[str]:
    """The figure tags the run's callbacks draw (its composed config, as saved in the run)."""
    callbacks = OmegaConf.load(run / ".hydra" / "config.yaml").get("callbacks") or {}
    return {FIGURES[name] for name, node in callbacks.items() if name in FIGURES and node is not None}


def _hparams(run: Path):
    start = event_summaries(run / "tensorboard")[metadata.SESSION_START_INFO_TAG][0]
    return metadata.parse_session_start_info_plugin_data(start.metadata.plugin_data.content).hparams


@pytest.mark.slow
def test_event_files_hold_the_runs_tags_hparams_and_text(logdir: Path) -> None:
    runs = _runs(logdir)
    assert set(runs) == {f"{SWEPT} 0", f"{SWEPT} 1", *(task for task in TASKS if task != SWEPT)}
    assert runs[f"{SWEPT} 0"].name == f"0_{LR_KEY}=0.001" and runs[f"{SWEPT} 1"].name == f"1_{LR_KEY}=0.01"

    for name, run in runs.items():
        task = name.split()[0]
        main_run = event_summaries(run / "tensorboard")
        assert not (run / "tensorboard" / "test").exists(), "a test sub-run per run doubles the run list"
        scalars = {t for t, v in main_run.items() if v[0].metadata.plugin_data.plugin_name == "scalars"}
        assert {"train/loss_epoch", monitor(task), f"{monitor(task)}_best"} <= scalars, name
        assert not any(t == "epoch" or t.startswith(("hp/", "test/", "lr-")) for t in main_run), sorted(main_run)
        assert f"{monitor(task)}_test" in main_run, f"{name}: the test value is the card after the validation one"

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
        expected = _figures(run)  # e.g. the confusion matrix for cls and seg, none for ssl
        assert expected <= images and not (images & set(FIGURES.values())) - expected, (name, images)

        # The config's HPARAMS columns, each with its value: a group's chosen option as text
        # (ssl's method=simclr_small), a key's value as text or number.
        composed = OmegaConf.load(run / ".hydra" / "config.yaml")
        choices = OmegaConf.load(run / ".hydra" / "hydra.yaml").hydra.runtime.choices
        for key in composed.hparams:
            value = choices[key] if key in choices else OmegaConf.select(composed, key)
            if isinstance(value, str):
                assert hparams[key].string_value == value, (name, key)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                assert hparams[key].number_value == value, (name, key)
        per_class = [t for t in scalars if t.count("/") >= 2]
        if per_class:  # e.g. seg's iou/<class>
            assert "custom_scalars__config__" in main_run, f"{name}: per-class {per_class[0]} in one chart"
            assert all(t.split("/")[0] in {"val_per_class", "z_train_per_class"} for t in per_class), per_class
        if "embedding_projector" in (composed.get("callbacks") or {}):
            assert (run / "tensorboard" / "projector_config.pbtxt").is_file(), name

    lr = [_hparams(runs[f"{SWEPT} {i}"])[LR_KEY].number_value for i in (0, 1)]
    assert lr == [0.001, 0.01], "the swept value is a numeric column"

    sweep = runs[f"{SWEPT} 0"].parent
    table = format_runs_table(collect_runs(sweep), sweep)
    assert f"0_{LR_KEY}=0.001" in table and f"1_{LR_KEY}=0.01" in table


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
        assert hparams[LR_KEY]["type"] == "DATA_TYPE_FLOAT64"
        assert hparams[LR_KEY].get("differs") is True
        metrics = {(m["name"].get("group", ""), m["name"]["tag"]) for m in experiment["metricInfos"]}
        assert {("", monitor(task)) for task in TASKS} | {("", f"{monitor(SWEPT)}_test")} <= metrics
        assert not any(tag.startswith("hp/") or tag == "epoch" for _, tag in metrics)
        # The log root's experiment summary: the monitored metrics are the first columns, which
        # HPARAMS displays without ticking (it displays the first five), and no training curve.
        first = [m["name"]["tag"] for m in experiment["metricInfos"][:5]]
        assert {monitor(task) for task in TASKS} <= set(first), first
        assert all(tag.startswith("val/") for _, tag in metrics), sorted(metrics)
        groups = _post(f"{url}/data/plugin/hparams/session_groups",
                       {"experimentName": "", "allowedStatuses": ["STATUS_SUCCESS", "STATUS_UNKNOWN"],
                        "colParams": [], "startIndex": 0, "sliceSize": 100})
        assert groups["totalSize"] == len(TASKS) + 1
        # Trial ids: the task and the run folder first (a sweep job's folder names its values).
        trials = sorted(g["name"] for g in groups["sessionGroups"])
        swept = [t for t in trials if t.startswith(f"{SWEPT} ")]
        lr = LR_KEY.rsplit(".", 1)[-1]  # the table shows ~15 characters: the swept key's last part
        assert [t.split(" (")[0] for t in swept] == [f"{SWEPT} 0_{lr}=0.001", f"{SWEPT} 1_{lr}=0.01"], trials
        text_tags = _get(f"{url}/data/plugin/text/tags")
        runs = [run for run in _get(f"{url}/data/runs") if run != "."]  # "." holds the experiment summary
        assert not any(run.endswith("/test") for run in runs), runs
        assert {run for run, tags in text_tags.items() if "run" in tags} == set(runs)

        with browser_module.HeadlessChromium(width=1600, height=1000) as browser:
            # Time Series opens on the train and val groups (TensorBoard expands the first two).
            browser_module.open_tensorboard_tab(browser, url, "timeseries")
            trained = [tag for run in _runs(logdir).values() for tag in event_summaries(run / "tensorboard")
                       if tag.startswith("train/") and tag.count("/") == 1 and not tag.startswith("train/loss")]
            assert browser.wait_for_text(*sorted(set(trained))[:2], timeout=60), browser.text()[:2000]
            groups = browser.evaluate("Array.from(document.querySelectorAll('.group-title')).map(e => e.innerText)")
            assert groups[:3] == ["Pinned", "train", "val"], groups
            assert not {"train", "val"} & {g.split("/")[0] for g in groups[3:]}, groups
            # The val group expanded right after train, which holds no per-class cards (they are
            # in groups of their own, after val): it starts a few card rows down, not thousands.
            cards = browser.evaluate("Array.from(document.querySelectorAll('tb-truncated-path[title]'))"
                                     ".map(e => e.title)")
            assert not [c for c in cards if c.startswith("train/") and c.count("/") > 1], cards
            train_cards = browser.evaluate("document.querySelectorAll('.group-title')[1].parentElement"
                                           ".innerText.match(/(\\d+) cards?/)[1]")
            val_top = browser.evaluate("Array.from(document.querySelectorAll('.group-title'))"
                                       ".find(e => e.innerText === 'val').getBoundingClientRect().top")
            rows = -(-int(train_cards) // 3)  # three cards a row at this width, ~410 px each
            assert val_top < 300 + 450 * rows, f"the val group starts {val_top:.0f} px down ({train_cards} train cards)"
            browser.evaluate("Array.from(document.querySelectorAll('.group-title'))"
                             ".find(e => e.innerText === 'val').scrollIntoView()")
            assert browser.wait_for_text(monitor(SWEPT), timeout=30), "the val group is expanded"
            _assert_not_blank(browser.screenshot())
            # Deep link with a tag filter: each task's monitored metric, the test point on the same card.
            monitors = sorted({monitor(task) for task in TASKS})
            names = "%7C".join(m.split("/", 1)[1] for m in monitors)  # val/(acc|miou|knn_top1)$
            browser_module.open_tensorboard_tab(browser, url, "timeseries", f"tagFilter=val%2F({names})%24")
            assert browser.wait_for_text(*monitors, timeout=60)

            expected = {
                "hparams": [LR_KEY, *monitors],
                "images": sorted(set().union(*(_figures(run) for run in _runs(logdir).values()))),
                "text": ["Command", f"nnframe {SWEPT} train {LR_KEY}=0.001", "Environment", "Config"],
            }
            # HPARAMS: the monitored metrics' columns are ticked without interaction.
            browser_module.open_tensorboard_tab(browser, url, "hparams")
            assert browser.wait_for_text(*monitors, timeout=60)
            ticked = browser.evaluate(TICKED_JS)
            assert set(monitors) <= set(ticked), ticked
            assert not any(name.startswith("train/") for name in ticked), ticked
            lr = LR_KEY.rsplit(".", 1)[-1]
            assert browser.wait_for_text(f"{SWEPT} 0_{lr}=0.001", f"{SWEPT} 1_{lr}=0.01", timeout=60)

            for tab, needles in expected.items():
                browser_module.open_tensorboard_tab(browser, url, tab)
                assert browser.wait_for_text(*needles, timeout=60), (tab, [n for n in needles
                                                                           if n not in browser.text()])
                _assert_not_blank(browser.screenshot())


# The labels of the ticked checkboxes of HPARAMS' left pane (the displayed columns), shadow roots included.
TICKED_JS = """(() => {
  const ticked = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll('*')) {
      if (element.tagName === 'PAPER-CHECKBOX' && element.checked) ticked.push(element.innerText.trim());
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  return ticked;
})()"""


def _assert_not_blank(png: bytes) -> None:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1600, 1000)
    assert max(ImageStat.Stat(image).stddev) > 20, "the screenshot is one flat colour"
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 500, "the screenshot has no charts"
