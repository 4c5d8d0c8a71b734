import json

import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError


def test_json_fixture_exact_zero_based_coordinates(fixtures_dir):
    folder = fixtures_dir / "mmpose" / "mpii"
    entries = json.loads((folder / "test_mpii.json").read_text())
    dataset = DATASETS.build({"name": "mpii", "ann_file": str(folder / "test_mpii.json"), "root": str(folder)})
    assert len(dataset) == len(entries) == 5
    for sample, entry in zip(dataset, entries):
        visible = np.asarray(entry["joints_vis"]) > 0
        np.testing.assert_allclose(sample["keypoints"][visible], np.asarray(entry["joints"])[visible] - 1, atol=1e-4)
        np.testing.assert_array_equal(sample["visible"], visible)
        half = entry["scale"] * 100
        cx, cy = np.asarray(entry["center"]) - 1
        np.testing.assert_allclose(sample["bbox"], [cx - half, cy - half, cx + half, cy + half], rtol=1e-5)
        assert sample["head_box"] is None and sample["image"].ndim == 3


def write_release(path):
    """A tiny mpii_human_pose_v1_u12_1.mat: image 1 (train) with two people, image 2 (test) with one."""
    from scipy.io import savemat

    def person(offset, head):
        points = np.zeros((3,), dtype=[("x", "O"), ("y", "O"), ("id", "O"), ("is_visible", "O")])
        for n, joint in enumerate((9, 0, 13)):
            points[n] = (10.0 * n + offset, 20.0 * n + offset, joint, 1)
        annopoints = np.zeros((1,), dtype=[("point", "O")])
        annopoints[0] = (points,)
        objpos = np.zeros((1,), dtype=[("x", "O"), ("y", "O")])
        objpos[0] = (50.0 + offset, 60.0)
        return (*head, 1.5, objpos, annopoints)

    rect_dtype = [("x1", "O"), ("y1", "O"), ("x2", "O"), ("y2", "O"), ("scale", "O"), ("objpos", "O"),
                  ("annopoints", "O")]
    rects_1 = np.zeros((2,), dtype=rect_dtype)
    rects_1[0], rects_1[1] = person(1, (11, 21, 31, 41)), person(5, (1, 2, 3, 4))
    rects_2 = np.zeros((1,), dtype=rect_dtype)
    rects_2[0] = person(9, (5, 5, 9, 9))
    image_dtype = [("name", "O")]
    annolist = np.zeros((2,), dtype=[("image", "O"), ("annorect", "O")])
    for i, (name, rects) in enumerate((("a.jpg", rects_1), ("b.jpg", rects_2))):
        image = np.zeros((1,), dtype=image_dtype)
        image[0] = (name,)
        annolist[i] = (image, rects)
    release = np.zeros((1,), dtype=[("annolist", "O"), ("img_train", "O")])
    release[0] = (annolist, np.array([1, 0]))
    savemat(path, {"RELEASE": release})


def test_official_mat_people_joints_and_head_boxes(tmp_path):
    write_release(tmp_path / "mpii.mat")
    config = {"name": "mpii", "ann_file": str(tmp_path / "mpii.mat"), "root": str(tmp_path), "strict": False}
    train = DATASETS.build(config)
    assert len(train) == 2 and not train.problems
    first = train.records[0]
    np.testing.assert_allclose(first["keypoints"][[9, 0, 13]], [[0, 0], [10, 20], [20, 40]])
    np.testing.assert_array_equal(np.flatnonzero(first["visible"]), [0, 9, 13])
    np.testing.assert_allclose(first["head_box"], [10, 20, 30, 40])
    assert first["image_path"].endswith("a.jpg") and first["record"] == "annolist 1, annorect 1"
    everything = DATASETS.build({**config, "split": "all"})
    assert len(everything) == 3 and everything.records[2]["image_path"].endswith("b.jpg")


def test_bad_files(tmp_path):
    (tmp_path / "list.json").write_text('{"not": "a list"}')
    with pytest.raises(DatasetError, match="expected a JSON list of people"):
        DATASETS.build({"name": "mpii", "ann_file": str(tmp_path / "list.json"), "root": str(tmp_path)})
    (tmp_path / "bad.json").write_text('[{"joints": [[1, 2]], "joints_vis": [1, 1], "center": [0, 0], "scale": 1,'
                                       ' "image": "x.jpg"}]')
    with pytest.raises(DatasetError, match=r"bad.json \[entry 0\]: 'joints' must be finite"):
        DATASETS.build({"name": "mpii", "ann_file": str(tmp_path / "bad.json"), "root": str(tmp_path)})
    from scipy.io import savemat

    savemat(tmp_path / "other.mat", {"x": np.ones(3)})
    with pytest.raises(DatasetError, match="not the MPII release"):
        DATASETS.build({"name": "mpii", "ann_file": str(tmp_path / "other.mat"), "root": str(tmp_path)})
