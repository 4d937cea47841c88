"""Classification networks."""

from nnframe.cls.models.image_classifier import ImageClassifier

__all__ = ["ImageClassifier"]
