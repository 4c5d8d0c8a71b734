"""WFLW in its native release: one text line per face.

Each line of ``list_98pt_rect_attr_{train,test}.txt`` (Wu et al., CVPR 2018,
https://wywu.github.io/projects/LAB/WFLW.html) holds 196 coordinates (x0 y0 ... x97 y97, image
pixels, 0-based), the face box (x_min y_min x_max y_max), six 0/1 attribute flags (pose,
expression, illumination, make-up, occlusion, blur) and the image path relative to
``WFLW_images``. The test subsets of the paper are the lines with a flag set.

Layout under ``root``:
    WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_{train,test}.txt
    WFLW_images/<event folder>/<image>.jpg
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from edgelmk.data.formats.common import (
    AnnotationDataset,
    DatasetError,
    Problem,
    guarded,
    make_record,
    read_text,
)
from edgelmk.data.skeletons import WFLW

ATTRIBUTES = ("pose", "expression", "illumination", "makeup", "occlusion", "blur")
ANNOTATION_DIR = "WFLW_annotations/list_98pt_rect_attr_train_test"
FIELDS = 196 + 4 + 6 + 1


def parse_wflw_line(line: str) -> dict:
    """One annotation line -> keypoints (98, 2), bbox (4,), attributes {name: bool}, image name.

    Raises:
        DatasetError: when the line does not have 207 fields or its numbers do not parse.
    """
    fields = line.split()
    if len(fields) != FIELDS:
        raise DatasetError(f"{len(fields)} fields, expected {FIELDS} (196 coordinates, 4 box values, "
                           "6 attribute flags, image path)")
    try:
        numbers = np.array([float(v) for v in fields[:200]])
        flags = [int(v) for v in fields[200:206]]
    except ValueError as error:
        raise DatasetError(f"non-numeric value ({error})") from None
    if not np.isfinite(numbers).all() or any(flag not in (0, 1) for flag in flags):
        raise DatasetError("non-finite coordinates or attribute flags other than 0/1")
    return {"keypoints": numbers[:196].reshape(98, 2), "bbox": numbers[196:200],
            "attributes": dict(zip(ATTRIBUTES, map(bool, flags))), "image_name": fields[206]}


class NativeWFLW(AnnotationDataset):
    """WFLW from its native text annotation.

    Args:
        root: folder holding WFLW_annotations and WFLW_images.
        split: train or test.
        subset: with split test, one attribute subset: pose, expression, illumination, makeup,
            occlusion or blur (None: all faces).
        strict: see :class:`AnnotationDataset`.
    """

    summary = "WFLW native text annotation (98 points, box, 6 attributes; subsets pose/expression/...)"
    skeleton = WFLW

    def __init__(self, root: str, split: str = "train", subset: str | None = None, strict: bool = True):
        if split not in ("train", "test"):
            raise ValueError(f"unknown wflw split {split!r}; choose train or test")
        if subset is not None and subset not in ATTRIBUTES:
            raise ValueError(f"unknown wflw subset {subset!r}; choose one of {', '.join(ATTRIBUTES)}")
        self.root, self.split, self.subset = Path(root), split, subset
        self.annotation_file = self.root / ANNOTATION_DIR / f"list_98pt_rect_attr_{split}.txt"
        if not self.annotation_file.is_file():
            raise DatasetError(f"WFLW annotation {self.annotation_file} not found; unpack WFLW_annotations.tar.gz "
                               f"and WFLW_images.tar.gz into {self.root}")
        super().__init__(WFLW, strict)

    def describe_source(self) -> str:
        return f"{self.annotation_file}, subset {self.subset}"

    def _index(self) -> Iterator[dict | Problem]:
        try:
            lines = read_text(self.annotation_file).splitlines()
        except DatasetError as error:
            yield Problem(str(self.annotation_file), "", str(error))
            return
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield guarded(str(self.annotation_file), f"line {number}", lambda line=line: self._record(line))

    def _record(self, line: str) -> dict | None:
        parsed = parse_wflw_line(line)
        if self.subset and not parsed["attributes"][self.subset]:
            return None
        return make_record(parsed["keypoints"], np.ones(98), str(self.root / "WFLW_images" / parsed["image_name"]),
                           bbox=parsed["bbox"], attributes=parsed["attributes"])
