"""COCO-style keypoint JSON: COCO person keypoints, and the face files mmpose publishes.

The JSON holds ``images`` ({id, file_name, height, width}), ``annotations`` ({id, image_id,
keypoints: [x, y, v] * K, bbox: [x, y, w, h], ...}) and ``categories``. A keypoint's ``v`` is
0 (not labelled), 1 (labelled, occluded) or 2 (labelled, visible); ``visible`` is ``v > 0``
and ``occluded`` is ``v == 1``. Indexing is pycocotools' (https://github.com/cocodataset/cocoapi).

mmpose's face files (300W, WFLW, COFW, AFLW) add ``center`` and ``scale`` (box centre and
size / 200) and, for AFLW, ``box_size`` (the NME normaliser); these pass through.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Iterator

import numpy as np

from edgelmk import optional
from edgelmk.data.formats.common import (
    AnnotationDataset,
    DatasetError,
    Problem,
    guarded,
    make_record,
    read_text,
    xywh_to_xyxy,
)
from edgelmk.data.skeletons import COCO, Skeleton, skeleton_from, skeleton_with_keypoints

PASSED_THROUGH = ("center", "scale", "box_size", "area")


def load_json(path: Path) -> object:
    """Parse a JSON file; DatasetError with the line and column of a syntax error."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg} "
                           "(truncated download?)") from None
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None


def coco_index(path: Path):
    """Index a keypoints JSON file with pycocotools, with clear errors for malformed files.

    Returns:
        (COCO object, problems): annotations lacking a key that pycocotools indexes by
        (``image_id``, and ``category_id`` when the file has categories) are left out of the
        index and reported as problems naming their id.
    """
    CocoApi = optional.require("pycocotools.coco", "data", "reading COCO files").COCO
    content = load_json(path)
    if not isinstance(content, dict) or not {"images", "annotations"} <= content.keys():
        found = sorted(content) if isinstance(content, dict) else type(content).__name__
        raise DatasetError(f"{path}: not a COCO-style file: expected an object with 'images' and 'annotations', "
                           f"found {found}")
    for key in ("images", "annotations"):
        entries = content[key]
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
            raise DatasetError(f"{path}: '{key}' must be a list of objects that each have an 'id'")
    indexed_by = ("image_id", "category_id") if "categories" in content else ("image_id",)
    kept, problems = [], []
    for annotation in content["annotations"]:
        missing = [key for key in indexed_by if key not in annotation]
        if missing:
            problems.append(Problem(str(path), f"annotation id {annotation['id']}", f"missing key {missing[0]!r}"))
        else:
            kept.append(annotation)
    api = CocoApi()
    api.dataset = {**content, "annotations": kept}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        api.createIndex()
    return api, problems


class CocoStyleDataset(AnnotationDataset):
    """One sample per annotation with at least one labelled keypoint (crowd regions skipped)."""

    #: the file lists only labelled photos: a listed photo without annotation, or missing under root, is a problem
    lists_only_labelled_photos = False

    def __init__(self, ann_file: str, root: str, skeleton: Skeleton | None, strict: bool):
        self.ann_file, self.root = Path(ann_file), Path(root)
        if not self.ann_file.is_file():
            raise DatasetError(f"annotation file {self.ann_file} not found")
        self.api, self._index_problems = coco_index(self.ann_file)
        super().__init__(skeleton or self._guess_skeleton(), strict)

    def describe_source(self) -> str:
        return f"no annotation with labelled keypoints in {self.ann_file}"

    def _guess_skeleton(self) -> Skeleton:
        for annotation in self.api.dataset["annotations"]:
            keypoints = annotation.get("keypoints")
            if isinstance(keypoints, list) and keypoints and len(keypoints) % 3 == 0:
                try:
                    return skeleton_with_keypoints(len(keypoints) // 3)
                except ValueError as error:
                    raise DatasetError(f"{self.ann_file}: {error}; declare the scheme as skeleton (a built-in "
                                       "name or a mapping with keypoints, flip_pairs and normalizer)") from None
        raise DatasetError(f"{self.ann_file}: no annotation has a keypoints list to tell the layout from")

    def _index(self) -> Iterator[dict | Problem]:
        yield from self._index_problems
        if self.lists_only_labelled_photos:
            annotated = {annotation["image_id"] for annotation in self.api.dataset["annotations"]}
            for image in self.api.dataset["images"]:
                if image["id"] not in annotated:
                    yield Problem(str(self.ann_file), f"image id {image['id']}",
                                  f"{image.get('file_name')!r} has no annotation; annotate it or remove it from "
                                  "'images'")
        for annotation in self.api.dataset["annotations"]:
            record = f"annotation id {annotation['id']}"
            yield guarded(str(self.ann_file), record, lambda a=annotation, r=record: self._record(a, r))

    def _record(self, annotation: dict, record: str) -> dict | None:
        if annotation.get("iscrowd", 0):
            return None
        values = np.asarray(annotation["keypoints"], dtype=np.float64)
        if values.ndim != 1 or values.size % 3:
            raise DatasetError(f"'keypoints' must be a flat [x, y, v] * K list, got {values.size} values")
        values = values.reshape(-1, 3)
        if not np.isfinite(values).all():
            raise DatasetError("non-finite keypoint values")
        flags = values[:, 2]
        if not (flags > 0).any():
            return None
        image = self.api.imgs.get(annotation["image_id"])
        if image is None:
            raise DatasetError(f"image_id {annotation['image_id']} is not among the file's images")
        if self.lists_only_labelled_photos and not (self.root / image["file_name"]).is_file():
            raise DatasetError(f"its image {self.root / image['file_name']} does not exist; check root "
                               f"({self.root}) and the file_name")
        bbox = xywh_to_xyxy(annotation["bbox"]) if "bbox" in annotation else None
        extra = {key: annotation[key] for key in PASSED_THROUGH if key in annotation}
        return make_record(values[:, :2], flags > 0, str(self.root / image["file_name"]), bbox=bbox,
                           occluded=(flags == 1), image_id=annotation["image_id"], annotation_id=annotation["id"],
                           record=record, annotation_path=str(self.ann_file), **extra)


class CocoKeypoints(CocoStyleDataset):
    """COCO person keypoints (17 per person).

    Args:
        ann_file: e.g. annotations/person_keypoints_val2017.json.
        root: the image folder, e.g. val2017/.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "COCO person keypoints JSON (17 points), one sample per annotated person"
    skeleton = COCO

    def __init__(self, ann_file: str, root: str, strict: bool = True):
        super().__init__(ann_file, root, COCO, strict)


class CocoFace(CocoStyleDataset):
    """COCO-style landmark JSON: mmpose's face files (300W, WFLW, COFW, AFLW) or your own points.

    Every image listed must have an annotation and exist under ``root``.

    Args:
        ann_file: the JSON file.
        root: the image folder.
        skeleton: 300w, wflw, cofw, aflw, or a declared scheme (:func:`edgelmk.data.skeletons.skeleton_from`);
            by default told from the number of keypoints (68, 98, 29, 19).
        strict: see :class:`AnnotationDataset`.
    """

    summary = "COCO-style landmark JSON (mmpose's 300W/WFLW/COFW/AFLW files, or any points with skeleton: {...})"
    lists_only_labelled_photos = True

    def __init__(self, ann_file: str, root: str, skeleton: str | dict | None = None, strict: bool = True):
        super().__init__(ann_file, root, skeleton_from(skeleton) if skeleton else None, strict)
