import json

import numpy as np
import pytest

from edgelmk.data import DATASETS
from edgelmk.data.synthetic import FACE_SCHEMES, SyntheticFaces, write_300w_layout
from tests.data.test_skeletons import FACE_FIXTURES, similarity_residual
from tests.helpers import optional_import

optional_import("cv2")


@pytest.mark.parametrize("name, count", [("synthetic_faces", 68), ("synthetic_pose", 16)])
def test_samples_have_the_contract_shapes(name, count):
    dataset = DATASETS.build({"name": name, "num_samples": 3, "image_hw": [96, 128], "seed": 4})
    assert len(dataset) == 3 and dataset.skeleton.num_keypoints == count
    for sample in dataset:
        assert sample["image"].shape == (96, 128, 3) and sample["image"].dtype == np.uint8
        assert sample["keypoints"].shape == (count, 2) and sample["keypoints"].dtype == np.float32
        assert sample["visible"].shape == (count,) and sample["bbox"].shape == (4,)
        # the figure is placed inside the image
        assert (sample["keypoints"] > -0.5).all() and (sample["keypoints"] < [127.5, 95.5]).all()


@pytest.mark.parametrize("name", ["synthetic_faces", "synthetic_pose"])
def test_deterministic_by_seed_and_index(name):
    a = DATASETS.build({"name": name, "num_samples": 5, "seed": 1})
    b = DATASETS.build({"name": name, "num_samples": 50, "seed": 1})
    c = DATASETS.build({"name": name, "num_samples": 5, "seed": 2})
    np.testing.assert_array_equal(a[3]["image"], b[3]["image"])  # random access, length-independent
    np.testing.assert_array_equal(a[3]["keypoints"], b[3]["keypoints"])
    assert not np.array_equal(a[3]["keypoints"], c[3]["keypoints"])
    assert not np.array_equal(a[3]["keypoints"], a[4]["keypoints"])


def test_faces_vary_in_pose_and_shape():
    dataset = SyntheticFaces(num_samples=40, image_hw=(128, 128), seed=0)
    keypoints = np.stack([dataset[i]["keypoints"] for i in range(40)])
    # roll: angle of the line between the outer eye corners
    eye_line = keypoints[:, 45] - keypoints[:, 36]
    roll = np.degrees(np.arctan2(eye_line[:, 1], eye_line[:, 0]))
    assert roll.std() > 8
    # yaw: the nose tip moves sideways relative to the outer eye corners
    offset = (keypoints[:, 30, 0] - keypoints[:, [36, 45], 0].mean(axis=1)) / np.linalg.norm(eye_line, axis=1)
    assert offset.std() > 0.05
    sizes = np.linalg.norm(eye_line, axis=1)
    assert sizes.max() / sizes.min() > 1.5


def test_write_300w_layout_round_trips_through_the_300w_reader(tmp_path):
    faces = SyntheticFaces(num_samples=4, image_hw=(64, 64), seed=3)
    ticks = []
    write_300w_layout(faces, tmp_path, 4, progress=ticks.append)
    assert len(ticks) == 4
    dataset = DATASETS.build({"name": "300w", "root": str(tmp_path)})
    assert len(dataset) == 4
    for index in range(4):
        np.testing.assert_allclose(dataset[index]["keypoints"], faces[index]["keypoints"], atol=1e-5)
        np.testing.assert_array_equal(dataset[index]["image"], faces[index]["image"])  # PNG is lossless


@pytest.mark.parametrize("config, match", [({"num_samples": 0}, "num_samples"), ({"seed": -1}, "seed"),
                                           ({"image_hw": [0, 5]}, "image_hw"), ({"max_yaw": 90}, "max_yaw"),
                                           ({"skeleton": "mpii"}, "face schemes 300w, cofw, wflw, aflw")])
def test_bad_parameters(config, match):
    with pytest.raises(ValueError, match=match):
        DATASETS.build({"name": "synthetic_faces", **config})


def test_index_out_of_range():
    with pytest.raises(IndexError):
        SyntheticFaces(num_samples=2)[2]


@pytest.mark.parametrize("scheme", FACE_SCHEMES)
def test_every_face_scheme_labels_the_same_drawn_face_like_real_faces(fixtures_dir, scheme):
    # The same seed draws the same picture in every scheme; the scheme's points, aligned to the
    # real faces of that scheme (mmpose's fixtures) by a similarity, leave only the differences of
    # face shape and pose: a point out of its scheme's order would sit on another feature.
    faces = SyntheticFaces(num_samples=12, image_hw=(128, 128), seed=5, max_yaw=10, skeleton=scheme)
    plain = SyntheticFaces(num_samples=12, image_hw=(128, 128), seed=5, max_yaw=10)
    assert faces.skeleton.name == scheme
    annotations = json.loads((fixtures_dir / "mmpose" / FACE_FIXTURES[scheme]).read_text())["annotations"]
    real = np.stack([np.asarray(a["keypoints"], np.float64).reshape(-1, 3)[:, :2] for a in annotations])
    residuals, shuffled = [], []
    for index in range(12):
        sample = faces[index]
        np.testing.assert_array_equal(sample["image"], plain[index]["image"])
        points = sample["keypoints"].astype(np.float64)
        assert points.shape == (faces.skeleton.num_keypoints, 2) and sample["box_size"] > 0
        residuals.append(min(similarity_residual(points, face) for face in real))
        shuffled.append(min(similarity_residual(points[faces.skeleton.flip_index], face) for face in real))
    assert np.median(residuals) < 0.08 and np.median(residuals) < np.median(shuffled) / 1.5


def test_pupils_sit_inside_the_eyes_and_brow_tops_above_brow_bottoms():
    faces = SyntheticFaces(num_samples=10, image_hw=(128, 128), seed=2, max_yaw=0, skeleton="cofw")
    for index in range(10):
        sample = faces[index]
        points = sample["keypoints"]
        for pupil, outer, inner in ((16, 8, 10), (17, 9, 11)):
            low, high = sorted([points[outer, 0], points[inner, 0]])
            assert low < points[pupil, 0] < high
        up = points[20] - points[28]  # chin -> nose tip
        for top, bottom in ((4, 5), (6, 7)):
            assert (points[top] - points[bottom]) @ up > 0
