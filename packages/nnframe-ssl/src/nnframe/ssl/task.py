"""The ``ssl`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from dataclasses import replace

from nnframe.core.task_spec import ActionSpec, TaskSpec

_BASE = TaskSpec(
    name="ssl",
    summary="self-supervised pretraining (SimCLR, MoCo v2, BYOL, SimSiam, Barlow Twins, VICReg, DINO)",
    config_package="nnframe.ssl.configs",
    smoke_overrides=("data.num_train=64", "data.num_val=32", "data.num_test=32", "data.image_size=16",
                     "data.batch_size=16", "model.knn_k=5", "method.module.hidden_dim=64",
                     "method.module.output_dim=32"),
    monitor="val/knn_top1",
)

TASK = replace(_BASE, actions={
    **_BASE.actions,
    "linear": ActionSpec("nnframe.ssl.linear_probe:linear_from_cli",
                         "train a linear probe on frozen features: ckpt_path=... (reports accuracy)"),
    "export": ActionSpec("nnframe.ssl.export:export_from_cli",
                         "write the backbone for `nnframe cls train model.pretrained_file=...`: "
                         "ckpt_path=... [export.output=...]"),
})
