"""The ``det`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from nnframe.core.task_spec import TaskSpec

TASK = TaskSpec(
    name="det",
    summary="object detection (torchvision detectors; shapes, COCO, Pascal VOC, YOLO folders)",
    config_package="nnframe.det.configs",
)
