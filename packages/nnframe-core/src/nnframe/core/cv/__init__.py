"""k-fold cross-validation: ``cv.folds=N`` trains one run per fold and reports mean +- std."""

from nnframe.core.cv.cross_validation import run_cross_validation, summarize
from nnframe.core.cv.folds import FoldSubset, apply_fold, fold_indices

__all__ = ["FoldSubset", "apply_fold", "fold_indices", "run_cross_validation", "summarize"]
