import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError


@pytest.fixture
def aflw_root(tmp_path):
    """A 5-face AFLWinfo_release.mat; 'ra' puts faces 5, 3 first (the 'training' part is 20000 long)."""
    import cv2
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    data = rng.uniform(20, 80, (5, 38))
    boxes = np.array([[10, 90, 5, 95]] * 5, dtype=np.float64)  # left right top bottom
    mask = np.ones((5, 19))
    mask[2, 4] = 0
    names = np.empty((5, 1), dtype=object)
    for i in range(5):
        names[i, 0] = f"0/image{i:05d}.jpg"
        (tmp_path / "flickr" / "0").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / "flickr" / names[i, 0]), np.zeros((100, 100, 3), np.uint8))
    savemat(tmp_path / "AFLWinfo_release.mat", {"data": data, "bbox": boxes, "mask_new": mask, "nameList": names,
                                                "ra": np.array([[5, 3, 1, 2, 4]])})
    return tmp_path, data


def test_reads_points_boxes_visibility_and_box_size(aflw_root):
    root, data = aflw_root
    dataset = DATASETS.build({"name": "aflw", "root": str(root), "split": "all"})
    assert [r["image_path"][-9:] for r in dataset.records] == [f"{i:05d}.jpg" for i in (4, 2, 0, 1, 3)]
    sample = dataset[1]  # face 3
    np.testing.assert_allclose(sample["keypoints"][:4], np.stack([data[2, :19], data[2, 19:]], -1)[:4], rtol=1e-6)
    assert sample["visible"][4] == 0 and sample["visible"].sum() == 18
    np.testing.assert_allclose(sample["bbox"], [10, 5, 90, 95])
    assert sample["box_size"] == pytest.approx(np.sqrt(80 * 90))
    assert sample["image"].shape == (100, 100, 3)


def test_splits_follow_ra(aflw_root):
    root, _ = aflw_root
    # with only 5 faces, ra[:20000] is everything and the test part is empty
    assert len(DATASETS.build({"name": "aflw", "root": str(root), "split": "train"})) == 5
    with pytest.raises(DatasetError, match="no samples found"):
        DATASETS.build({"name": "aflw", "root": str(root), "split": "test"})


def test_ra_must_be_a_permutation(aflw_root):
    from scipy.io import loadmat, savemat

    root, _ = aflw_root
    content = {k: v for k, v in loadmat(root / "AFLWinfo_release.mat").items() if not k.startswith("__")}
    content["ra"] = np.array([[1, 1, 2, 3, 4]])
    savemat(root / "AFLWinfo_release.mat", content)
    with pytest.raises(DatasetError, match="'ra' is not a permutation"):
        DATASETS.build({"name": "aflw", "root": str(root)})
