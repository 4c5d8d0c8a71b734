"""Detectors: OpenCV's (bundled) and MediaPipe's (fetched once) on a real photo; anchor layouts, NMS, auto."""

import json

import numpy as np
import pytest

from edgelmk.geometry import bbox_of
from edgelmk.runtime import model_files
from edgelmk.runtime.detectors import DETECTORS, build_detector, iou, rect_to_box
from edgelmk.runtime.detectors.mediapipe import BlazeFace, BlazeFaceFullRange, PoseDetection, letterbox_matrix, \
    weighted_nms
from tests.helpers import optional_import

cv2 = optional_import("cv2")


@pytest.fixture
def helen_face(fixtures_dir):
    """(RGB image, its 29 annotated points) of one helen29/val photo."""
    from edgelmk.preprocess import load_image

    folder = fixtures_dir / "helen29" / "val"
    content = json.loads((folder / "helen29_val.json").read_text())
    image = content["images"][0]
    annotation = next(a for a in content["annotations"] if a["image_id"] == image["id"])
    points = np.asarray(annotation["keypoints"], np.float32).reshape(-1, 3)[:, :2]
    return load_image(folder / image["file_name"]), points


def test_anchor_layouts_match_the_models_outputs():
    assert len(BlazeFace.layout.anchors()) == 896
    assert len(BlazeFaceFullRange.layout.anchors()) == 2304
    assert len(PoseDetection.layout.anchors()) == 2254
    anchors = BlazeFace.layout.anchors()
    # the first grid (stride 8, 16 x 16 cells) has two anchors per cell, row by row
    np.testing.assert_allclose(anchors[:4], [[1 / 32, 1 / 32], [1 / 32, 1 / 32], [3 / 32, 1 / 32], [3 / 32, 1 / 32]])
    np.testing.assert_allclose(anchors[512], [1 / 16, 1 / 16])  # then 8 x 8 cells with six each


def test_letterbox_maps_the_image_edges_to_the_centred_square():
    matrix = letterbox_matrix((100, 200), 128)  # a wide image: bars above and below
    from edgelmk.geometry import apply_affine

    # pixel edges (-0.5 and W - 0.5) land on the square's edges (-0.5, 127.5) across, centred down
    corners = apply_affine(np.array([[-0.5, -0.5], [199.5, 99.5]]), matrix)
    np.testing.assert_allclose(corners, [[-0.5, 31.5], [127.5, 95.5]], atol=1e-9)


def test_weighted_nms_averages_the_boxes_a_kept_box_absorbs():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float64)
    scores = np.array([0.9, 0.3, 0.5])
    points = np.array([[[2, 2]], [[6, 2]], [[55, 55]]], np.float64)
    kept = weighted_nms(boxes, scores, points, 0.3)
    assert [score for _, score, _ in kept] == [0.9, 0.5]
    np.testing.assert_allclose(kept[0][0], [0.25, 0, 10.25, 10])  # weights 0.75 / 0.25
    np.testing.assert_allclose(kept[0][2], [[3, 2]])
    np.testing.assert_allclose(kept[1][0], boxes[2])


def test_boxes_follow_the_pixel_centre_convention():
    np.testing.assert_allclose(rect_to_box(10, 20, 30, 40), [9.5, 19.5, 39.5, 59.5])
    assert iou(np.array([0, 0, 10, 10]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])) \
        .round(4).tolist() == [1.0, 0.3333, 0.0]


def test_haar_finds_the_face_of_a_real_photo_and_nothing_in_a_blank_one(helen_face):
    image, points = helen_face
    detector = build_detector("haar")
    (found,) = detector.detect(image)
    box = bbox_of(points)
    centre = (box[:2] + box[2:]) / 2
    assert found.box[0] < centre[0] < found.box[2] and found.box[1] < centre[1] < found.box[3]
    assert detector.detect(np.full((200, 200, 3), 128, np.uint8)) == []


