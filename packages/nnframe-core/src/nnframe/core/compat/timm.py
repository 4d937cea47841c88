"""Private timm behaviour nnframe relies on (see :mod:`nnframe.core.compat`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

#: The loggers of timm's private modules that report a pretrained load (``timm.models._builder``:
#: the keys it could not place; ``timm.models._helpers``: "Loaded ... from checkpoint").
PRETRAINED_LOAD_LOGGERS = ("timm.models._builder", "timm.models._helpers")


class PretrainedLoadRecords(logging.Handler):
    """What timm's pretrained loader said about the keys it could not place, parsed from the
    wording of its messages (why: see :func:`capture_pretrained_load`).

    Attributes:
        missing: model tensors the weights did not have.
        unexpected: weight tensors the model has no place for.
        other: any other message (e.g. the first convolution adapted to other input channels).
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.missing: list[str] = []
        self.unexpected: list[str] = []
        self.other: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for pattern, names in ((r"^Missing keys \((.*)\) discovered", self.missing),
                               (r"^Unexpected keys \((.*)\) found", self.unexpected)):
            match = re.match(pattern, message)
            if match:
                names.extend(n.strip() for n in match.group(1).split(",") if n.strip())
                return
        if not message.startswith(("Loading pretrained weights", "Loaded ")):
            self.other.append(message)


@contextmanager
def capture_pretrained_load() -> Iterator[PretrainedLoadRecords]:
    """Collect (and keep off the console) what timm's pretrained loader logs inside the block.

    Why: ``timm.create_model(pretrained=True)`` loads non-strictly and reports the keys it could
    not place only as log records of its private ``timm.models._builder`` module (its
    ``load_pretrained`` returns nothing); nnframe's weights report needs those keys.
    Upstream: no upstream issue yet.
    """
    handler = PretrainedLoadRecords()
    loggers = [logging.getLogger(name) for name in PRETRAINED_LOAD_LOGGERS]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # nnframe's report says it once
    try:
        yield handler
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
