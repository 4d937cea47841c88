"""The ``seg`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from dataclasses import replace

from nnframe.core.task_spec import TaskSpec

_BASE = TaskSpec(
    name="seg",
    summary="semantic segmentation (smp models; shapes, Oxford-IIIT Pet, Pascal VOC, Cityscapes, mask folders)",
    config_package="nnframe.seg.configs",
    smoke_overrides=("data.num_train=32", "data.num_val=16", "data.num_test=16", "data.batch_size=8"),
    monitor="val/miou",
)

# data=webdataset reads class-labelled images (cls, ssl); image + mask shards are not read yet.
TASK = replace(_BASE, actions={name: action for name, action in _BASE.actions.items() if name != "shard"},
               refused_actions={"shard": "image + mask shards are not written or read yet (data=webdataset holds "
                                         "one class per image: cls, ssl); train from the mask folder: nnframe seg "
                                         "train data=mask_folder data.root=<folder>"})
