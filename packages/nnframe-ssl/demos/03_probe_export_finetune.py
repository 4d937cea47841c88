# %% [markdown]
# # Linear probe, backbone export, and fine-tuning the backbone as a classifier
#
# After pretraining: `linear_probe` trains a linear classifier on the frozen features
# (`nnframe ssl linear`), `export_backbone` writes the backbone (`nnframe ssl export`), and the
# classification task starts from it (`nnframe cls train model.pretrained_file=<file>`). The
# same classifier from random weights is the comparison.

# %% tags=["parameters"]
# The full demo takes about 5 minutes on a laptop CPU; the tests set NNFRAME_DEMO_SMALL=1.
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SSL_SIZE = ["data.num_train=512", "data.num_val=128", "data.num_test=128", "trainer.max_epochs=2"] if SMALL else []
# A classifier trained on few labels (where pretraining helps most): 500 labelled images.
CLS_SIZE = ["data.num_train=256", "data.num_val=128", "data.num_test=128", "trainer.max_epochs=2"] if SMALL else [
    "data.num_train=500", "trainer.max_epochs=10"]
PROBE_EPOCHS = 5 if SMALL else 100
CHECKPOINT = os.environ.get("NNFRAME_DEMO_CKPT")  # an ssl checkpoint of your own (None: pretrain one here)

# %%
from pathlib import Path

from nnframe.core import compose, train

if CHECKPOINT is None:
    pretrain = compose("ssl", ["experiment=shapes_simclr", *SSL_SIZE])
    train(pretrain)
    CHECKPOINT = str(Path(pretrain.paths.output_dir) / "checkpoints" / "last.ckpt")

# %% [markdown]
# ## Linear probe on the frozen features

# %%
from nnframe.ssl.linear_probe import linear_probe

probe = linear_probe(compose("ssl", [f"ckpt_path={CHECKPOINT}", f"linear.epochs={PROBE_EPOCHS}"], action="linear"))
print(probe)

# %% [markdown]
# ## Export the backbone, fine-tune it as a classifier, and compare with random weights

# %%
from nnframe.ssl import export_backbone

backbone_file = export_backbone(compose("ssl", [f"ckpt_path={CHECKPOINT}"], action="export"))
pretrained = compose("cls", ["model.backbone=simple_cnn", f"model.pretrained_file={backbone_file}",
                             "run_name=from_ssl", *CLS_SIZE])
scratch = compose("cls", ["model.backbone=simple_cnn", "run_name=from_scratch", *CLS_SIZE])
results = {"from SSL": train(pretrained), "from scratch": train(scratch)}

# %%
import matplotlib.pyplot as plt

from nnframe.core import read_scalars, show

figure, axis = plt.subplots(figsize=(5, 3.2))
for (name, _), run in zip(results.items(), (pretrained, scratch), strict=True):
    steps, values = zip(*read_scalars(run.paths.output_dir)["val/acc"], strict=True)
    axis.plot(steps, values, marker="o", markersize=3, label=name)
axis.set_xlabel("step")
axis.set_ylabel("val/acc")
axis.set_title("classifier on few labels", fontsize=9)
axis.legend(fontsize=7)
axis.grid(alpha=0.3)
show(figure, "finetune_vs_scratch", Path(pretrained.paths.output_dir) / "figures")
print({name: round(metrics["test/acc"], 3) for name, metrics in results.items()})
