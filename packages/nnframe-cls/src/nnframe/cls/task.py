"""The ``cls`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from nnframe.core.task_spec import TaskSpec

TASK = TaskSpec(
    name="cls",
    summary="image classification (timm backbones; shapes, CIFAR, MNIST, ImageFolder)",
    config_package="nnframe.cls.configs",
)
