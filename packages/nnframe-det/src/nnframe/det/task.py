"""The ``det`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from dataclasses import replace

from nnframe.core.task_spec import TaskSpec

_BASE = TaskSpec(
    name="det",
    summary="object detection (torchvision detectors; shapes, COCO, Pascal VOC, YOLO folders)",
    config_package="nnframe.det.configs",
    # What the root tests run it with: smaller than the defaults, nothing switched off.
    smoke_overrides=("data.num_train=32", "data.num_val=16", "data.num_test=16", "data.batch_size=8"),
    monitor="val/map",
)

# data=webdataset reads class-labelled images (cls, ssl); images with boxes are not sharded yet.
TASK = replace(_BASE, actions={name: action for name, action in _BASE.actions.items() if name != "shard"})