@pytest.mark.parametrize("name", ["blazeface", "blazeface_full"])
def test_blazeface_finds_the_face_and_its_eyes(mediapipe_models, helen_face, name):
    image, points = helen_face
    detections = build_detector(name).detect(image)
    assert len(detections) == 1
    (found,) = detections
    assert 0.5 <= found.score <= 1 and found.keypoints.shape == (6, 2)
    pupils = points[[16, 17]]
    side = float(np.ptp(points[:, 0]))
    eyes = found.keypoints[:2]
    # each detected eye is near one annotated pupil: the subject's right eye first (the image's left)
    nearest = np.linalg.norm(eyes[:, None] - pupils[None], axis=2).min(axis=1)
    assert (nearest < 0.15 * side).all(), nearest
    assert eyes[0, 0] < eyes[1, 0]
    assert iou(bbox_of(points), found.box[None])[0] > 0.4


def test_both_blazefaces_find_close_and_small_faces_and_say_which_drew_each(mediapipe_models, helen_face,
                                                                           fixtures_dir):
    from edgelmk.preprocess import load_image
    from edgelmk.runtime import Pipeline

    detector = build_detector("blazeface_both")
    image, _ = helen_face
    assert [d.source for d in detector.detect(image)] == ["blazeface"]  # a close face: the short range's box
    crowd = load_image(fixtures_dir / "mmpose" / "wflw" / "7_Cheering_Cheering_7_16.jpg")
    sources = [d.source for d in detector.detect(crowd)]
    assert "blazeface_full" in sources and len(sources) >= 4  # small faces the short range misses

    class Model:
        scheme = "cofw"

    pipeline = Pipeline(Model(), detector, log=None)
    assert set(pipeline.calibrations) == {"blazeface", "blazeface_full"}
    assert all(c is not None and c.detector == name for name, c in pipeline.calibrations.items())


def test_the_person_detector_finds_a_person(mediapipe_models, fixtures_dir):
    from edgelmk.preprocess import load_image

    content = json.loads((fixtures_dir / "mmpose" / "mpii" / "test_mpii.json").read_text())
    entry = content[0]
    joints = np.asarray(entry["joints"], np.float32)[np.asarray(entry["joints_vis"]) > 0]
    detections = build_detector("pose_detection", kind="person").detect(
        load_image(fixtures_dir / "mmpose" / "mpii" / entry["image"]))
    centre = (joints.min(0) + joints.max(0)) / 2
    assert any(d.box[0] < centre[0] < d.box[2] and d.box[1] < centre[1] < d.box[3] for d in detections)
    assert all(d.keypoints.shape == (4, 2) for d in detections)


def test_hog_runs_on_an_empty_scene():
    assert build_detector("hog", kind="person").detect(np.zeros((256, 160, 3), np.uint8)) == []


def test_auto_falls_back_to_haar_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGELMK_MODELS", str(tmp_path))  # an empty cache
    notes = []
    detector = build_detector("auto", log=notes.append)
    assert detector.name == "haar"
    assert "detector auto -> haar" in notes[0] and "edgelmk models get blazeface_full" in notes[0]


def test_detector_errors_name_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGELMK_MODELS", str(tmp_path))
    with pytest.raises(ValueError, match="get it with: edgelmk models get blazeface$"):
        build_detector("blazeface")
    with pytest.raises(ValueError, match="edgelmk models get yunet --file PATH"):
        build_detector("yunet")
    with pytest.raises(ValueError, match="detector 'hog' finds persons, but this model needs face boxes"):
        build_detector("hog", kind="face")
    with pytest.raises(ValueError, match="unknown detector 'haar_cascade'"):
        build_detector("haar_cascade")
    (tmp_path / "yunet.onnx").write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="OpenCV cannot load it as YuNet"):
        build_detector("yunet")


def test_every_detector_is_described():
    assert set(DETECTORS.names()) == {"haar", "hog", "yunet", "blazeface", "blazeface_full", "blazeface_both",
                                      "pose_detection"}
    assert all(summary for summary in DETECTORS.summaries().values())


