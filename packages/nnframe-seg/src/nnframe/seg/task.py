"""The ``seg`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from nnframe.core.task_spec import TaskSpec

TASK = TaskSpec(
    name="seg",
    summary="semantic segmentation (smp models; shapes, Oxford-IIIT Pet, Pascal VOC, Cityscapes, mask folders)",
    config_package="nnframe.seg.configs",
    smoke_overrides=("data.num_train=32", "data.num_val=16", "data.num_test=16", "data.batch_size=8"),
    monitor="val/miou",
)
