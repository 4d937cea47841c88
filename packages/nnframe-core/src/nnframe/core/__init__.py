"""nnframe core: shared building blocks for every nnframe task package.

The Python API, for notebooks and scripts (the same configs and run functions as the command line):

    from nnframe.core import compose, train
    cfg = compose("cls", ["trainer.max_epochs=2"])   # what `nnframe cls train trainer.max_epochs=2` runs
    metrics = train(cfg)

This top-level module stays import-light (no torch) so that ``nnframe --help`` and
``nnframe list`` answer instantly: ``compose`` and the run functions are imported on first use.
The heavy parts live in the subpackages: ``nnframe.core.data``, ``nnframe.core.modules``,
``nnframe.core.callbacks``, ``nnframe.core.cv_tools``, ``nnframe.core.backbones``,
``nnframe.core.training``.
"""

from nnframe.core.compat.versions import check_lightning_version
from nnframe.core.errors import NnframeError
from nnframe.core.lazy_exports import lazy_exports
from nnframe.core.task_spec import ActionSpec, TaskSpec

_EXPORTS = {
    "compose": "nnframe.core.composition",
    "train": "nnframe.core.training",
    "evaluate": "nnframe.core.training",
    "predict": "nnframe.core.training",
    "export": "nnframe.core.exporting",
    "tune": "nnframe.core.tuning",
    "read_scalars": "nnframe.core.run_logs",
    "curves_figure": "nnframe.core.run_logs",
    "show": "nnframe.core.notebook",
}

__all__ = ["ActionSpec", "NnframeError", "TaskSpec", *sorted(_EXPORTS)]
__version__ = "0.1.0"

__getattr__ = lazy_exports(__name__, _EXPORTS)

check_lightning_version()  # before any of nnframe's reaches into Lightning's internals can misbehave
