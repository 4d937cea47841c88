# %% [markdown]
# # Predict a folder of images, export the model, run the export without nnframe
#
# `predict` writes one CSV row per image (`nnframe cls predict`); `export` writes the model as
# ONNX (or TorchScript) with a JSON of its input size and normalisation (`nnframe cls export`).
# A short training run first gives the checkpoint; set `NNFRAME_DEMO_CKPT` to use yours.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
SIZE = ["data.num_train=512", "data.num_val=128", "data.num_test=128", "trainer.max_epochs=2"] if SMALL else []
CHECKPOINT = os.environ.get("NNFRAME_DEMO_CKPT")  # a cls checkpoint of your own (None: train one here)

# %%
from pathlib import Path

from nnframe.core import compose, export, predict, show, train

if CHECKPOINT is None:
    cfg = compose("cls", SIZE)
    train(cfg)
    CHECKPOINT = str(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
print("checkpoint:", CHECKPOINT)

# %% [markdown]
# ## A folder of new images
# Any folder works (searched recursively; PNG, JPEG, ...); here: 12 new shapes, saved as PNG.

# %%
import tempfile

from PIL import Image

from nnframe.core.data import SHAPE_NAMES, generate_shapes

images_dir = Path(tempfile.mkdtemp(prefix="nnframe_demo_images_"))  # never a folder of the checkout
new = generate_shapes(12, image_size=32, seed=2024)
truth = {}
for index, (image, label) in enumerate(zip(new.images, new.labels, strict=True)):
    Image.fromarray(image).save(images_dir / f"shape_{index:02d}.png")
    truth[f"shape_{index:02d}.png"] = SHAPE_NAMES[int(label)]

# %% [markdown]
# ## Predict
# The model and its preprocessing come from the checkpoint's saved config; the CSV has the path,
# the class and its probability.

# %%
import csv

predict_cfg = compose("cls", [f"ckpt_path={CHECKPOINT}", f"predict.input_dir={images_dir}"], action="predict")
csv_path = predict(predict_cfg)
rows = list(csv.DictReader(csv_path.open()))
for row in rows[:5]:
    print(Path(row["path"]).name, row["class_name"], row["confidence"])

# %%
import torch

from nnframe.core.cv_tools import labelled_image_grid

pictures = torch.stack([torch.from_numpy(new.images[int(Path(r["path"]).stem[-2:])]).permute(2, 0, 1) for r in rows])
titles = [f"{r['class_name']} {float(r['confidence']):.2f}" for r in rows]
correct = [r["class_name"] == truth[Path(r["path"]).name] for r in rows]
show(labelled_image_grid(pictures.float() / 255, titles, correct, columns=6), "predictions",
     Path(predict_cfg.paths.output_dir) / "figures")
print(f"{sum(correct)} of {len(rows)} correct")

# %% [markdown]
# ## Export, then run the exported model on its own
# ONNX when onnxruntime is installed (`pip install onnx onnxruntime`), else TorchScript. The
# export is checked against PyTorch on a random batch; `model.json` says how to prepare images.

# %%
import importlib.util
import json

FORMAT = "onnx" if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx") else "torchscript"
result = export(compose("cls", [f"ckpt_path={CHECKPOINT}", f"export.format={FORMAT}"], action="export"))
spec = json.loads(result.metadata_path.read_text())
print(f"{result.path} (max difference from PyTorch {result.max_abs_diff:.1e})")
print("input:", spec["input"]["shape"], "normalization:", spec["normalization"])

# %%
import numpy as np

mean = np.array(spec["normalization"]["mean"], dtype=np.float32)[:, None, None]
std = np.array(spec["normalization"]["std"], dtype=np.float32)[:, None, None]
batch = np.stack([(np.asarray(Image.open(images_dir / Path(r["path"]).name).convert("RGB"), dtype=np.float32)
                   .transpose(2, 0, 1) / 255 - mean) / std for r in rows]).astype(np.float32)
if FORMAT == "onnx":
    import onnxruntime

    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    logits = session.run(None, {spec["input"]["name"]: batch})[0]
else:
    logits = torch.jit.load(str(result.path))(torch.from_numpy(batch)).detach().numpy()
exported_classes = [spec["class_names"][i] for i in logits.argmax(axis=1)]
agree = sum(a == r["class_name"] for a, r in zip(exported_classes, rows, strict=True))
print(f"the {FORMAT} model agrees with `predict` on {agree} of {len(rows)} images")
