"""Learning-rate schedules shared by the tasks."""

from nnframe.core.optim.schedules import warmup_cosine

__all__ = ["warmup_cosine"]
