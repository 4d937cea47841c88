"""nnframe core: shared building blocks for every nnframe task package.

This top-level module stays import-light (no torch) so that ``nnframe --help`` and
``nnframe list`` answer instantly; import the subpackages for the heavy parts:
``nnframe.core.data``, ``nnframe.core.modules``, ``nnframe.core.callbacks``,
``nnframe.core.cv_tools``, ``nnframe.core.backbones``, ``nnframe.core.training``.
"""

from nnframe.core.errors import NnframeError
from nnframe.core.task_spec import ActionSpec, TaskSpec

__all__ = ["ActionSpec", "NnframeError", "TaskSpec"]
__version__ = "0.1.0"
