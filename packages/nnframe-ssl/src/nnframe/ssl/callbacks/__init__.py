"""TensorBoard callbacks of self-supervised runs."""

from nnframe.ssl.callbacks.embedding_projector_callback import EmbeddingProjectorCallback
from nnframe.ssl.callbacks.views_grid_callback import AugmentedViewsCallback, sample_views, views_figure

__all__ = ["AugmentedViewsCallback", "EmbeddingProjectorCallback", "sample_views", "views_figure"]
