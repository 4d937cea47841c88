"""The paper optimizer settings of the methods: no weight decay (nor LARS adaptation) on biases
and norms, SimSiam's fixed predictor learning rate, DINO's weight-decay schedule."""

from __future__ import annotations

import hydra
import lightning as L
import pytest
import torch

from nnframe.core.testing import compose_task_config
from nnframe.core.training.auto_preprocessing import resolve_auto_preprocessing
from nnframe.ssl import SSLModule

CONFIGS = "nnframe.ssl.configs"
# The papers that exempt biases and norms from weight decay (MoCo v2 and SimSiam decay all).
EXCLUDES = {"simclr": True, "byol": True, "barlow_twins": True, "vicreg": True, "dino": True, "moco_v2": False,
            "simsiam": False}


def _model(tiny, method: str, run_dir, *overrides: str) -> tuple[SSLModule, object]:
    cfg = compose_task_config(CONFIGS, [*tiny(method), *overrides], output_dir=run_dir)
    return hydra.utils.instantiate(cfg.model), cfg


def _norm_and_bias_ids(model: SSLModule) -> set[int]:
    ids = set()
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if p.requires_grad and (name == "bias" or isinstance(module, torch.nn.modules.batchnorm._NormBase)):
                ids.add(id(p))
    return ids


@pytest.mark.parametrize("method", sorted(EXCLUDES))
def test_norm_and_bias_weight_decay_follows_the_paper(method: str, tiny, run_dir) -> None:
    model, _ = _model(tiny, method, run_dir)
    assert model.exclude_norm_and_bias_from_weight_decay == EXCLUDES[method]
    optimizer = model.optimizer_factory(params=model.parameter_groups())
    base = optimizer.defaults["weight_decay"]
    assert base > 0
    no_decay = {id(p) for g in optimizer.param_groups if g["weight_decay"] == 0 for p in g["params"]}
    decayed = {id(p) for g in optimizer.param_groups if g["weight_decay"] == base for p in g["params"]}
    norms_and_biases = _norm_and_bias_ids(model)
    assert norms_and_biases  # the backbone's batch norms at least
    if EXCLUDES[method]:
        assert norms_and_biases <= no_decay and not norms_and_biases & decayed
        conv = next(m for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d))
        assert id(conv.weight) in decayed  # weights still decay
    else:
        assert not no_decay


def test_lars_leaves_norms_and_biases_to_plain_sgd(tiny, run_dir) -> None:
    model, _ = _model(tiny, "simclr", run_dir, "method.optimizer.weight_decay=0.1")
    optimizer = model.optimizer_factory(params=model.parameter_groups())
    assert type(optimizer).__name__ == "LARS"
    params = [p for g in optimizer.param_groups for p in g["params"]]
    before = {id(p): p.detach().clone() for p in params}
    for p in params:
        p.grad = torch.full_like(p, 0.5)
    optimizer.step()
    lr = optimizer.defaults["lr"]
    for group in optimizer.param_groups:
        for p in group["params"]:
            plain_sgd = torch.allclose(p, before[id(p)] - lr * 0.5)
            assert plain_sgd == (group["weight_decay"] == 0), group["name"]  # others: trust ratio and decay


def test_simsiam_predictor_keeps_its_learning_rate_while_the_others_decay(tiny, run_dir) -> None:
    model, cfg = _model(tiny, "simsiam", run_dir)
    optimizer = model.optimizer_factory(params=model.parameter_groups())
    scheduler = model.scheduler_factory(optimizer, total_steps=20)
    predictor = [g for g in optimizer.param_groups if g.get("fixed_lr")]
    assert [g["name"] for g in predictor] == ["predictor"]
    assert {id(p) for p in predictor[0]["params"]} == {id(p) for p in model.method.prediction_head.parameters()}
    for _ in range(15):
        optimizer.step()
        scheduler.step()
    base = cfg.method.optimizer.lr
    lrs = {g["name"]: g["lr"] for g in optimizer.param_groups}
    assert lrs["predictor"] == base
    assert 0 < lrs["params"] < 0.2 * base  # cosine: 0.15 of the base lr at step 15 of 20


def test_simsiam_predictor_lr_can_decay_too(tiny, run_dir) -> None:
    model, _ = _model(tiny, "simsiam", run_dir, "method.module.fixed_predictor_lr=false")
    assert len(model.parameter_groups()) == 1


def test_dino_weight_decay_rises_on_a_cosine_during_training(tiny, run_dir) -> None:
    model, cfg = _model(tiny, "dino", run_dir, "data.num_train=64")
    assert cfg.method.scheduler.weight_decay_end == 0.4 and cfg.method.optimizer.weight_decay == 0.04
    resolve_auto_preprocessing(cfg)  # data.normalization=auto
    datamodule = hydra.utils.instantiate(cfg.data)
    seen: list[dict[str, float]] = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            seen.append({g["name"]: g["weight_decay"] for g in trainer.optimizers[0].param_groups})

    trainer = L.Trainer(max_steps=4, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        num_sanity_val_steps=0, callbacks=[Record()])
    trainer.fit(model, datamodule=datamodule)
    decay = [step["params"] for step in seen]
    # Cosine from 0.04 over 4 steps: 0.04, then rising, and 0.4 once the run is over.
    assert decay[0] == pytest.approx(0.04) and decay == sorted(decay) and decay[1] > 0.04
    assert decay[2] == pytest.approx(0.4 + (0.04 - 0.4) * 0.5 * (1 + torch.cos(torch.tensor(torch.pi / 2)).item()))
    assert trainer.optimizers[0].param_groups[0]["weight_decay"] == pytest.approx(0.4)
    assert all(step["params_no_decay"] == 0.0 for step in seen)