def test_models_get_takes_the_file_out_of_a_wheel_and_writes_atomically(tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setenv("EDGELMK_MODELS", str(tmp_path / "cache"))
    wheel = tmp_path / "mediapipe-0.10.21-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(model_files.MODEL_FILES["blazeface"].wheel_member, b"TFL3 model bytes")
    path = model_files.get("blazeface", wheel=wheel)
    assert path.read_bytes() == b"TFL3 model bytes" and path == model_files.path_of("blazeface")
    assert list(path.parent.iterdir()) == [path]  # no temporary file left beside it
    with pytest.raises(ValueError, match="not a mediapipe wheel holding"):
        model_files.get("pose_detection", wheel=wheel)
    with pytest.raises(ValueError, match="yunet is not on PyPI"):
        model_files.get("yunet")
    with pytest.raises(ValueError, match="unknown model file 'blaze'"):
        model_files.get("blaze")



def fake_yunet(path, score: float):
    """An ONNX file with YuNet's inputs and outputs (cls/obj/bbox/kps at strides 8, 16, 32) whose every
    anchor scores ``score`` with zero offsets: what cv2.FaceDetectorYN needs to run, without YuNet's weights."""
    onnx = optional_import("onnx")
    from onnx import TensorProto, helper, numpy_helper

    constants = {"shape": np.array([1, -1, 1], np.int64), "start": np.array([0], np.int64),
                 "end": np.array([1], np.int64), "axis": np.array([1], np.int64),
                 "zero": np.array(0.0, np.float32), "score": np.array(score, np.float32),
                 "tile4": np.array([1, 1, 4], np.int64), "tile10": np.array([1, 1, 10], np.int64)}
    nodes, outputs = [], []
    for s in (8, 16, 32):
        nodes += [helper.make_node("AveragePool", ["input"], [f"p{s}"], kernel_shape=[s, s], strides=[s, s]),
                  helper.make_node("Slice", [f"p{s}", "start", "end", "axis"], [f"c{s}"]),
                  helper.make_node("Reshape", [f"c{s}", "shape"], [f"r{s}"]),
                  helper.make_node("Mul", [f"r{s}", "zero"], [f"z{s}"]),
                  helper.make_node("Add", [f"z{s}", "score"], [f"cls_{s}"]),
                  helper.make_node("Identity", [f"cls_{s}"], [f"obj_{s}"]),
                  helper.make_node("Tile", [f"z{s}", "tile4"], [f"bbox_{s}"]),
                  helper.make_node("Tile", [f"z{s}", "tile10"], [f"kps_{s}"])]
    for kind, width in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)):
        outputs += [helper.make_tensor_value_info(f"{kind}_{s}", TensorProto.FLOAT, [1, f"n{s}", width])
                    for s in (8, 16, 32)]
    graph = helper.make_graph(nodes, "fake_yunet",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, None, None])], outputs,
                              [numpy_helper.from_array(value, name) for name, value in constants.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_yunet_runs_cv2_face_detector_yn_and_reads_its_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGELMK_MODELS", str(tmp_path))
    image = np.zeros((80, 100, 3), np.uint8)
    assert build_detector("yunet", model_file=fake_yunet(tmp_path / "silent.onnx", 0.0)).detect(image) == []
    model_files.get("yunet", file=fake_yunet(tmp_path / "eager.onnx", 1.0))  # into the cache, as a user would
    found = build_detector("yunet").detect(image)
    assert len(found) > 10 and all(d.score == 1.0 and d.keypoints.shape == (5, 2) for d in found)
    # the first anchor (stride 8, cell 0): OpenCV's rectangle x, y, w, h = -4, -4, 8, 8 -> box edges
    assert any(np.allclose(d.box, [-4.5, -4.5, 3.5, 3.5]) and np.allclose(d.keypoints, 0) for d in found)
