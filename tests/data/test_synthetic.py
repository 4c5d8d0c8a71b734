import numpy as np
import pytest

from edgelmk.data import DATASETS
from edgelmk.data.synthetic import SyntheticFaces, write_300w_layout
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
                                           ({"image_hw": [0, 5]}, "image_hw"), ({"max_yaw": 90}, "max_yaw")])
def test_bad_parameters(config, match):
    with pytest.raises(ValueError, match=match):
        DATASETS.build({"name": "synthetic_faces", **config})


def test_index_out_of_range():
    with pytest.raises(IndexError):
        SyntheticFaces(num_samples=2)[2]
