# %% [markdown]
# # Train a segmenter on the embedded shapes masks, then look at it
#
# The same run as `nnframe seg train` (a light U-Net on generated shape masks, nothing to
# download), from Python: compose, train, then the curves from the run's logs, the IoU per class,
# overlays of the predicted masks and the pixel confusion matrix. Run it as a script, cell by
# cell in VS Code / PyCharm, or in Jupyter with jupytext.

# %% tags=["parameters"]
# The full demo trains for about 5 minutes on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=192", "data.num_val=64", "data.num_test=64", "trainer.max_epochs=2"] if SMALL else []

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, show, train

cfg = compose("seg", ["experiment=shapes", *SIZE])
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
figures = run_dir / "figures"
print(f"val/miou {metrics['val/miou']:.3f}, test/miou {metrics['test/miou']:.3f}; run directory {run_dir}")

# %% [markdown]
# ## Curves, and the IoU of every class (logged as `val/iou/<class>`)

# %%
scalars = read_scalars(run_dir)
class_tags = sorted(tag for tag in scalars if tag.startswith("val/iou/"))
show(curves_figure(scalars, [["train/loss_epoch", "val/loss"], ["val/miou", "val/dice", "val/pixel_acc"], class_tags],
                   titles=["loss", "validation", "IoU per class"]), "curves", figures)

# %% [markdown]
# ## Overlays and the pixel confusion matrix of the best checkpoint
# `prediction_figure` is what the run logs to TensorBoard: image | ground truth | prediction.

# %%
import hydra
import torch
from torchmetrics.classification import MulticlassConfusionMatrix

from nnframe.core.cv_tools import confusion_matrix_figure
from nnframe.core.exporting import load_model_from_checkpoint

best = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
model, model_cfg, _ = load_model_from_checkpoint(compose("seg", [f"ckpt_path={best}"], action="eval"))
datamodule = hydra.utils.instantiate(model_cfg.data)
datamodule.setup("validate")

matrix = MulticlassConfusionMatrix(len(model.class_names), ignore_index=model.ignore_index)
with torch.no_grad():
    for index, (images, masks) in enumerate(datamodule.val_dataloader()):
        masks = masks.long().as_subclass(torch.Tensor)
        preds = model.predictions(model(images))
        matrix.update(preds, masks)
        if index == 0:
            show(model.prediction_figure(images[:6], masks[:6], preds[:6]), "overlays", figures)
pixels = matrix.compute()
show(confusion_matrix_figure(pixels, model.class_names), "confusion_matrix", figures)
iou = (pixels.diag() / (pixels.sum(0) + pixels.sum(1) - pixels.diag()).clamp(min=1)).tolist()
print("IoU per class:", {name: round(value, 3) for name, value in zip(model.class_names, iou, strict=True)})
