"""``nnframe <task> export``: a checkpoint's model as a torch.export program (pt2), ONNX or
TorchScript, as the task supports (``TaskModule.export_formats``), checked against PyTorch."""

from nnframe.core.exporting.model_export import (
    EXPORT_FORMATS,
    ExportResult,
    export,
    export_formats_of,
    export_from_cli,
    export_model,
    input_spec,
    load_model_from_checkpoint,
    task_export_formats,
)

__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "export",
    "export_from_cli",
    "export_formats_of",
    "export_model",
    "input_spec",
    "load_model_from_checkpoint",
    "task_export_formats",
]
