"""What every dataset reader shares: sample records, image loading, and problem reports.

A reader indexes its annotations into records (everything but the pixels) when built, and
loads an image only when a sample is asked for. Problems found while indexing (a malformed
file, a missing key) are collected as :class:`Problem` entries that name the file and the
record: a strict dataset (the default, used for training) raises a :class:`DatasetError`
listing them; ``strict=False`` (used by ``edgelmk data check``) keeps the good records and
reports the rest.

Sample dict returned by ``dataset[i]``:
    image: (H, W, 3) uint8 RGB.
    keypoints: (K, 2) float32, x, y in image pixels (pixel centres at integers).
    visible: (K,) float32 in {0, 1}: 1 where the keypoint is annotated.
    bbox: (4,) float32 [x0, y0, x1, y1], image pixels.
    image_path: str.
    plus reader-specific keys (e.g. ``occluded``, ``box_size``, ``head_box``, ``attributes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from edgelmk.data.skeletons import Skeleton
from edgelmk.errors import DatasetError
from edgelmk.geometry import bbox_of
from edgelmk.preprocess import IMAGE_SUFFIXES, load_image, to_rgb_uint8  # noqa: F401  (readers import them here)


@dataclass(frozen=True)
class Problem:
    """One unusable file or record, for error messages and ``edgelmk data check``."""

    source: str
    record: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source} [{self.record}]" if self.record else self.source
        return f"{where}: {self.message}"


def find_image(stem_path: Path) -> Path | None:
    """The image beside an annotation file with the same stem (``a/b.pts`` -> ``a/b.jpg``), if any."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (stem_path.with_suffix(suffix), stem_path.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def xywh_to_xyxy(box: Sequence[float]) -> np.ndarray:
    x, y, w, h = (float(v) for v in box)
    return np.array([x, y, x + w, y + h], dtype=np.float32)


def make_record(keypoints: Any, visible: Any, image_path: str, bbox: Any = None, **extra: Any) -> dict:
    """A sample record without pixels; computes the box from the keypoints when not given."""
    keypoints = np.asarray(keypoints, dtype=np.float32).reshape(-1, 2)
    visible = np.asarray(visible, dtype=np.float32).reshape(-1)
    keypoints = np.where(visible[:, None] > 0, keypoints, 0.0).astype(np.float32)
    bbox = bbox_of(keypoints, visible) if bbox is None else np.asarray(bbox, dtype=np.float32)
    return {"keypoints": keypoints, "visible": visible, "bbox": bbox, "image_path": str(image_path), **extra}


class AnnotationDataset:
    """Base of the dataset readers: a sized, indexable list of samples with lazy image loading.

    Subclasses implement :meth:`_index`, yielding records (see :func:`make_record`) and
    :class:`Problem` entries; they may override :meth:`_load_image` (e.g. images inside a
    MATLAB file).

    Args:
        skeleton: the keypoint layout every record must match.
        strict: raise a DatasetError when indexing found problems (default), or keep the good
            records and list the problems in ``self.problems``.
    """

    def __init__(self, skeleton: Skeleton, strict: bool = True):
        self.skeleton = skeleton
        self.records: list[dict] = []
        self.problems: list[Problem] = []
        for item in self._index():
            if item is None:  # filtered out (e.g. not in the requested subset)
                continue
            if isinstance(item, Problem):
                self.problems.append(item)
            elif len(item["keypoints"]) != skeleton.num_keypoints:
                self.problems.append(Problem(item.get("annotation_path", item["image_path"]), item.get("record", ""),
                                             f"{len(item['keypoints'])} keypoints, but the scheme "
                                             f"({skeleton.name}) has {skeleton.num_keypoints}: fix the file, or "
                                             "declare the scheme the files use as the dataset's skeleton"))
            else:
                self.records.append(item)
        if strict and self.problems:
            listed = "\n  ".join(str(p) for p in self.problems[:5])
            more = f"\n  ... and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
            raise DatasetError(f"{type(self).__name__}: {len(self.problems)} unusable record(s):\n  {listed}{more}\n"
                               "Run `edgelmk data check` for the full list.")
        if strict and not self.records:
            raise DatasetError(f"{type(self).__name__}: no samples found ({self.describe_source()})")

    def describe_source(self) -> str:
        """Where the annotations come from, for messages."""
        return ""

    def _index(self) -> Iterator[dict | Problem]:
        raise NotImplementedError

    def _load_image(self, record: dict) -> np.ndarray:
        return load_image(record["image_path"])

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        if not -len(self) <= index < len(self):
            raise IndexError(f"sample {index} out of range for a dataset of {len(self)}")
        record = self.records[index]
        return {**record, "image": self._load_image(record)}

    def __iter__(self) -> Iterator[dict]:
        return (self[i] for i in range(len(self)))


def read_text(path: Path) -> str:
    """A UTF-8 text file's content; DatasetError (without the path: callers add it) otherwise."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DatasetError("not a UTF-8 text file (undecodable bytes)") from None
    except OSError as error:
        raise DatasetError(f"cannot read: {error.strerror or error}") from None


def located(source: str, parse: Callable[[], Any]) -> Any:
    """Run a parser whose errors carry no location, prefixing them with ``source``."""
    try:
        return parse()
    except DatasetError as error:
        raise DatasetError(f"{source}: {error}") from None


def guarded(source: str, record: str, parse: Callable[[], dict | None]) -> dict | Problem | None:
    """Run one record's parser; turn its expected failures into a Problem naming source and record."""
    try:
        return parse()
    except DatasetError as error:
        return Problem(source, record, str(error))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        detail = f"missing key {error}" if isinstance(error, KeyError) else str(error)
        return Problem(source, record, detail)
