"""The ``cls`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from nnframe.core.task_spec import TaskSpec

TASK = TaskSpec(
    name="cls",
    summary="image classification (timm backbones; shapes, CIFAR, MNIST, ImageFolder)",
    config_package="nnframe.cls.configs",
    smoke_overrides=("data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16",
                     "data.batch_size=16"),
    monitor="val/acc",
)
