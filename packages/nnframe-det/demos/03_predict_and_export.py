# %% [markdown]
# # Predict a folder of images, export the detector, run the export without nnframe
#
# `predict` writes every box as a CSV row and in COCO's results format, and each image with its
# boxes drawn (`nnframe det predict`); `export` writes the detector as ONNX, one image in, its
# boxes, scores and labels out (`nnframe det export`). A short training run first gives the
# checkpoint; set `NNFRAME_DEMO_CKPT` to use yours.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=192", "data.num_val=32", "data.num_test=32", "trainer.max_epochs=1"] if SMALL else []
CHECKPOINT = os.environ.get("NNFRAME_DEMO_CKPT")  # a det checkpoint of your own (None: train one here)

# %%
import tempfile
from pathlib import Path

from nnframe.core import compose, export, predict, train

if CHECKPOINT is None:
    cfg = compose("det", SIZE)
    train(cfg)
    CHECKPOINT = str(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
print("checkpoint:", CHECKPOINT)

# %% [markdown]
# ## A folder of new images (any size: the detector resizes them)

# %%
from PIL import Image

from nnframe.det.data import generate_shape_boxes

images_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_images_"))  # never a folder of the checkout
images_dir.mkdir(exist_ok=True)
for index, image in enumerate(generate_shape_boxes(6, image_size=48, seed=2024).images):
    Image.fromarray(image).save(images_dir / f"shapes_{index:02d}.png")

# %% [markdown]
# ## Predict
# `predict.score_threshold` is the lowest score written.

# %%
import csv
import json

predict_cfg = compose("det", [f"ckpt_path={CHECKPOINT}", f"predict.input_dir={images_dir}",
                              "predict.score_threshold=0.3"], action="predict")
csv_path = predict(predict_cfg)
rows = list(csv.DictReader(csv_path.open()))
results = json.loads((csv_path.parent / "predictions.json").read_text())
drawn = sorted((csv_path.parent / "images").glob("*.png"))
print(f"{len(rows)} rows, {len(results)} COCO results, {len(drawn)} images with boxes in {csv_path.parent}")
for row in rows[:5]:
    print(Path(row["path"]).name, row["class_name"], row["score"], row["x1"], row["y1"], row["x2"], row["y2"])

# %% [markdown]
# ## Export to ONNX and run it with onnxruntime alone

# %%
import numpy as np

export_cfg = compose("det", [f"ckpt_path={CHECKPOINT}"], action="export")
result = export(export_cfg)
print("exported:", result.path, "largest difference from PyTorch:", result.max_abs_diff)

import onnxruntime

session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
image = np.asarray(Image.open(images_dir / "shapes_00.png"), dtype=np.float32).transpose(2, 0, 1)[None] / 255
boxes, scores, labels = session.run(None, {session.get_inputs()[0].name: image})
onnx_boxes = int((scores >= 0.3).sum())
print(f"onnxruntime: {onnx_boxes} boxes above 0.3 on shapes_00.png")
