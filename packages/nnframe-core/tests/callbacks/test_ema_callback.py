"""EMACallback (model.ema_decay): the EMA weights differ from the raw ones, are the ones validated,
checkpointed and tested, and a resumed run continues the same average."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from nnframe.core.callbacks import EMACallback
from nnframe.core.testing import ToyClassifier, ToyDataModule


def _model(**kwargs: object) -> ToyClassifier:
    torch.manual_seed(0)
    return ToyClassifier(optimizer=partial(torch.optim.SGD, lr=0.05, momentum=0.9), monitor="val/acc", **kwargs)


def _trainer(path: Path, epochs: int) -> L.Trainer:
    return L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False, enable_progress_bar=False,
                     enable_model_summary=False, num_sanity_val_steps=0, deterministic=True,
                     callbacks=[ModelCheckpoint(dirpath=path, save_last=True, save_top_k=0)])


def _fit(path: Path, epochs: int, ckpt_path: str | None = None, **kwargs: object) -> tuple[ToyClassifier, L.Trainer]:
    L.seed_everything(0)
    model = _model(ema_decay=0.9, ema_warmup=False, **kwargs)
    trainer = _trainer(path, epochs)
    trainer.fit(model, datamodule=ToyDataModule(), ckpt_path=ckpt_path)
    return model, trainer


def _validate(state: dict[str, torch.Tensor], stage: str = "validate") -> dict[str, float]:
    model = _model()
    model.load_state_dict(state)
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    run = trainer.validate if stage == "validate" else trainer.test
    return {k: float(v) for k, v in run(model, datamodule=ToyDataModule(), verbose=False)[0].items()}


def test_ema_weights_differ_from_the_raw_ones_and_are_validated_and_checkpointed(tmp_path: Path) -> None:
    model, trainer = _fit(tmp_path, epochs=2)
    logged_val_loss = float(trainer.callback_metrics["val/loss"])
    checkpoint = torch.load(tmp_path / "last.ckpt", map_location="cpu", weights_only=False)
    ema, raw = checkpoint["state_dict"], checkpoint["current_model_state"]
    assert any(not torch.equal(ema[k], raw[k]) for k in ema)
    # The validation during fit saw the EMA weights, not the raw ones.
    assert _validate(ema)["val/loss"] == pytest.approx(logged_val_loss, rel=1e-5)
    assert _validate(raw)["val/loss"] != pytest.approx(logged_val_loss, rel=1e-3)
    # After training, the module keeps the EMA weights.
    assert all(torch.equal(v, ema[k]) for k, v in model.state_dict().items())


def test_testing_a_checkpoint_after_fit_uses_its_ema_weights(tmp_path: Path) -> None:
    model, trainer = _fit(tmp_path, epochs=2)
    tested = trainer.test(model, datamodule=ToyDataModule(), ckpt_path=str(tmp_path / "last.ckpt"), verbose=False)[0]
    checkpoint = torch.load(tmp_path / "last.ckpt", map_location="cpu", weights_only=False)
    assert tested["test/loss"] == pytest.approx(_validate(checkpoint["state_dict"], "test")["test/loss"], rel=1e-5)


def test_a_resumed_run_continues_the_same_average(tmp_path: Path) -> None:
    _fit(tmp_path / "full", epochs=2)
    _fit(tmp_path / "part", epochs=1)
    _fit(tmp_path / "part", epochs=2, ckpt_path=str(tmp_path / "part" / "last.ckpt"))
    full = torch.load(tmp_path / "full" / "last.ckpt", map_location="cpu", weights_only=False)
    resumed = torch.load(tmp_path / "part" / "last.ckpt", map_location="cpu", weights_only=False)
    for key in ("state_dict", "current_model_state"):
        for name, value in full[key].items():
            torch.testing.assert_close(resumed[key][name], value, msg=f"{key} {name}")


def test_decay_warms_up_like_timm_model_ema_v3() -> None:
    ema = EMACallback(decay=0.9998, warmup=True)
    assert ema.decay_at(1) == pytest.approx(1 - 2 ** (-2 / 3))
    assert ema.decay_at(1000) == pytest.approx(1 - 1001 ** (-2 / 3))
    assert ema.decay_at(10**9) == 0.9998
    assert EMACallback(decay=0.99, warmup=False).decay_at(1) == 0.99


def test_ema_is_added_only_for_fitting(tmp_path: Path) -> None:
    model = _model(ema_decay=0.99)
    trainer = _trainer(tmp_path, 1)
    trainer.validate(model, datamodule=ToyDataModule(), verbose=False)
    assert not any(isinstance(c, EMACallback) for c in trainer.callbacks)
    trainer.fit(model, datamodule=ToyDataModule())
    assert sum(isinstance(c, EMACallback) for c in trainer.callbacks) == 1


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5])
def test_a_decay_outside_0_1_is_a_config_error(decay: float) -> None:
    from nnframe.core.errors import ConfigError

    with pytest.raises(ConfigError, match="model.ema_decay"):
        EMACallback(decay)
