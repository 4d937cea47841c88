# %% [markdown]
# # Predict masks for a folder of images, export the segmenter
#
# `predict` writes a palette PNG mask per image (pixel value = class index, at the image's own
# size) and `predictions.csv` (the share of each class per image); `export` writes the network
# as ONNX or TorchScript with its input spec. A short training run gives the checkpoint; set
# `NNFRAME_DEMO_CKPT` to use yours.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=192", "data.num_val=64", "data.num_test=64", "trainer.max_epochs=2"] if SMALL else []
CHECKPOINT = os.environ.get("NNFRAME_DEMO_CKPT")

# %%
from pathlib import Path

from nnframe.core import compose, export, predict, show, train

if CHECKPOINT is None:
    cfg = compose("seg", SIZE)
    train(cfg)
    CHECKPOINT = str(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")

# %% [markdown]
# ## Images to segment: 8 new shape images, 48 px (the model was trained at 32: `predict`
# resizes them, and writes each mask back at 48 px)

# %%
import tempfile

from PIL import Image

from nnframe.core.data import generate_shapes

images_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_images_"))  # never a folder of the checkout
new = generate_shapes(8, image_size=48, seed=2024, max_shapes=3)
for index, image in enumerate(new.images):
    Image.fromarray(image).save(images_dir / f"scene_{index}.png")

# %%
import csv

predict_cfg = compose("seg", [f"ckpt_path={CHECKPOINT}", f"predict.input_dir={images_dir}"], action="predict")
csv_path = predict(predict_cfg)
rows = list(csv.DictReader(csv_path.open()))
print({key: rows[0][key] for key in list(rows[0])[:6]})

# %% [markdown]
# ## The predicted masks over their images

# %%
import numpy as np
import torch

from nnframe.seg import masks_overlay_figure

class_names = [column.removeprefix("fraction/") for column in rows[0] if column.startswith("fraction/")]
pictures, masks, titles = [], [], []
for row in rows:
    pictures.append(torch.from_numpy(np.asarray(Image.open(row["path"]).convert("RGB"))).permute(2, 0, 1).float() / 255)
    masks.append(torch.from_numpy(np.asarray(Image.open(row["mask_path"]))).long())  # palette PNG: values = classes
    main = max(class_names[1:], key=lambda name: float(row[f"fraction/{name}"]))
    titles += [Path(row["path"]).name, f"mostly {main}"]
show(masks_overlay_figure(pictures, masks, class_names, titles, columns=4), "predicted_masks",
     Path(predict_cfg.paths.output_dir) / "figures")

# %% [markdown]
# ## Export: logits `(batch, classes, height, width)` for normalised images

# %%
import importlib.util
import json

FORMAT = "onnx" if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx") else "torchscript"
result = export(compose("seg", [f"ckpt_path={CHECKPOINT}", f"export.format={FORMAT}"], action="export"))
spec = json.loads(result.metadata_path.read_text())
print(result.path, "outputs:", spec["outputs"], f"max difference from PyTorch {result.max_abs_diff:.1e}")
