"""The segmentation part of the pre-flight data check: every mask against its image and the
label conventions, and the share of pixels per class in the data summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nnframe.core.data import DataReport, FileInfo
from nnframe.seg.data.mask_decoding import MaskDecoding

#: Why a mask has its image's size turned by 90 degrees (images are read upright, by their EXIF
#: orientation, as annotation tools show them).
_TURNED = (" (turned by 90 degrees: the image is read upright by its EXIF orientation tag, so this mask was "
           "drawn on its stored, sideways pixels, or the photo lost its tag when it was edited)")
_LOSSLESS_FIX = ("save the label maps as PNG: JPEG and lossy WebP change label values along every edge, "
                 "so no setting can recover the classes")


def _in_memory_masks(dataset: Any) -> torch.Tensor | None:
    masks = getattr(dataset, "masks", None)
    return masks if isinstance(masks, torch.Tensor) and getattr(dataset, "target", "mask") == "mask" else None


class MaskChecks:
    """Mixin for a :class:`~nnframe.core.data.VisionDataModule` of masks (before it in the
    bases): ``check_data`` checks every mask of the new splits (size against its image's header,
    lossless format, colours against ``data.palette``, values against ``data.num_classes``, masks
    of only 0 and 255 while 255 is ignored) and adds a table of the share of pixels per class.

    Needs ``ignore_index`` and, optionally, ``binary_255`` and ``palette`` (a ``MaskPalette``).
    """

    ignore_index: int | None = 255

    def mask_decoding(self) -> MaskDecoding:
        """The decoding of this datamodule's masks (the datasets' own when they have one)."""
        for dataset in self.datasets.values():  # type: ignore[attr-defined]
            decoding = getattr(dataset, "decoding", None)
            if decoding is not None:
                return decoding
        return MaskDecoding(len(self.class_names), self.ignore_index,  # type: ignore[attr-defined]
                            binary_255=getattr(self, "binary_255", None), palette=getattr(self, "palette", None))

    def check_data(self, report: DataReport, file_infos: dict[Path, FileInfo], splits: Sequence[str]) -> None:
        super().check_data(report, file_infos, splits)  # type: ignore[misc]
        histograms: dict[str, tuple[np.ndarray, int, int]] = self.__dict__.setdefault("_histograms", {})
        problems: dict[str, list[tuple[str, str]]] = {key: [] for key in
                                                     ("lossy", "size", "colour", "palette", "value")}
        stored_values: set[int] = set()
        decoding = self.mask_decoding()
        for split in splits:
            dataset = self.datasets[split]  # type: ignore[attr-defined]
            masks = _in_memory_masks(dataset)
            if masks is not None:
                counts = torch.bincount(masks.reshape(-1).long(), minlength=decoding.num_classes).numpy()
                ignored = int(counts[decoding.ignore_index]) if decoding.ignore_index is not None and \
                    decoding.ignore_index < len(counts) else 0
                histograms[split] = (counts[:decoding.num_classes].astype(np.int64), ignored, len(masks))
                continue
            files = dataset.sample_files() if hasattr(dataset, "sample_files") else None
            if not files:
                continue
            per_class, ignored = np.zeros(decoding.num_classes, dtype=np.int64), 0
            for image_path, mask_path in files:
                image, mask = file_infos[image_path], file_infos[mask_path]
                if image.problem or mask.problem:
                    continue
                name = str(mask_path)
                if mask.lossy:
                    problems["lossy"].append((name, f"a {mask.format} file (lossy)"))
                    continue
                if (mask.width, mask.height) != (image.width, image.height):
                    turned = (mask.width, mask.height) == (image.height, image.width)
                    problems["size"].append((name, f"{mask.width}x{mask.height}, but its image {image_path} is "
                                                   f"{image.width}x{image.height}{_TURNED if turned else ''}"))
                values = mask.values or ()
                counts, pixels_ignored, bad = decoding.counts(values, mask.colour)
                if bad:
                    key = "palette" if mask.colour and decoding.palette is not None else "colour" if mask.colour \
                        else "value"
                    what = "colour" if mask.colour else "value"
                    problems[key].append((name, f"{what}{'s' if len(bad) > 1 else ''} {', '.join(bad[:5])}"))
                    continue
                per_class += counts
                ignored += pixels_ignored
                if not mask.colour and decoding.lookup is None:
                    stored_values.update(v for v, _ in values)
            histograms[split] = (per_class, ignored, len(files))
        self._report_mask_problems(report, problems, stored_values, decoding)
        self._note_pixels(report, histograms, splits)
        self._pixel_table(report, histograms)

    def _report_mask_problems(self, report: DataReport, problems: dict[str, list[tuple[str, str]]],
                              stored: set[int], decoding: MaskDecoding) -> None:
        n = decoding.num_classes
        if problems["lossy"]:
            report.add_issue(f"{len(problems['lossy'])} masks are stored in a lossy format:", _LOSSLESS_FIX,
                             problems["lossy"])
        if problems["size"]:
            report.add_issue(f"{len(problems['size'])} masks do not have their image's size:",
                             "a mask must have exactly its image's width and height: re-export the masks at the "
                             "images' size (or the images at the masks')", problems["size"])
        if problems["colour"]:
            report.add_issue(f"{len(problems['colour'])} masks are RGB colour images, not class indices:",
                             "set data.palette=voc (Pascal VOC colours), data.palette=camvid, or "
                             "data.palette=[[r,g,b],...] (index = class) to map each colour to its class",
                             problems["colour"])
        if problems["palette"]:
            report.add_issue(f"{len(problems['palette'])} masks hold colours that data.palette does not list:",
                             "add the colours to data.palette (index = class), or fix the masks", problems["palette"])
        if problems["value"]:
            ignore = f" (and {decoding.ignore_index} for ignored pixels)" if decoding.ignore_index is not None else ""
            report.add_issue(f"{len(problems['value'])} masks hold values that are no class: data.num_classes={n} "
                             f"allows 0..{n - 1}{ignore}:",
                             "fix the masks, or set data.num_classes / data.ignore_index to match the data",
                             problems["value"])
        only_0_255 = 255 in stored and stored <= {0, 255}
        if only_0_255 and n > 2 and decoding.ignore_index == 255 and decoding.binary_255 is not True \
                and decoding.palette is None:
            report.add_issue(
                f"every mask holds only the values 0 and 255, and with data.num_classes={n} 255 is "
                "data.ignore_index: every foreground pixel would be ignored, and the metrics would only "
                "measure the background",
                "for binary masks (255 = object) set data.num_classes=2 (255 then reads as class 1); to read "
                f"255 as class 1 and keep {n} classes, set data.binary_255=true")

    def _note_pixels(self, report: DataReport, histograms: dict[str, tuple[np.ndarray, int, int]],
                     splits: Sequence[str]) -> None:
        names = self.class_names  # type: ignore[attr-defined]
        for split in splits:
            if split not in histograms:
                continue
            counts, ignored, _ = histograms[split]
            total = int(counts.sum()) + ignored
            if total and ignored == total:
                report.add_issue(f"every pixel of the {split} masks is data.ignore_index={self.ignore_index}: "
                                 "there is nothing to learn or measure",
                                 "check data.ignore_index and the mask values (data.binary_255, data.num_classes)")
            elif total and ignored / total > 0.5:
                report.note(f"{100 * ignored / total:.0f}% of the {split} pixels are ignored "
                            f"(data.ignore_index={self.ignore_index})")
            absent = [f"{i}: {names[i]}" for i, count in enumerate(counts) if count == 0]
            if split == "train" and absent and int(counts.sum()):
                report.note(f"{len(absent)} classes have no pixels in train ({', '.join(absent[:8])}"
                            f"{', ...' if len(absent) > 8 else ''}): is data.num_classes right?")

    def _pixel_table(self, report: DataReport, histograms: dict[str, tuple[np.ndarray, int, int]]) -> None:
        if not histograms:
            return
        splits = list(histograms)
        rows = []
        for index, name in enumerate(self.class_names):  # type: ignore[attr-defined]
            cells = []
            for split in splits:
                counts, ignored, _ = histograms[split]
                cells.append(f"{100 * counts[index] / max(int(counts.sum()) + ignored, 1):.2f}%")
            rows.append([f"{index}: {name}", *cells])
        rows.append([f"{self.ignore_index}: ignored",
                     *(f"{100 * h[1] / max(int(h[0].sum()) + h[1], 1):.2f}%" for h in histograms.values())])
        report.tables["pixels per class"] = {
            "columns": ("class", *(f"{split} ({histograms[split][2]} masks)" for split in splits)),
            "rows": rows,
        }
