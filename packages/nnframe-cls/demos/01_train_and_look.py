# %% [markdown]
# # Train a classifier on the embedded shapes, then look at it
#
# The same run as `nnframe cls train`, from Python: compose the config, train, then read the
# run's logs and draw its predictions. No download: the shapes images are generated in memory.
# Run it as a script (`python 01_train_and_look.py`), cell by cell in VS Code / PyCharm, or as a
# notebook in Jupyter (`pip install jupytext`, then open this file).

# %% tags=["parameters"]
# The full demo trains for about a minute on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1
# to run it in seconds on less data.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=512", "data.num_val=128", "data.num_test=128", "trainer.max_epochs=2"] if SMALL else []

# %% [markdown]
# ## Compose and train
# `compose("cls", overrides)` returns the config `nnframe cls train <overrides>` would run (the
# same experiment, resolvers and run directory); `train(cfg)` fits, tests the best checkpoint and
# returns the final metrics.

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, show, train

cfg = compose("cls", ["experiment=shapes", *SIZE])
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
figures = run_dir / "figures"
print(f"val/acc {metrics['val/acc']:.3f}, test/acc {metrics['test/acc']:.3f}; run directory {run_dir}")

# %% [markdown]
# ## Learning curves, from the run's TensorBoard logs
# `read_scalars(run_dir)` returns every logged scalar as `tag -> [(step, value), ...]`
# (what `tensorboard --logdir outputs` shows).

# %%
scalars = read_scalars(run_dir)
show(curves_figure(scalars, [["train/loss_epoch", "val/loss"], ["train/acc", "val/acc"]],
                   titles=["loss", "accuracy"]), "curves", figures)

# %% [markdown]
# ## Predictions and confusion matrix of the best checkpoint
# The run keeps its best checkpoint (by `val/acc`) as `checkpoints/epoch_<n>.ckpt`.
# `load_model_from_checkpoint` rebuilds the model from the config saved in it; the module's own
# figure function draws the images with their true and predicted classes.

# %%
import hydra
import torch
from torchmetrics.classification import MulticlassConfusionMatrix

from nnframe.core.cv_tools import confusion_matrix_figure
from nnframe.core.exporting import load_model_from_checkpoint

best = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
model, model_cfg, _ = load_model_from_checkpoint(compose("cls", [f"ckpt_path={best}"], action="eval"))
datamodule = hydra.utils.instantiate(model_cfg.data)
datamodule.setup("validate")

matrix = MulticlassConfusionMatrix(len(model.class_names))
with torch.no_grad():
    for index, (images, target) in enumerate(datamodule.val_dataloader()):
        preds = model.predictions(model(images))
        matrix.update(preds, target)
        if index == 0:
            show(model.prediction_figure(images[:24], target[:24], preds[:24]), "predictions", figures)
confusion = matrix.compute()
show(confusion_matrix_figure(confusion, model.class_names), "confusion_matrix", figures)
per_class = (confusion.diag() / confusion.sum(dim=1).clamp(min=1)).tolist()
print("accuracy per class:", {name: round(acc, 3) for name, acc in zip(model.class_names, per_class, strict=True)})
