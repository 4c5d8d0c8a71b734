"""Random input to every text reader: a reader either parses it or raises DatasetError naming the fault."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgelmk.data import DATASETS, DatasetError, read_pts
from edgelmk.data.formats.w300 import parse_pts
from edgelmk.data.formats.wflw import parse_wflw_line

FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "image_id", "category_id", "keypoints", "images", "annotations", "categories",
                         "file_name", "bbox", "iscrowd", "joints", "joints_vis", "center", "scale", "image"]),
        inner, max_size=6),
    max_leaves=20,
)


def clean(call):
    try:
        call()
    except DatasetError:
        pass


pts_like = st.lists(st.sampled_from(["version: 1", "n_points: 2", "n_points: x", "{", "}", "1 2", "3.5 -4",
                                     "a b", "1", "1 2 3", "", "nan 1"]), max_size=8).map("\n".join)


@FUZZ
@given(st.binary(max_size=200) | pts_like.map(str.encode))
def test_read_pts(tmp_path, data):
    path = tmp_path / "fuzz.pts"
    path.write_bytes(data)
    clean(lambda: read_pts(path))


@FUZZ
@given(st.text(max_size=300) | pts_like)
def test_parse_pts(text):
    clean(lambda: parse_pts(text))


@FUZZ
@given(st.lists(st.sampled_from(["1", "0", "2.5", "x", "nan", "img.jpg", "-3"]), max_size=210).map(" ".join)
       | st.text(max_size=300))
def test_parse_wflw_line(line):
    clean(lambda: parse_wflw_line(line))


@pytest.mark.parametrize("name", ["coco", "coco_face", "mpii"])
@FUZZ
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_json_readers(tmp_path, name, data):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    clean(lambda: DATASETS.build({"name": name, "ann_file": str(path), "root": str(tmp_path), "strict": False}))


scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True) | st.text(max_size=3)
coco_like = st.fixed_dictionaries({
    "images": st.lists(st.fixed_dictionaries({"id": st.integers(0, 3) | scalars},
                                             optional={"file_name": scalars, "height": scalars}), max_size=3),
    "annotations": st.lists(st.fixed_dictionaries(
        {"id": st.integers(0, 5) | scalars},
        optional={"image_id": st.integers(0, 3) | scalars, "category_id": st.just(1) | scalars,
                  "keypoints": st.lists(st.integers(-1, 3) | st.floats(allow_nan=True) | scalars, max_size=60)
                  | scalars,
                  "bbox": st.lists(st.floats(-5, 5), max_size=5) | scalars, "iscrowd": scalars}), max_size=4),
}, optional={"categories": st.just([{"id": 1, "name": "person"}])})


@pytest.mark.parametrize("name", ["coco", "coco_face"])
@FUZZ
@given(content=coco_like)
def test_coco_shaped_files_with_random_contents(tmp_path, name, content):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(content))
    clean(lambda: DATASETS.build({"name": name, "ann_file": str(path), "root": str(tmp_path), "strict": False}))


mpii_like = st.lists(st.fixed_dictionaries({}, optional={
    "joints": st.lists(st.lists(st.floats(allow_nan=True) | scalars, max_size=3), max_size=17) | scalars,
    "joints_vis": st.lists(st.integers(0, 1) | scalars, max_size=17) | scalars,
    "center": st.lists(st.floats(-5, 5) | scalars, max_size=3) | scalars,
    "scale": st.floats(allow_nan=True) | scalars, "image": scalars}) | scalars, max_size=3)


@FUZZ
@given(content=mpii_like)
def test_mpii_shaped_files_with_random_contents(tmp_path, content):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(content))
    clean(lambda: DATASETS.build({"name": "mpii", "ann_file": str(path), "root": str(tmp_path), "strict": False}))
