"""How the values stored in mask files become class indices: one place for what the loader does
to every pixel and what the pre-flight check does to each mask's value counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnframe.seg.data.mask_palettes import MaskPalette, colour_name

_UNDEFINED, _IGNORED = -1, -2


@dataclass(frozen=True)
class MaskDecoding:
    """Stored mask value -> class index.

    Args:
        num_classes: valid classes are ``0 .. num_classes - 1``.
        ignore_index: the value of unlabelled pixels, also valid (None: none).
        lookup: stored value -> class, ``-1`` for values that must not occur (Cityscapes ids,
            Pets trimaps).
        binary_255: 255 means class 1. None: only in a mask holding nothing but 0 and 255 when
            ``num_classes == 2`` (binary masks saved for viewing).
        palette: colours of the classes, for masks stored as RGB colours.
    """

    num_classes: int
    ignore_index: int | None = 255
    lookup: np.ndarray | None = None
    binary_255: bool | None = None
    palette: MaskPalette | None = None

    def _binary(self, stored: Sequence[int]) -> bool:
        if self.binary_255 is not None:
            return self.binary_255 and 255 in stored
        return self.num_classes == 2 and 255 in stored and set(stored) <= {0, 255}

    def _class_of(self, stored: Sequence[int], colour: bool, binary: bool) -> tuple[np.ndarray, list[str]]:
        """The class of each distinct stored value (``-2``: ignored) and the values that are none."""
        values = np.asarray(stored, dtype=np.int64)
        if colour:
            if self.palette is None:
                return np.full(len(values), _UNDEFINED), [colour_name(int(v)) for v in values[:8]]
            codes = self.palette.codes()
            classes = np.array([codes.get(int(v), _UNDEFINED) for v in values], dtype=np.int64)
            return classes, [colour_name(int(v)) for v in values[classes == _UNDEFINED]]
        if self.lookup is not None:
            inside = (values >= 0) & (values < len(self.lookup))
            classes = np.where(inside, self.lookup[np.clip(values, 0, len(self.lookup) - 1)], _UNDEFINED)
        else:
            classes = values.copy()
            if binary:
                classes[values == 255] = 1
        classes = np.where(classes == self.ignore_index, _IGNORED, classes) if self.ignore_index is not None else classes
        valid = (classes == _IGNORED) | ((classes >= 0) & (classes < self.num_classes))
        classes = np.where(valid, classes, _UNDEFINED)
        return classes, [str(int(v)) for v in values[classes == _UNDEFINED]]

    def counts(self, value_counts: Sequence[tuple[int, int]], colour: bool) -> tuple[np.ndarray, int, list[str]]:
        """Pixels per class, ignored pixels and the stored values that are no class, of one
        mask's ``(stored value, pixel count)`` pairs (what the pre-flight check reads)."""
        stored = [v for v, _ in value_counts]
        classes, bad = self._class_of(stored, colour, not colour and self._binary(stored))
        per_class = np.zeros(self.num_classes, dtype=np.int64)
        ignored = 0
        for cls, (_, count) in zip(classes.tolist(), value_counts, strict=True):
            if cls == _IGNORED:
                ignored += count
            elif cls >= 0:
                per_class[cls] += count
        return per_class, ignored, bad

    def decode(self, array: np.ndarray, colour: bool) -> tuple[np.ndarray, list[str]]:
        """Class indices of a mask (ignored pixels as ``ignore_index``) and the stored values
        that are no class (empty when the mask is valid). ``array``: (H, W) stored values
        (``0xRRGGBB`` codes for colour masks)."""
        stored, inverse = np.unique(array, return_inverse=True)
        classes, bad = self._class_of(stored.tolist(), colour, not colour and self._binary(stored.tolist()))
        if bad:
            return array, bad
        ignore = self.ignore_index if self.ignore_index is not None else 0
        classes = np.where(classes == _IGNORED, ignore, classes)
        return classes[inverse].reshape(array.shape), []
