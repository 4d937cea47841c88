# %% [markdown]
# # Train a detector on the embedded shapes, then look at it
#
# The same run as `nnframe det train` (a small FCOS on generated images of 1-3 shapes, a box per
# shape, nothing to download), from Python: compose, train, then the curves from the run's logs,
# the AP of every class, and the predicted boxes on validation images. Run it as a script, cell by
# cell in VS Code / PyCharm, or in Jupyter with jupytext.

# %% tags=["parameters"]
# The full demo trains for about a minute on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=192", "data.num_val=32", "data.num_test=32", "trainer.max_epochs=2"] if SMALL else []

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, show, train

cfg = compose("det", ["experiment=shapes", *SIZE])
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
figures = run_dir / "figures"
print(f"val/map {metrics['val/map']:.3f}, val/map_50 {metrics['val/map_50']:.3f}, "
      f"test/map_50 {metrics['test/map_50']:.3f}; run directory {run_dir}")

# %% [markdown]
# ## Curves, and the AP of every class (logged as `val/ap/<class>`)

# %%
scalars = read_scalars(run_dir)
class_tags = sorted(tag for tag in scalars if tag.startswith("val/ap/"))
show(curves_figure(scalars, [["train/loss_epoch", "train/loss_classification", "train/loss_bbox_regression"],
                             ["val/map", "val/map_50", "val/map_75", "val/mar_100"], class_tags],
                   titles=["training losses", "validation", "AP per class"]), "curves", figures)

# %% [markdown]
# ## Predicted boxes of the best checkpoint
# `prediction_figure` is what the run logs to TensorBoard: true boxes thin, predictions thick with
# their class and score.

# %%
import hydra
import torch

from nnframe.core.exporting import load_model_from_checkpoint

best = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
model, model_cfg, _ = load_model_from_checkpoint(compose("det", [f"ckpt_path={best}"], action="eval"))
datamodule = hydra.utils.instantiate(model_cfg.data)
datamodule.setup("validate")
images, targets = next(iter(datamodule.val_dataloader()))
with torch.no_grad():
    detections = model(images[:8])
show(model.prediction_figure(images[:8], targets[:8], detections), "predictions", figures)
