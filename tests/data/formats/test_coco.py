import json

import numpy as np
import pytest

from edgelmk.data import DATASETS, DatasetError


def test_coco_fixture_exact_coordinates_and_flags(fixtures_dir):
    folder = fixtures_dir / "mmpose" / "coco"
    content = json.loads((folder / "test_coco.json").read_text())
    dataset = DATASETS.build({"name": "coco", "ann_file": str(folder / "test_coco.json"), "root": str(folder)})
    kept = [a for a in content["annotations"] if not a.get("iscrowd") and any(a["keypoints"][2::3])]
    assert len(dataset) == len(kept) == 12
    for record, annotation in zip(dataset.records, kept):
        values = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(17, 3)
        labelled = values[:, 2] > 0
        np.testing.assert_array_equal(record["keypoints"][labelled], values[labelled, :2])
        np.testing.assert_array_equal(record["visible"], labelled)
        np.testing.assert_array_equal(record["occluded"], values[:, 2] == 1)
        x, y, w, h = annotation["bbox"]
        np.testing.assert_allclose(record["bbox"], [x, y, x + w, y + h], rtol=1e-6)
    sample = dataset[0]
    assert sample["image"].shape == (425, 640, 3) and sample["image_id"] == 785


@pytest.mark.parametrize("name, count", [("300w", 68), ("wflw", 98), ("cofw", 29), ("aflw", 19)])
def test_coco_face_fixtures(fixtures_dir, name, count):
    folder = fixtures_dir / "mmpose" / name
    content = json.loads((folder / f"test_{name}.json").read_text())
    dataset = DATASETS.build({"name": "coco_face", "ann_file": str(folder / f"test_{name}.json"), "root": str(folder)})
    assert dataset.skeleton.name == name and len(dataset) == len(content["annotations"])
    for sample, annotation in zip(dataset, content["annotations"]):
        values = np.asarray(annotation["keypoints"]).reshape(count, 3)
        np.testing.assert_allclose(sample["keypoints"], values[:, :2], rtol=1e-6)
        assert sample["image"].dtype == np.uint8
    if name == "aflw":
        assert dataset[0]["box_size"] == content["annotations"][0]["box_size"]


def test_truncated_json_names_line_and_column(tmp_path, fixtures_dir):
    text = (fixtures_dir / "mmpose" / "coco" / "test_coco.json").read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(DatasetError, match=r"cut.json: invalid JSON at line \d+, column \d+.*truncated"):
        DATASETS.build({"name": "coco", "ann_file": str(tmp_path / "cut.json"), "root": str(tmp_path)})


@pytest.mark.parametrize(
    "content, match",
    [
        ([], "expected an object with 'images' and 'annotations'"),
        ({"images": []}, "expected an object with 'images' and 'annotations'"),
        ({"images": [{"file_name": "a"}], "annotations": []}, "'images' must be a list of objects that each have an 'id'"),
    ],
)
def test_structural_errors(tmp_path, content, match):
    (tmp_path / "a.json").write_text(json.dumps(content))
    with pytest.raises(DatasetError, match=match):
        DATASETS.build({"name": "coco", "ann_file": str(tmp_path / "a.json"), "root": str(tmp_path)})


def test_record_errors_are_collected_per_annotation(tmp_path):
    content = {"images": [{"id": 1, "file_name": "a.jpg", "height": 10, "width": 10}],
               "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "keypoints": [1, 2, 2] * 17,
                                "bbox": [0, 0, 5, 5]},
                               {"id": 8, "image_id": 1, "category_id": 1, "keypoints": [1, 2] * 17},
                               {"id": 9, "image_id": 2, "category_id": 1, "keypoints": [1, 2, 2] * 17},
                               {"id": 10, "image_id": 1, "category_id": 1},
                               {"id": 11, "image_id": 1, "keypoints": [1, 2, 2] * 17}],
               "categories": [{"id": 1, "name": "person"}]}
    (tmp_path / "a.json").write_text(json.dumps(content))
    dataset = DATASETS.build({"name": "coco", "ann_file": str(tmp_path / "a.json"), "root": str(tmp_path),
                              "strict": False})
    assert len(dataset) == 1
    messages = [str(p) for p in dataset.problems]
    assert any("annotation id 8" in m and "flat [x, y, v]" in m for m in messages)
    assert any("annotation id 9" in m and "image_id 2 is not among" in m for m in messages)
    assert any("annotation id 10" in m and "missing key 'keypoints'" in m for m in messages)
    assert any("annotation id 11" in m and "missing key 'category_id'" in m for m in messages)
