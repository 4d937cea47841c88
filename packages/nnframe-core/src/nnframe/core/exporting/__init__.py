"""``nnframe <task> export``: a checkpoint's model as ONNX or TorchScript, checked against PyTorch."""

from nnframe.core.exporting.model_export import (
    EXPORT_FORMATS,
    ExportResult,
    export,
    export_from_cli,
    export_model,
    input_spec,
    load_model_from_checkpoint,
)

__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "export",
    "export_from_cli",
    "export_model",
    "input_spec",
    "load_model_from_checkpoint",
]
