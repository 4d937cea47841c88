"""Every configured loss and the metrics leave ignore_index pixels out entirely."""

from __future__ import annotations

import pytest
import torch
from hydra.utils import instantiate

from nnframe.core.testing import compose_task_config
from nnframe.seg import ClassAveragedScore, segmentation_metrics

LOSSES = ["ce", "dice", "jaccard", "focal", "lovasz", "ce_dice", "ce_lovasz"]
IGNORE = 255


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 4, 8, 12, generator=generator)
    target = torch.randint(0, 4, (2, 8, 12), generator=generator)
    return logits, target


@pytest.mark.parametrize("name", LOSSES)
def test_ignored_pixels_do_not_change_the_loss(name: str) -> None:
    cfg = compose_task_config("nnframe.seg.configs", [f"loss={name}"])
    loss = instantiate(cfg.model.loss)
    logits, target = _batch()
    valid = loss(logits[..., :6], target[..., :6])  # only the left half

    ignored = target.clone()
    ignored[..., 6:] = IGNORE
    scrambled = logits.clone()
    scrambled[..., 6:] = torch.randn_like(scrambled[..., 6:]) * 10
    assert loss(logits, ignored) == pytest.approx(float(valid), rel=1e-5)
    assert loss(scrambled, ignored) == pytest.approx(float(valid), rel=1e-5)
    assert loss(scrambled, target) != pytest.approx(float(valid), rel=1e-3)  # labelled, the right half counts


def test_loss_weights_sum_the_terms() -> None:
    cfg = compose_task_config("nnframe.seg.configs", ["loss=ce_dice", "model.loss.terms.dice.weight=0.25"])
    loss = instantiate(cfg.model.loss)
    logits, target = _batch(1)
    total = loss(logits, target)
    assert float(total) == pytest.approx(float(loss.last_terms["ce"] + 0.25 * loss.last_terms["dice"]), rel=1e-6)


def test_ignored_pixels_do_not_change_the_metrics() -> None:
    logits, target = _batch(2)
    ignored = target.clone()
    ignored[..., 6:] = IGNORE
    full, half = segmentation_metrics(4, IGNORE), segmentation_metrics(4, IGNORE)
    full.update(torch.randn_like(logits), ignored)  # noise where ignored, same logits where valid
    full.reset()
    scrambled = logits.clone()
    scrambled[..., 6:] = -scrambled[..., 6:]
    full.update(scrambled, ignored)
    half.update(logits[..., :6], target[..., :6])
    for name, value in half.compute().items():
        assert torch.allclose(full.compute()[name], value), name


def test_pixel_accuracy_is_torchmetrics_micro_accuracy_from_the_shared_confusion_matrix() -> None:
    from torchmetrics.classification import MulticlassAccuracy

    logits, target = _batch(3)
    target[0, :3] = IGNORE
    metrics = segmentation_metrics(4, IGNORE)
    reference = MulticlassAccuracy(4, average="micro", ignore_index=IGNORE)
    metrics.update(logits.max(dim=1).indices, target)  # hard predictions, as the task module gives them
    metrics.update(logits, target)  # or logits
    reference.update(logits, target)
    reference.update(logits, target)
    assert float(metrics.compute()["pixel_acc"]) == pytest.approx(float(reference.compute()), abs=1e-6)
    assert len(metrics.compute_groups) == 1  # one confusion matrix, one update for all four


def test_mean_iou_counts_present_classes_and_can_leave_out_background() -> None:
    target = torch.tensor([[0, 0, 1, 1]])
    preds = torch.tensor([[0, 0, 1, 0]])  # background IoU 2/3, class 1 IoU 1/2, class 2 absent
    with_background = ClassAveragedScore(3, "iou", include_background=True)
    without = ClassAveragedScore(3, "iou", include_background=False)
    dice = ClassAveragedScore(3, "dice", include_background=True)
    for metric in (with_background, without, dice):
        metric.update(preds, target)
    assert float(with_background.compute()) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert float(without.compute()) == pytest.approx(1 / 2)
    assert float(dice.compute()) == pytest.approx((4 / 5 + 2 / 3) / 2)


def test_mean_iou_and_the_logged_per_class_iou_agree_on_classes_absent_from_a_split(monkeypatch) -> None:
    from functools import partial

    from nnframe.seg import SegmentationModule

    target = torch.tensor([[[0, 0, 1, 1]]])
    logits = torch.nn.functional.one_hot(torch.tensor([[[0, 0, 1, 0]]]), 4).permute(0, 3, 1, 2).float()
    values = segmentation_metrics(4, IGNORE)
    values.update(logits, target)
    computed = values.compute()
    assert torch.isnan(computed["iou"][2:]).all()  # classes 2 and 3 are absent: no value, not 0
    assert float(computed["miou"]) == pytest.approx(float(computed["iou"][:2].mean()))

    module = SegmentationModule(partial(torch.optim.SGD, lr=0.1), num_classes=4, arch="unet", encoder="resnet18",
                                arch_kwargs={"encoder_depth": 3, "decoder_channels": [16, 8, 4]})
    module.class_names = ["background", "road", "car", "sky"]
    logged: dict[str, float] = {}
    monkeypatch.setattr(module, "log_dict", lambda scalars, **kwargs: logged.update(
        {k: float(v) for k, v in scalars.items()}))
    module.val_metrics.update(logits, target)
    module._log_epoch_metrics("val")
    per_class = {k: v for k, v in logged.items() if k.startswith("val/iou/")}
    assert set(per_class) == {"val/iou/background", "val/iou/road"}
    assert logged["val/miou"] == pytest.approx(sum(per_class.values()) / len(per_class))


@pytest.mark.parametrize("ignore_index", [None, IGNORE])
@pytest.mark.parametrize("options", [{}, {"smooth": 1.0}, {"log_loss": True}, {"classes": [0, 2]}])
@pytest.mark.parametrize("channels_last", [False, True])
def test_dice_loss_matches_smp(ignore_index: int | None, options: dict, channels_last: bool) -> None:
    from segmentation_models_pytorch.losses import DiceLoss

    from nnframe.seg import MulticlassDiceLoss

    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 5, 8, 12, generator=generator) * 3
    target = torch.randint(0, 4, (3, 8, 12), generator=generator)  # class 4 absent: counts 0
    if ignore_index is not None:
        target[:, :3] = ignore_index
    if channels_last:
        logits = logits.contiguous(memory_format=torch.channels_last)
    ours_in, smp_in = logits.clone().requires_grad_(), logits.clone().requires_grad_()
    ours = MulticlassDiceLoss(ignore_index=ignore_index, **options)(ours_in, target)
    reference = DiceLoss("multiclass", from_logits=True, ignore_index=ignore_index, **options)(smp_in, target)
    ours.backward()
    reference.backward()
    assert float(ours.detach()) == pytest.approx(float(reference.detach()), rel=1e-6)
    assert torch.allclose(ours_in.grad, smp_in.grad, atol=1e-8, rtol=1e-5)
    assert float(ours_in.grad.abs().sum()) > 0
