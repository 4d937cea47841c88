"""The ``ssl`` task as the ``nnframe`` command sees it (entry point ``nnframe.tasks``)."""

from dataclasses import replace

from nnframe.core.task_spec import ActionSpec, TaskSpec

_BASE = TaskSpec(
    name="ssl",
    summary="self-supervised pretraining (SimCLR, MoCo v2, BYOL, SimSiam, Barlow Twins, VICReg, DINO)",
    config_package="nnframe.ssl.configs",
)

TASK = replace(_BASE, actions={
    **_BASE.actions,
    "linear": ActionSpec("nnframe.ssl.linear_probe:linear_from_cli",
                         "train a linear probe on frozen features: ckpt_path=... (reports accuracy)"),
    "export": ActionSpec("nnframe.ssl.export:export_from_cli",
                         "write the backbone for `nnframe cls train model.pretrained_file=...`: "
                         "ckpt_path=... [export.output=...]"),
})
