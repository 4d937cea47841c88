"""RunInfoCallback: the HPARAMS session and TEXT entries a run writes, read back from its event files."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from tensorboard.plugins.hparams import api_pb2, metadata

from nnframe.core.callbacks import RunInfoCallback
from nnframe.core.loggers import TensorBoardRunLogger
from nnframe.core.testing import ToyClassifier, ToyDataModule, event_summaries


def _fit(tmp_path: Path, callback: RunInfoCallback, test: bool, name: str = "tb") -> dict[str, list]:
    logger = TensorBoardRunLogger(save_dir=tmp_path, name=name, version="", default_hp_metric=False)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=logger, callbacks=[callback],
                        enable_progress_bar=False, enable_checkpointing=False)
    model, data = ToyClassifier(), ToyDataModule()
    trainer.fit(model, datamodule=data)
    if test:
        trainer.test(model, datamodule=data, verbose=False)
    return event_summaries(tmp_path / name)


def test_hparams_keep_their_types_and_no_experiment_summary_is_written(tmp_path: Path) -> None:
    hparams = {"model.optimizer.lr": 0.01, "data.batch_size": 64, "model": "timm", "pretrained": True}
    found = _fit(tmp_path, RunInfoCallback(hparams, {"run": "    nnframe cls train"}), test=False)

    assert metadata.EXPERIMENT_TAG not in found, "an experiment summary would hide the other tasks' columns"
    (start,) = found[metadata.SESSION_START_INFO_TAG]
    info = metadata.parse_session_start_info_plugin_data(start.metadata.plugin_data.content)
    assert info.hparams["model.optimizer.lr"].number_value == 0.01
    assert info.hparams["data.batch_size"].number_value == 64
    assert info.hparams["model"].string_value == "timm"
    assert info.hparams["pretrained"].bool_value is True
    (end,) = found[metadata.SESSION_END_INFO_TAG]
    assert metadata.parse_session_end_info_plugin_data(end.metadata.plugin_data.content).status == \
        api_pb2.STATUS_SUCCESS
    (text,) = found["run"]  # the tag itself, not add_text's "run/text_summary"
    assert text.metadata.plugin_data.plugin_name == "text"
    assert text.tensor.string_val[0].decode() == "    nnframe cls train"


def test_the_session_ends_after_the_test_when_the_run_tests(tmp_path: Path) -> None:
    class Probe(L.Callback):
        fit_end_has_status: bool | None = None

        def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            Probe.fit_end_has_status = info._ended

    info = RunInfoCallback({"seed": 1}, {}, ends_after_test=True)
    logger = TensorBoardRunLogger(save_dir=tmp_path, name="tb", version="", default_hp_metric=False)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=logger, callbacks=[info, Probe()],
                        enable_progress_bar=False, enable_checkpointing=False)
    model, data = ToyClassifier(), ToyDataModule()
    trainer.fit(model, datamodule=data)
    assert Probe.fit_end_has_status is False and not info._ended
    trainer.test(model, datamodule=data, verbose=False)
    assert info._ended
    assert len(event_summaries(tmp_path / "tb")[metadata.SESSION_END_INFO_TAG]) == 1


def test_the_log_root_holds_one_experiment_summary_whose_first_columns_are_the_val_metrics(tmp_path: Path) -> None:
    """Without it TensorBoard's HPARAMS displays the first five scalar tags by name: train/* ones."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    from nnframe.core.callbacks._hparams_experiment import SUMMARY_FILE

    for name, lr, extra in (("run0", 0.01, {}), ("run1", 0.1, {"model": "timm"})):
        hparams = {"model.optimizer.lr": lr, "seed": 1, **extra}
        found = _fit(tmp_path, RunInfoCallback(hparams, {}, ends_after_test=True, log_root=str(tmp_path),
                                               monitor="val/acc"), test=True, name=name)
        assert metadata.EXPERIMENT_TAG not in found, "a run's own summary would hide the other runs' columns"

    (event,) = [e for e in EventFileLoader(str(tmp_path / SUMMARY_FILE)).Load() if e.summary.value]
    (value,) = event.summary.value
    assert value.tag == metadata.EXPERIMENT_TAG
    experiment = metadata.parse_experiment_plugin_data(value.metadata.plugin_data.content)
    metrics = [(m.name.group, m.name.tag) for m in experiment.metric_infos]
    assert metrics[0] == ("", "val/acc"), "the monitored metric is the first column"
    assert ("", "val/acc_test") in metrics and ("", "val/loss") in metrics
    assert all(tag.startswith("val/") and tag.count("/") == 1 for _, tag in metrics), metrics
    infos = {i.name: i for i in experiment.hparam_infos}
    assert set(infos) == {"model.optimizer.lr", "seed", "model"}, "the union of the runs' hyperparameters"
    assert infos["model.optimizer.lr"].type == api_pb2.DATA_TYPE_FLOAT64 and infos["model.optimizer.lr"].differs
    assert not infos["model"].differs and not infos["seed"].differs, "as TensorBoard: only values that disagree"
    assert [i.name for i in experiment.hparam_infos][0] == "model.optimizer.lr", "those that differ first"
