"""COFW in its native MATLAB release (Burgos-Artizzu et al., ICCV 2013).

``COFW_{train,test}_color.mat`` (v7.3 / HDF5) or the older grey ``COFW_{train,test}.mat``
(v5) hold, for N faces: the images (``IsTr`` / ``IsT``, a cell array), ``phisTr`` / ``phisT``
(N x 87: 29 x, 29 y, 29 occlusion flags, 1 = occluded) and ``bboxesTr`` / ``bboxesT``
(N x 4: x, y, w, h). Coordinates are 1-based (MATLAB) and become 0-based here.

Every one of the 29 points is annotated, occluded or not, and the standard COFW NME counts
them all; so ``visible`` is 1 everywhere and the flags go to ``occluded``.
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
    to_rgb_uint8,
)
from edgelmk.data.formats.matlab import load_mat
from edgelmk.data.skeletons import COFW

KEYS = {"train": ("IsTr", "phisTr", "bboxesTr"), "test": ("IsT", "phisT", "bboxesT")}
FILE_NAMES = {"train": ("COFW_train_color.mat", "COFW_train.mat"), "test": ("COFW_test_color.mat", "COFW_test.mat")}


class NativeCOFW(AnnotationDataset):
    """COFW from its .mat files; images come from inside the file.

    Args:
        root: folder with COFW_{train,test}_color.mat (preferred) or COFW_{train,test}.mat.
        split: train or test.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "COFW native MATLAB files (v7.3 colour or v5 grey), 29 points with occlusion flags"
    skeleton = COFW

    def __init__(self, root: str, split: str = "train", strict: bool = True):
        if split not in KEYS:
            raise ValueError(f"unknown cofw split {split!r}; choose train or test")
        self.root, self.split = Path(root), split
        candidates = [self.root / name for name in FILE_NAMES[split]]
        self.mat_file = next((path for path in candidates if path.is_file()), None)
        if self.mat_file is None:
            raise DatasetError(f"no COFW {split} file in {self.root}; expected {' or '.join(FILE_NAMES[split])}")
        images_key, phis_key, boxes_key = KEYS[split]
        content = load_mat(self.mat_file, KEYS[split])
        self.images = content[images_key]
        self.images = self.images.reshape(-1) if isinstance(self.images, np.ndarray) else self.images
        self.phis, self.boxes = np.atleast_2d(content[phis_key]), np.atleast_2d(content[boxes_key])
        if self.phis.shape[1] != 87 or len(self.phis) != len(self.boxes) or len(self.images) != len(self.phis):
            raise DatasetError(f"{self.mat_file}: expected {phis_key} N x 87, {boxes_key} N x 4 and N images; got "
                               f"{self.phis.shape}, {self.boxes.shape} and {len(self.images)} images")
        super().__init__(COFW, strict)

    def describe_source(self) -> str:
        return f"no faces in {self.mat_file}"

    def _index(self) -> Iterator[dict | Problem]:
        for index in range(len(self.phis)):
            yield guarded(str(self.mat_file), f"face {index + 1}", lambda i=index: self._record(i))

    def _record(self, index: int) -> dict:
        phis = self.phis[index].astype(np.float64)
        if not np.isfinite(phis).all():
            raise DatasetError("non-finite landmark values")
        keypoints = np.stack([phis[:29], phis[29:58]], axis=-1) - 1.0
        x, y, w, h = self.boxes[index].astype(np.float64)
        return make_record(keypoints, np.ones(29), f"{self.mat_file}#{index + 1}",
                           bbox=[x - 1.0, y - 1.0, x - 1.0 + w, y - 1.0 + h], occluded=phis[58:] > 0,
                           image_index=index, record=f"face {index + 1}", annotation_path=str(self.mat_file))

    def _load_image(self, record: dict) -> np.ndarray:
        return to_rgb_uint8(np.asarray(self.images[record["image_index"]]), record["image_path"])
