# %% [markdown]
# # Your own COCO-format dataset
#
# Labelling tools (CVAT, Label Studio, Roboflow...) export detection data as a COCO `instances`
# JSON beside an image folder. This demo writes such a dataset (shapes, as PNG files and a JSON),
# checks it as every run does before training (`nnframe det inspect`), shows the error a broken
# annotation gives, and trains on it: `nnframe det train data=coco data.train_annotations=...`.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("NNFRAME_DEMO_SMALL") == "1"
COUNT = 96 if SMALL else 1500
EPOCHS = 1 if SMALL else 3

# %%
import json
import tempfile
from pathlib import Path

from PIL import Image

from nnframe.core.data import SHAPE_NAMES
from nnframe.det.data import generate_shape_boxes

root = Path(tempfile.mkdtemp(prefix="nnframe_demo_coco_")) / "my_coco"  # never a folder of the checkout


def write_split(split: str, count: int, seed: int) -> Path:
    """PNG images under my_coco/<split>/ and my_coco/annotations/instances_<split>.json."""
    shapes = generate_shape_boxes(count, image_size=48, seed=seed)
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    content = {"images": [], "annotations": [],
               "categories": [{"id": i + 1, "name": name} for i, name in enumerate(SHAPE_NAMES)]}
    for index, (image, boxes, labels) in enumerate(zip(shapes.images, shapes.boxes, shapes.labels, strict=True)):
        Image.fromarray(image).save(root / split / f"{index:05d}.png")
        content["images"].append({"id": index, "file_name": f"{index:05d}.png", "width": 48, "height": 48})
        for (x1, y1, x2, y2), label in zip(boxes.tolist(), labels.tolist(), strict=True):
            content["annotations"].append({"id": len(content["annotations"]) + 1, "image_id": index,
                                           "category_id": label + 1, "bbox": [x1, y1, x2 - x1, y2 - y1],
                                           "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
    path = root / "annotations" / f"instances_{split}.json"
    path.write_text(json.dumps(content))
    return path


train_json, val_json = write_split("train", COUNT, 1), write_split("val", max(COUNT // 5, 16), 2)
DATA = ["data=coco", f"data.train_annotations={train_json}", f"data.train_images={root / 'train'}",
        f"data.val_annotations={val_json}", f"data.val_images={root / 'val'}", "data.image_size=48",
        "data.num_workers=0", "data.persistent_workers=false", "data.pin_memory=false", "data.batch_size=16"]

# %% [markdown]
# ## Check it before training
# `inspect` reads every file's header, every box against its image, and draws augmented samples.

# %%
from nnframe.core import compose, show
from nnframe.core.training.inspect_data import inspect_data

samples_png = inspect_data(compose("det", DATA, action="inspect"))
print("samples:", samples_png)

# %% [markdown]
# ## A broken annotation stops the run before training, naming the file and the fix

# %%
from nnframe.core.errors import DatasetError

broken = json.loads(train_json.read_text())
broken["annotations"][0]["bbox"][0] = 45.0  # the box now reaches past the 48 px image
broken_json = root / "annotations" / "instances_broken.json"
broken_json.write_text(json.dumps(broken))
try:
    inspect_data(compose("det", [*DATA, f"data.train_annotations={broken_json}"], action="inspect"))
    error_message = ""
except DatasetError as error:
    error_message = str(error)
print(error_message.splitlines()[0] if error_message else "no error")

# %% [markdown]
# ## Train on it
# The small FCOS of the shapes demo; `model=fasterrcnn_mobilenet model.net.pretrained=true` for
# real photos (torchvision's COCO weights).

# %%
from nnframe.core import curves_figure, read_scalars, train

cfg = compose("det", [*DATA, f"trainer.max_epochs={EPOCHS}"])
metrics = train(cfg)
run_dir = Path(cfg.paths.output_dir)
print(f"val/map_50 {metrics['val/map_50']:.3f}")
show(curves_figure(read_scalars(run_dir), [["train/loss_epoch"], ["val/map", "val/map_50"]],
                   titles=["training loss", "validation"]), "curves", run_dir / "figures")
