"""MPII Human Pose: the HRNet-style JSON and the official MATLAB release.

Both store 1-based MATLAB coordinates; samples here are 0-based (1 subtracted).

* JSON (as HRNet and mmpose ship ``mpii_{train,val}.json``): a list of ``{"image",
  "joints": [[x, y]] * 16, "joints_vis": [0|1] * 16, "center": [x, y], "scale": s}`` where
  ``s * 200`` is the person's size in pixels. No head boxes: PCKh then needs them from
  elsewhere (``head_box`` is None).
* ``mpii_human_pose_v1_u12_1.mat`` (Andriluka et al., CVPR 2014): ``RELEASE.annolist(i)`` with
  ``image.name`` and ``annorect(r)`` holding the head box ``x1, y1, x2, y2``,
  ``annopoints.point(j)`` = ``{x, y, id, is_visible}`` (joint ids 0-15 as in the 16-joint
  skeleton), ``scale`` and ``objpos``; ``RELEASE.img_train(i)`` marks training images. Every
  person with annotated points is one sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from edgelmk import optional
from edgelmk.data.formats.coco import load_json
from edgelmk.data.formats.common import (
    AnnotationDataset,
    DatasetError,
    Problem,
    guarded,
    make_record,
)
from edgelmk.data.skeletons import MPII

PERSON_BOX_UNIT = 200.0  # MPII's "scale" is the person size in units of 200 pixels


def person_box(center: Any, scale: float) -> np.ndarray:
    """Square [x0, y0, x1, y1] of side ``scale * 200`` around a 0-based centre."""
    cx, cy = (float(v) for v in center)
    half = float(scale) * PERSON_BOX_UNIT / 2
    return np.array([cx - half, cy - half, cx + half, cy + half], dtype=np.float32)


def _as_list(value: Any) -> list:
    """scipy's squeezed MATLAB arrays: a lone struct comes back bare, several as an array."""
    if value is None or (isinstance(value, np.ndarray) and value.size == 0):
        return []
    return list(np.atleast_1d(value))


class Mpii(AnnotationDataset):
    """MPII from the HRNet-style JSON or the official .mat (told apart by the suffix).

    Args:
        ann_file: mpii_{train,val}.json, or mpii_human_pose_v1_u12_1.mat.
        root: the image folder (images/).
        split: for the .mat only: train (images with ``img_train == 1``) or all.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "MPII human pose (16 joints): HRNet-style JSON, or the official .mat (with head boxes)"
    skeleton = MPII

    def __init__(self, ann_file: str, root: str, split: str = "train", strict: bool = True):
        if split not in ("train", "all"):
            raise ValueError(f"unknown mpii split {split!r}; choose train or all (the test set has no public points)")
        self.ann_file, self.root, self.split = Path(ann_file), Path(root), split
        if not self.ann_file.is_file():
            raise DatasetError(f"MPII annotation file {self.ann_file} not found")
        if self.ann_file.suffix.lower() == ".mat":
            self._people = self._mat_people()
        else:
            self._people = self._json_people()
        super().__init__(MPII, strict)

    def describe_source(self) -> str:
        return f"no annotated people (split {self.split!r}) in {self.ann_file}"

    def _index(self) -> Iterator[dict | Problem]:
        for record, parse in self._people:
            yield guarded(str(self.ann_file), record, parse)

    # --- HRNet-style JSON ------------------------------------------------------------------

    def _json_people(self) -> list:
        entries = load_json(self.ann_file)
        if not isinstance(entries, list):
            raise DatasetError(f"{self.ann_file}: expected a JSON list of people, got {type(entries).__name__}")
        return [(f"entry {n}", lambda e=entry, n=n: self._json_record(e, f"entry {n}")) for n, entry in enumerate(entries)]

    def _json_record(self, entry: dict, record: str) -> dict:
        if not isinstance(entry, dict):
            raise DatasetError(f"expected an object, got {type(entry).__name__}")
        joints = np.asarray(entry["joints"], dtype=np.float64)
        visible = np.asarray(entry["joints_vis"], dtype=np.float64).reshape(-1)
        if joints.shape != (len(visible), 2) or not np.isfinite(joints).all():
            raise DatasetError(f"'joints' must be finite [x, y] pairs, one per joints_vis flag; got shape {joints.shape}")
        center = np.asarray(entry["center"], dtype=np.float64) - 1.0
        return make_record(joints - 1.0, visible > 0, str(self.root / entry["image"]),
                           bbox=person_box(center, entry["scale"]), head_box=None, center=center.tolist(),
                           scale=float(entry["scale"]), record=record, annotation_path=str(self.ann_file))

    # --- official .mat -----------------------------------------------------------------------

    def _mat_people(self) -> list:
        loadmat = optional.require("scipy.io", "data", "reading the MPII release").loadmat
        try:
            release = loadmat(str(self.ann_file), struct_as_record=False, squeeze_me=True)["RELEASE"]
            annolist, img_train = _as_list(release.annolist), np.atleast_1d(release.img_train)
        except (ValueError, TypeError, KeyError, AttributeError, NotImplementedError) as error:
            raise DatasetError(f"{self.ann_file}: not the MPII release (a .mat with a RELEASE struct): {error}") from None
        people = []
        for image_index, annotation in enumerate(annolist):
            if self.split == "train" and not img_train[image_index]:
                continue
            for rect_index, rect in enumerate(_as_list(getattr(annotation, "annorect", None))):
                if not hasattr(rect, "annopoints") or not _as_list(rect.annopoints):
                    continue
                record = f"annolist {image_index + 1}, annorect {rect_index + 1}"
                people.append((record, lambda a=annotation, r=rect, rec=record: self._mat_record(a, r, rec)))
        return people

    def _mat_record(self, annotation: Any, rect: Any, record: str) -> dict:
        keypoints = np.zeros((MPII.num_keypoints, 2))
        visible = np.zeros(MPII.num_keypoints)
        for point in _as_list(rect.annopoints.point):
            joint = int(point.id)
            if not 0 <= joint < MPII.num_keypoints:
                raise DatasetError(f"joint id {joint} outside 0..15")
            keypoints[joint] = [float(point.x) - 1.0, float(point.y) - 1.0]
            visible[joint] = 1.0
        head_box = np.array([rect.x1, rect.y1, rect.x2, rect.y2], dtype=np.float64) - 1.0
        center = np.array([rect.objpos.x, rect.objpos.y], dtype=np.float64) - 1.0
        return make_record(keypoints, visible, str(self.root / annotation.image.name),
                           bbox=person_box(center, rect.scale), head_box=head_box.astype(np.float32),
                           center=center.tolist(), scale=float(rect.scale), record=record,
                           annotation_path=str(self.ann_file))
