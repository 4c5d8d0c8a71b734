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


def test_version_2_keeps_head_and_pose_and_lights_them_as_a_surface():
    config = {"name": "synthetic_faces", "num_samples": 6, "image_hw": [96, 96], "seed": 5}
    flat, shaded = DATASETS.build(config), DATASETS.build({**config, "version": 2})
    again = DATASETS.build({**config, "version": 2, "num_samples": 60})
    for index in range(6):
        same = np.r_[0:17, 36:48]  # jaw and eyes; version 2 moves the brows, the nose and the mouth
        np.testing.assert_array_equal(shaded[index]["keypoints"][same], flat[index]["keypoints"][same])
        np.testing.assert_array_equal(shaded[index]["image"], again[index]["image"])  # deterministic by (seed, index)
        assert shaded[index]["image"].shape == (96, 96, 3) and shaded[index]["image"].dtype == np.uint8
    assert not np.array_equal(shaded[0]["image"], flat[0]["image"])


def test_head_relief_rises_at_the_nose_and_shading_follows_the_light():
    import cv2

    from edgelmk.data.synthetic import face_shape_3d, head_relief, project, rotation_matrix, shade

    keypoints = project(face_shape_3d(np.random.default_rng(0)), rotation_matrix(0, 0, 0), 30.0, np.array([48.0, 48.0]))
    mask = np.zeros((96, 96), np.uint8)
    cv2.fillPoly(mask, [np.round(keypoints[:17]).astype(np.int32)], 255)
    mask = cv2.dilate(mask, np.ones((15, 15), np.uint8))
    relief = head_relief(mask, keypoints)
    tip, cheek = np.round(keypoints[30]).astype(int), np.round((keypoints[2] + keypoints[48]) / 2).astype(int)
    assert relief[tip[1], tip[0]] > relief[cheek[1], cheek[0]] > 0 and relief[0, 0] == 0

    class FromTheRight:  # a stand-in generator: the light from the image's right, nothing random
        def uniform(self, low=0.0, high=1.0, size=None):
            return {(-1, 1): 1.0, (-1, 0.4): 0.0, (0.3, 1.2): 0.3}.get((low, high), low)

    image = np.full((96, 96, 3), 150, np.float32)
    shade(image, mask, relief, FromTheRight())
    row = tip[1]
    left, right = image[row, tip[0] - 4, 0], image[row, tip[0] + 4, 0]
    assert right > left  # the nose's right flank faces the light
    assert (image[0, 0] == 150).all()  # outside the head nothing changes


def test_version_4_spaces_the_jaw_evenly_and_keeps_version_3s_random_draws():
    from edgelmk.data.synthetic import ANTHROPOMETRIC, PROPORTIONS_300W, face_shape_3d

    def temple_to_chin_steps(points: np.ndarray) -> float:
        """mean step between the jaw's 3 points nearest each temple / the 3 nearest the chin (both sides)"""
        steps = np.linalg.norm(np.diff(points[0:17, :2], axis=0), axis=1)
        halves = steps[:8] + steps[::-1][:8]
        return halves[0:3].mean() / halves[5:8].mean()

    for seed in range(5):
        even, uneven = (face_shape_3d(np.random.default_rng(seed), proportions)
                        for proportions in (PROPORTIONS_300W, ANTHROPOMETRIC))
        assert abs(temple_to_chin_steps(even) - 1) < 0.05  # 300W's convention: evenly along the jaw
        assert temple_to_chin_steps(uneven) > 1.1
        assert np.ptp(even[0:17, 0]) < np.ptp(uneven[0:17, 0])  # narrower at the temples
    # the same number of random draws: version 4 has version 3's pose, so its landmarks lie near version 3's
    config = {"name": "synthetic_faces", "num_samples": 2, "image_hw": [64, 64], "seed": 1, "version": 3}
    third, fourth = DATASETS.build(config), DATASETS.build({**config, "version": 4})
    for index in range(2):
        assert np.abs(third[index]["keypoints"] - fourth[index]["keypoints"]).mean() < 1.5


@pytest.mark.parametrize("version", [5, "2", True])
def test_version_must_be_known(version):
    with pytest.raises(ValueError, match="version must be one of 1, 2, 3, 4"):
        DATASETS.build({"name": "synthetic_faces", "version": version})
