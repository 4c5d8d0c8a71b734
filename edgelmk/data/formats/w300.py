"""300W in its native release: one ``.pts`` file beside each image.

``.pts`` files (iBUG / 300-W, https://ibug.doc.ic.ac.uk/resources/300-W/) look like::

    version: 1
    n_points: 68
    {
    x y
    ...
    }

Their coordinates are 1-based (MATLAB convention: the centre of the top-left pixel is
(1, 1)); :func:`read_pts` returns them in edgelmk's 0-based convention (that pixel's centre
is (0, 0)) by subtracting 1, and :func:`write_pts` adds it back.

Folder layout of the release (the ``root`` of the reader):
    lfpw/trainset, lfpw/testset, helen/trainset, helen/testset, afw, ibug   (the 300-W data)
    01_Indoor, 02_Outdoor                                                  (the private test set)
Splits (the standard protocol of Ren et al., LBF, CVPR 2014): train = LFPW/HELEN train + AFW
(3148 images); common = LFPW/HELEN test (554); challenging = IBUG (135); full = common +
challenging (689); private = indoor + outdoor test (600); all = every ``.pts`` below root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from edgelmk.data.formats.common import (
    AnnotationDataset,
    DatasetError,
    Problem,
    find_image,
    guarded,
    located,
    make_record,
    read_text,
)
from edgelmk.data.skeletons import W300

SPLITS = {
    "train": ("lfpw/trainset", "helen/trainset", "afw"),
    "common": ("lfpw/testset", "helen/testset"),
    "challenging": ("ibug",),
    "full": ("lfpw/testset", "helen/testset", "ibug"),
    "private": ("01_Indoor", "02_Outdoor"),
    "all": ("",),
}


def parse_pts(text: str) -> np.ndarray:
    """Parse the text of a ``.pts`` file (see :func:`read_pts`); errors carry no file name."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    try:
        opening, closing = lines.index("{"), lines.index("}")
    except ValueError:
        raise DatasetError("missing '{' or '}' around the point list") from None
    header = {}
    for line in lines[:opening]:
        key, _, value = line.partition(":")
        header[key.strip().lower()] = value.strip()
    if "n_points" not in header:
        raise DatasetError("header has no 'n_points:' line")
    try:
        count = int(header["n_points"])
    except ValueError:
        raise DatasetError(f"n_points is not an integer: {header['n_points']!r}") from None
    rows = lines[opening + 1:closing]
    if len(rows) != count:
        raise DatasetError(f"n_points says {count} but the list holds {len(rows)} points")
    points = np.empty((count, 2), dtype=np.float64)
    for number, row in enumerate(rows):
        values = row.split()
        try:
            if len(values) != 2:
                raise ValueError
            points[number] = [float(values[0]), float(values[1])]
        except ValueError:
            raise DatasetError(f"point {number + 1} is not two numbers: {row!r}") from None
    if not np.isfinite(points).all():
        raise DatasetError("non-finite coordinates")
    return (points - 1.0).astype(np.float32)


def read_pts(path: str | Path) -> np.ndarray:
    """Read a ``.pts`` landmark file.

    Returns:
        (K, 2) float32 x, y in 0-based image pixels (the file's 1-based values minus 1).

    Raises:
        DatasetError: naming the file and what is malformed (count, braces, numbers, encoding).
    """
    path = Path(path)
    return located(str(path), lambda: parse_pts(read_text(path)))


def write_pts(path: str | Path, keypoints: np.ndarray) -> None:
    """Write (K, 2) 0-based keypoints as a 1-based ``.pts`` file (inverse of :func:`read_pts`)."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    body = "\n".join(f"{x + 1:.6f} {y + 1:.6f}" for x, y in keypoints)
    Path(path).write_text(f"version: 1\nn_points: {len(keypoints)}\n{{\n{body}\n}}\n", encoding="utf-8")


class Native300W(AnnotationDataset):
    """300W from its native folders (see the module docstring for layout and splits).

    Args:
        root: folder of the release (or any folder of ``.pts`` files with their images).
        split: one of train, common, challenging, full, private, all.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "300W native release: .pts beside each image (splits train/common/challenging/full/private/all)"
    skeleton = W300

    def __init__(self, root: str, split: str = "all", strict: bool = True):
        if split not in SPLITS:
            raise ValueError(f"unknown 300w split {split!r}; choose one of {', '.join(SPLITS)}")
        self.root, self.split = Path(root), split
        if not self.root.is_dir():
            raise DatasetError(f"300w root {self.root} is not a folder; point root at the unpacked 300W release")
        super().__init__(W300, strict)

    def describe_source(self) -> str:
        return f"no .pts files for split {self.split!r} under {self.root}"

    def _index(self) -> Iterator[dict | Problem]:
        for folder in SPLITS[self.split]:
            base = self.root / folder
            if folder and not base.is_dir():
                yield Problem(str(base), "", f"folder of split {self.split!r} is missing")
                continue
            for pts in sorted(base.rglob("*.pts")):
                yield guarded(str(pts), "", lambda pts=pts: pts_record(pts))


def pts_record(pts: Path) -> dict:
    """The sample record of a ``.pts`` file and the image beside it (every point visible).

    Raises:
        DatasetError: the file is malformed or has no image beside it.
    """
    keypoints = parse_pts(read_text(pts))
    image = find_image(pts)
    if image is None:
        raise DatasetError(f"no image beside it (looked for {pts.stem}.jpg, .png, ... in {pts.parent})")
    return make_record(keypoints, np.ones(len(keypoints)), str(image), annotation_path=str(pts))
