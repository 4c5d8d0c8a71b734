import shutil

import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError
from edgelmk.data.formats.wflw import ANNOTATION_DIR, parse_wflw_line

ATTRIBUTE_ROWS = [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0]]


@pytest.fixture
def wflw_root(tmp_path, face_fixture):
    """The 4 WFLW fixture faces written as the native test annotation (box = x0 y0 x1 y1)."""
    lines = []
    for (image, keypoints, _, (x, y, w, h)), flags in zip(face_fixture("wflw"), ATTRIBUTE_ROWS):
        target = tmp_path / "WFLW_images" / "event" / image.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(image, target)
        numbers = " ".join(f"{v:.6f}" for v in keypoints.reshape(-1)) + f" {x} {y} {x + w} {y + h}"
        lines.append(f"{numbers} {' '.join(map(str, flags))} event/{image.name}")
    annotations = tmp_path / ANNOTATION_DIR
    annotations.mkdir(parents=True)
    (annotations / "list_98pt_rect_attr_test.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_reads_exact_coordinates_boxes_and_attributes(wflw_root, face_fixture):
    dataset = DATASETS.build({"name": "wflw", "root": str(wflw_root), "split": "test"})
    assert len(dataset) == 4
    for sample, (_, keypoints, _, (x, y, w, h)) in zip(dataset, face_fixture("wflw")):
        np.testing.assert_allclose(sample["keypoints"], keypoints, atol=1e-5)
        np.testing.assert_allclose(sample["bbox"], [x, y, x + w, y + h], rtol=1e-6)
        assert sample["image"].ndim == 3 and sample["keypoints"].shape == (98, 2)
    assert dataset[1]["attributes"] == {"pose": False, "expression": True, "illumination": False, "makeup": False,
                                        "occlusion": True, "blur": False}


@pytest.mark.parametrize("subset, count", [("pose", 1), ("occlusion", 2), ("blur", 1), ("makeup", 0)])
def test_attribute_subsets(wflw_root, subset, count):
    config = {"name": "wflw", "root": str(wflw_root), "split": "test", "subset": subset, "strict": False}
    assert len(DATASETS.build(config)) == count


@pytest.mark.parametrize(
    "line, match",
    [
        ("1 2 3", "3 fields, expected 207"),
        (" ".join(["1"] * 206) + " img.jpg" + " extra", "208 fields"),
        (" ".join(["x"] * 206) + " img.jpg", "non-numeric"),
        (" ".join(["1"] * 200 + ["2"] * 6) + " img.jpg", "attribute flags other than 0/1"),
    ],
)
def test_malformed_lines(line, match):
    with pytest.raises(DatasetError, match=match):
        parse_wflw_line(line)


def test_bad_line_is_reported_with_its_number(wflw_root):
    path = wflw_root / ANNOTATION_DIR / "list_98pt_rect_attr_test.txt"
    path.write_text(path.read_text() + "1 2 3\n")
    with pytest.raises(DatasetError, match=r"list_98pt_rect_attr_test.txt \[line 5\]: 3 fields"):
        DATASETS.build({"name": "wflw", "root": str(wflw_root), "split": "test"})


def test_missing_release_says_what_to_unpack(tmp_path):
    with pytest.raises(DatasetError, match="unpack WFLW_annotations.tar.gz"):
        DATASETS.build({"name": "wflw", "root": str(tmp_path)})
    with pytest.raises(ValueError, match="unknown wflw subset 'hats'"):
        DATASETS.build({"name": "wflw", "root": str(tmp_path), "subset": "hats"})
