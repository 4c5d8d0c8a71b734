import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError, read_pts
from edgelmk.data.formats.w300 import parse_pts, write_pts

PTS = """version: 1
n_points:  3
{
1.0 1.0
10.5 20.25
100 200
}
"""


def test_read_pts_converts_one_based_to_zero_based(tmp_path):
    path = tmp_path / "a.pts"
    path.write_text(PTS)
    points = read_pts(path)
    assert points.dtype == np.float32 and points.shape == (3, 2)
    np.testing.assert_array_equal(points, [[0, 0], [9.5, 19.25], [99, 199]])


def test_write_then_read_round_trip(tmp_path):
    keypoints = np.random.default_rng(0).uniform(-3, 300, (68, 2)).astype(np.float32)
    write_pts(tmp_path / "b.pts", keypoints)
    np.testing.assert_allclose(read_pts(tmp_path / "b.pts"), keypoints, atol=1e-5)


def test_tolerates_windows_line_endings_and_blank_lines():
    np.testing.assert_array_equal(parse_pts(PTS.replace("\n", "\r\n\n")), parse_pts(PTS))


@pytest.mark.parametrize(
    "text, match",
    [
        (PTS.replace("n_points:  3", "n_points: 4"), "n_points says 4 but the list holds 3 points"),
        (PTS.replace("10.5 20.25", "10.5 x"), "point 2 is not two numbers: '10.5 x'"),
        (PTS.replace("10.5 20.25", "10.5"), "point 2 is not two numbers"),
        (PTS.replace("{", ""), "missing '{' or '}'"),
        (PTS.replace("}", ""), "missing '{' or '}'"),
        (PTS.replace("n_points:  3\n", ""), "no 'n_points:' line"),
        (PTS.replace("n_points:  3", "n_points: three"), "n_points is not an integer"),
        (PTS.replace("100 200", "nan 200"), "non-finite"),
    ],
)
def test_malformed_pts_errors_name_the_file_and_the_fault(tmp_path, text, match):
    path = tmp_path / "bad.pts"
    path.write_text(text)
    with pytest.raises(DatasetError, match=match) as info:
        read_pts(path)
    assert str(path) in str(info.value)


def test_binary_and_missing_files(tmp_path):
    (tmp_path / "bin.pts").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DatasetError, match="bin.pts: not a UTF-8 text file"):
        read_pts(tmp_path / "bin.pts")
    with pytest.raises(DatasetError, match="missing.pts: cannot read"):
        read_pts(tmp_path / "missing.pts")


def make_release(root, images):
    """A miniature 300W folder tree: {relative stem: keypoints} with a small PNG beside each .pts."""
    import cv2

    for stem, keypoints in images.items():
        path = root / stem
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path.with_suffix(".png")), np.full((120, 100, 3), 128, np.uint8))
        write_pts(path.with_suffix(".pts"), keypoints)


def face(offset):
    return np.random.default_rng(offset).uniform(10, 90, (68, 2)).astype(np.float32)


@pytest.fixture
def release(tmp_path):
    stems = ["lfpw/trainset/a", "helen/trainset/b", "afw/c", "lfpw/testset/d", "helen/testset/e", "ibug/f",
             "01_Indoor/indoor_001", "02_Outdoor/outdoor_001"]
    make_release(tmp_path, {stem: face(i) for i, stem in enumerate(stems)})
    return tmp_path


@pytest.mark.parametrize("split, expected", [("train", {"a", "b", "c"}), ("common", {"d", "e"}),
                                             ("challenging", {"f"}), ("full", {"d", "e", "f"}),
                                             ("private", {"indoor_001", "outdoor_001"})])
def test_native_splits(release, split, expected):
    dataset = DATASETS.build({"name": "300w", "root": str(release), "split": split})
    assert {r["image_path"].rsplit("/", 1)[1].split(".")[0] for r in dataset.records} == expected


def test_native_sample_contents(release):
    dataset = DATASETS.build({"name": "300w", "root": str(release / "ibug")})
    sample = dataset[0]
    assert sample["image"].shape == (120, 100, 3) and sample["image"].dtype == np.uint8
    np.testing.assert_allclose(sample["keypoints"], face(5), atol=1e-5)
    np.testing.assert_array_equal(sample["visible"], 1)
    np.testing.assert_allclose(sample["bbox"], [*face(5).min(axis=0), *face(5).max(axis=0)], atol=1e-5)


def test_strict_dataset_names_broken_files_and_lenient_keeps_the_rest(release):
    (release / "ibug" / "broken.pts").write_text("version: 1\nn_points: 68\n{\n1 2\n}\n")
    write_pts(release / "ibug" / "lonely.pts", face(9))  # no image beside it
    with pytest.raises(DatasetError, match="2 unusable record") as info:
        DATASETS.build({"name": "300w", "root": str(release), "split": "challenging"})
    assert "broken.pts" in str(info.value) and "lonely.pts" in str(info.value)
    lenient = DATASETS.build({"name": "300w", "root": str(release), "split": "challenging", "strict": False})
    assert len(lenient) == 1 and len(lenient.problems) == 2


def test_wrong_point_count_is_a_problem(release):
    write_pts(release / "ibug" / "g.pts", face(1)[:51])
    import cv2

    cv2.imwrite(str(release / "ibug" / "g.png"), np.zeros((8, 8, 3), np.uint8))
    dataset = DATASETS.build({"name": "300w", "root": str(release / "ibug"), "strict": False})
    assert any("51 keypoints, but the scheme (300w) has 68" in str(p) and "g.pts" in str(p) for p in dataset.problems)


def test_missing_root_and_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match="is not a folder"):
        DATASETS.build({"name": "300w", "root": str(tmp_path / "nope")})
    with pytest.raises(DatasetError, match="no samples found"):
        DATASETS.build({"name": "300w", "root": str(tmp_path)})
    with pytest.raises(ValueError, match="unknown 300w split 'val'"):
        DATASETS.build({"name": "300w", "root": str(tmp_path), "split": "val"})
