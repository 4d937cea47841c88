# %% [markdown]
# # Self-supervised pretraining on the embedded shapes, then look at it
#
# The same run as `nnframe ssl train` (SimCLR, a small CNN, shapes generated in memory): no
# label is used for training; the labels only feed the kNN monitor (`val/knn_top1`: a kNN
# classifier on the backbone's features, against `val/knn_top1_init`, the same backbone at its
# random start). Then the augmented views the method trains on, and a map of the features.

# %% tags=["parameters"]
# The full demo trains for about 3 minutes on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=512", "data.num_val=128", "data.num_test=128", "trainer.max_epochs=2"] if SMALL else []

# %%
from pathlib import Path

from nnframe.core import compose, curves_figure, read_scalars, show, train

cfg = compose("ssl", ["experiment=shapes_simclr", *SIZE])
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
figures = run_dir / "figures"
print(f"kNN top-1: {metrics['val/knn_top1']:.3f} (random init: {metrics['val/knn_top1_init']:.3f})")

# %% [markdown]
# ## The loss and the kNN accuracy, from the run's TensorBoard logs

# %%
scalars = read_scalars(run_dir)
figure = curves_figure(scalars, [["train/loss_epoch"], ["val/knn_top1"]], titles=["SimCLR loss", "kNN top-1"])
figure.axes[1].axhline(scalars["val/knn_top1_init"][0][1], color="grey", linestyle="--", label="random init")
figure.axes[1].legend(fontsize=7)
show(figure, "curves", figures)

# %% [markdown]
# ## The views: one row per image, one column per view (what the method compares)

# %%
from types import SimpleNamespace

import hydra
import matplotlib.pyplot as plt

from nnframe.core.training.instantiate import build_datamodule
from nnframe.ssl.callbacks.views_grid_callback import sample_views, views_figure

datamodule = build_datamodule(cfg, stage="fit")  # as the run built it
# sample_views reads what a Trainer holds: the datamodule and its training loader.
trainer = SimpleNamespace(datamodule=datamodule, train_dataloader=datamodule.train_dataloader(), current_epoch=0)
originals, views = sample_views(trainer, 6)
show(views_figure(originals, views, title="training views"), "views", figures)

# %% [markdown]
# ## The learnt features of the validation images, projected to 2-D (PCA), coloured by class
# No label was used to learn them: classes that form groups are what kNN (and a linear probe)
# can separate.

# %%
import torch

from nnframe.core.exporting import load_model_from_checkpoint

model, model_cfg, _ = load_model_from_checkpoint(
    compose("ssl", [f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}"], action="eval"))
evaluation = hydra.utils.instantiate(model_cfg.data)
evaluation.setup("validate")
features, labels = [], []
with torch.no_grad():
    for images, target in evaluation.val_dataloader():
        features.append(torch.nn.functional.normalize(model.backbone(images).flatten(1), dim=1))
        labels.append(target)
features, labels = torch.cat(features), torch.cat(labels)
_, _, axes_pca = torch.pca_lowrank(features, q=2)
points = (features - features.mean(0)) @ axes_pca
figure, axis = plt.subplots(figsize=(5, 4))
for index, name in enumerate(evaluation.class_names):
    chosen = labels == index
    axis.scatter(points[chosen, 0], points[chosen, 1], s=6, label=name)
axis.legend(fontsize=7, markerscale=2)
axis.set_title("backbone features (PCA)", fontsize=9)
show(figure, "features_pca", figures)
