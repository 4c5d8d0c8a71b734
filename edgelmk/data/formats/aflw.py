"""AFLW, the common 19-point release (Zhu et al., CFSS, CVPR 2016) of AFLW (Koestinger et al. 2011).

``AFLWinfo_release.mat`` holds for 24386 faces: ``data`` (N x 38: 19 x then 19 y),
``bbox`` (N x 4: left, right, top, bottom), ``mask_new`` (N x 19: 1 = visible),
``nameList`` (image paths relative to AFLW's ``flickr`` folder) and ``ra`` (a 1-based
permutation: its first 20000 faces are the training set, the rest the test set; "frontal"
is the test faces with all 19 points visible). Coordinates are used as stored, as every
public AFLW-19 loader does. ``box_size`` = sqrt(width x height) of the box, the NME normaliser.

Layout under ``root``: AFLWinfo_release.mat and flickr/{0,2,3}/*.jpg.
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
)
from edgelmk.data.formats.matlab import load_mat
from edgelmk.data.skeletons import AFLW

TRAIN_COUNT = 20000
SPLITS = ("train", "test", "frontal", "all")


class NativeAFLW(AnnotationDataset):
    """AFLW-19 from AFLWinfo_release.mat.

    Args:
        root: folder with AFLWinfo_release.mat and the flickr image folder.
        split: train, test, frontal (test faces with every point visible) or all.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "AFLW 19-point release (AFLWinfo_release.mat): train/test/frontal splits, box-size normaliser"
    skeleton = AFLW

    def __init__(self, root: str, split: str = "train", strict: bool = True):
        if split not in SPLITS:
            raise ValueError(f"unknown aflw split {split!r}; choose one of {', '.join(SPLITS)}")
        self.root, self.split = Path(root), split
        self.mat_file = self.root / "AFLWinfo_release.mat"
        if not self.mat_file.is_file():
            raise DatasetError(f"{self.mat_file} not found; put AFLWinfo_release.mat and the flickr folder in {root}")
        content = load_mat(self.mat_file, ("data", "bbox", "mask_new", "nameList", "ra"))
        self.data, self.boxes, self.mask = content["data"], content["bbox"], content["mask_new"]
        self.names = content["nameList"].reshape(-1)
        order = content["ra"].reshape(-1).astype(np.int64) - 1
        if not (self.data.shape[1:] == (38,) and len(self.boxes) == len(self.data) == len(self.mask) == len(self.names)):
            raise DatasetError(f"{self.mat_file}: expected data N x 38, bbox N x 4, mask_new N x 19, nameList N")
        if sorted(order.tolist()) != list(range(len(self.data))):
            raise DatasetError(f"{self.mat_file}: 'ra' is not a permutation of 1..{len(self.data)}")
        self.order = {"train": order[:TRAIN_COUNT], "test": order[TRAIN_COUNT:], "all": order,
                      "frontal": [i for i in order[TRAIN_COUNT:] if (self.mask[i] == 1).all()]}[split]
        super().__init__(AFLW, strict)

    def describe_source(self) -> str:
        return f"no faces for split {self.split!r} in {self.mat_file}"

    def _index(self) -> Iterator[dict | Problem]:
        for index in self.order:
            yield guarded(str(self.mat_file), f"face {index + 1}", lambda i=index: self._record(i))

    def _record(self, index: int) -> dict:
        values = self.data[index].astype(np.float64)
        left, right, top, bottom = self.boxes[index].astype(np.float64)
        if not np.isfinite(values).all() or right <= left or bottom <= top:
            raise DatasetError("non-finite landmarks or an empty box")
        name = str(np.asarray(self.names[index]).reshape(-1)[0])
        return make_record(np.stack([values[:19], values[19:]], axis=-1), self.mask[index] > 0,
                           str(self.root / "flickr" / name), bbox=[left, top, right, bottom],
                           box_size=float(np.sqrt((right - left) * (bottom - top))), record=f"face {index + 1}",
                           annotation_path=str(self.mat_file))
