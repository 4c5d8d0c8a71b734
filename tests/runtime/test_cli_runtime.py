"""edgelmk export / predict / bench from the command line."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from edgelmk.cli import main
from tests.helpers import optional_import

cv2 = optional_import("cv2")
optional_import("onnxruntime")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_export_prints_the_parity_report(checkpoint_factory, tmp_path):
    result = run("export", checkpoint_factory(), "--target", "onnx", "--out", tmp_path / "onnx", "--samples", "4")
    assert result.exit_code == 0, result.output
    assert "parity vs the trained model on 4 validation crops" in result.output and "max" in result.output
    assert (tmp_path / "onnx" / "model.onnx").is_file() and (tmp_path / "onnx" / "model.json").is_file()
    assert not list((tmp_path / "onnx").glob(".partial*"))


def test_export_errors_are_messages(checkpoint_factory, tmp_path):
    result = run("export", tmp_path / "missing.pt", "--target", "onnx", "--out", tmp_path / "x")
    assert result.exit_code == 1 and "missing.pt" in result.output and "Traceback" not in result.output
    result = run("export", checkpoint_factory("fp32"), "--target", "lce", "--out", tmp_path / "x")
    assert result.exit_code == 1 and "target lce runs binarized (w1a1) models" in result.output


def test_predict_with_a_fixed_box_on_a_folder(export_factory, tmp_path):
    _, folder, _ = export_factory("onnx")
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg"):
        cv2.imwrite(str(images / name), rng.integers(0, 256, (48, 40, 3), np.uint8))
    result = run("predict", folder / "model.onnx", images, "--out", tmp_path / "out", "--box", "2,2,38,44")
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "out" / "keypoints.json").read_text())
    assert [item["source"] for item in content["items"]] == ["a.png", "b.jpg"]
    (face,) = content["items"][0]["faces"]
    assert np.array(face["keypoints"]).shape == (68, 2) and face["box"] == [2, 2, 38, 44]
    assert len(content["keypoint_names"]) == 68
    assert (tmp_path / "out" / "a.png").is_file() and (tmp_path / "out" / "b.png").is_file()



def test_predict_flip_test_flag_for_exported_models_and_checkpoints(export_factory, tmp_path):
    from edgelmk.engine import load_checkpoint
    from edgelmk.runtime import LandmarkModel

    _, folder, checkpoint = export_factory("onnx")
    image = np.random.default_rng(3).integers(0, 256, (48, 40, 3), np.uint8)
    cv2.imwrite(str(tmp_path / "face.png"), image)
    rgb, box = image[..., ::-1], (2.0, 2.0, 38.0, 44.0)

    def predicted(model_path, *flags):
        result = run("predict", model_path, tmp_path / "face.png", "--out", tmp_path / "drawn.png", "--box",
                     "2,2,38,44", *flags)
        assert result.exit_code == 0, result.output
        return np.array(json.loads((tmp_path / "drawn.json").read_text())["faces"][0]["keypoints"])

    exported = folder / "model.onnx"
    flipped = LandmarkModel(exported, flip_test=True).predict(rgb, box)[0]
    np.testing.assert_allclose(predicted(exported, "--flip-test"), flipped, atol=1e-3)
    np.testing.assert_allclose(predicted(exported), LandmarkModel(exported).predict(rgb, box)[0], atol=1e-3)
    one_pass = load_checkpoint(checkpoint, "cpu").predict(rgb, box)[0]  # its recipe keeps eval.flip_test off
    with_flip_test = load_checkpoint(checkpoint, "cpu", ["eval.flip_test=true"]).predict(rgb, box)[0]
    np.testing.assert_allclose(predicted(checkpoint, "--flip-test"), with_flip_test, atol=1e-3)
    np.testing.assert_allclose(predicted(checkpoint), one_pass, atol=1e-3)
    assert np.abs(with_flip_test - one_pass).max() > 0.01

@pytest.fixture
def helen_photo(fixtures_dir):
    """(path, landmark box) of one helen29/val photo."""
    folder = fixtures_dir / "helen29" / "val"
    content = json.loads((folder / "helen29_val.json").read_text())
    x, y, w, h = content["annotations"][0]["bbox"]
    return folder / content["images"][0]["file_name"], np.array([x, y, x + w, y + h])


def test_predict_finds_the_face_of_a_photo_without_a_box(export_factory, helen_photo, tmp_path):
    _, folder, _ = export_factory("tflite", int8=True)
    photo, landmark_box = helen_photo
    result = run("predict", folder / "model.tflite", photo, "--out", tmp_path / "drawn.png", "--detector", "haar")
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "drawn.json").read_text())
    (face,) = content["faces"]
    assert set(face) == {"id", "box", "keypoints", "scores", "detector"} and len(face["keypoints"]) == 68
    centre = (landmark_box[:2] + landmark_box[2:]) / 2
    box = np.array(face["box"])
    assert (box[:2] < centre).all() and (centre < box[2:]).all()
    assert (tmp_path / "drawn.png").is_file()
    assert len([line for line in result.output.splitlines() if "score" in line]) == 68


def test_predict_on_a_photo_without_faces_says_so(export_factory, tmp_path):
    _, folder, _ = export_factory("onnx")
    cv2.imwrite(str(tmp_path / "wall.png"), np.full((120, 100, 3), 90, np.uint8))
    result = run("predict", folder / "model.onnx", tmp_path / "wall.png", "--out", tmp_path / "drawn.png",
                 "--detector", "haar")
    assert result.exit_code == 0, result.output
    assert "wall.png: no face found by haar (it misses faces under 24 px" in result.output
    assert json.loads((tmp_path / "drawn.json").read_text())["faces"] == []


def test_predict_tracks_faces_through_a_video(export_factory, helen_photo, tmp_path):
    _, folder, _ = export_factory("onnx")
    photo, _ = helen_photo
    image = cv2.imread(str(photo))
    video = tmp_path / "clip.avi"
    height, width = image.shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (width, height))
    for shift in range(4):
        writer.write(np.roll(image, shift, axis=1))
    writer.release()
    result = run("predict", folder / "model.onnx", video, "--out", tmp_path / "video_out", "--detector", "haar",
                 "--show")
    assert result.exit_code == 0, result.output
    assert "no display here" in result.output
    content = json.loads((tmp_path / "video_out" / "keypoints.json").read_text())
    assert [item["frame"] for item in content["items"]] == [0, 1, 2, 3]
    first = content["items"][0]["faces"]
    assert len(first) == 1 and first[0]["id"] == 0 and first[0]["detector"]["score"] > 0
    assert cv2.VideoCapture(str(tmp_path / "video_out" / "clip.mp4")).isOpened()


def test_predict_refuses_a_camera_it_cannot_open_and_a_missing_source(export_factory, tmp_path):
    _, folder, _ = export_factory("onnx")
    result = run("predict", folder / "model.onnx", "--camera", "99", "--out", tmp_path / "live")
    assert result.exit_code == 1 and "camera 99 cannot be opened" in result.output
    result = run("predict", folder / "model.onnx", "--out", tmp_path / "live")
    assert result.exit_code == 2 and "give either IMAGE|VIDEO|DIR or --camera N" in result.output


def test_models_and_detect_commands(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGELMK_MODELS", str(tmp_path / "cache"))
    result = run("models", "list")
    assert result.exit_code == 0 and "blazeface" in result.output and "missing" in result.output
    result = run("models", "get", "yunet")
    assert result.exit_code == 1 and "yunet is not on PyPI" in result.output
    (tmp_path / "y.onnx").write_bytes(b"x")
    assert run("models", "get", "yunet", "--file", tmp_path / "y.onnx").exit_code == 0
    assert (tmp_path / "cache" / "yunet.onnx").is_file()
    val = fixtures_dir / "helen29" / "val"
    result = run("detect", "calibrate", "haar", "coco_face", "--ann", val / "helen29_val.json", "--root", val,
                 "--skeleton", "cofw", "--out", tmp_path / "calibration.json")
    assert result.exit_code == 0, result.output
    assert "haar on cofw: found" in result.output and "calibrated" in result.output
    assert json.loads((tmp_path / "calibration.json").read_text())["calibrations"][0]["scheme"] == "cofw"


def test_bench_times_the_pipeline_on_a_photo(export_factory, helen_photo):
    _, folder, _ = export_factory("onnx")
    photo, _ = helen_photo
    result = run("bench", folder / "model.onnx", "--pipeline", photo, "--detector", "haar", "--runs", "3",
                 "--warmup", "1")
    assert result.exit_code == 0, result.output
    assert "+ haar on a 338x339 image (1 face(s)" in result.output
    for stage in ("detect", "crop", "inference", "decode", "total"):
        assert f"\n{stage} " in result.output


@pytest.mark.parametrize("source,message", [("nope.png", "no such image, video or folder"),
                                            ("notes.txt", "unknown file type '.txt'")])
def test_predict_bad_sources(export_factory, tmp_path, source, message):
    _, folder, _ = export_factory("onnx")
    (tmp_path / "notes.txt").write_text("hi")
    result = run("predict", folder / "model.onnx", tmp_path / source, "--out", tmp_path / "out")
    assert result.exit_code == 1 and message in result.output


def test_bench_reports_stages_as_table_and_json(export_factory):
    _, folder, _ = export_factory("onnx")
    result = run("bench", folder / "model.onnx", "--runs", "5", "--warmup", "1")
    assert result.exit_code == 0, result.output
    assert all(stage in result.output for stage in ("preprocess", "inference", "decode", "total", "throughput"))
    result = run("bench", folder / "model.onnx", "--runs", "5", "--warmup", "1", "--json")
    report = json.loads(result.output)
    assert report["runs"] == 5 and report["file_bytes"] > 0 and report["peak_memory_mib"] > 0
    assert set(report["latency_ms"]["inference"]) == {"p50", "p90", "p99", "mean"}
    result = run("bench", folder / "model.onnx", "--runs", "0")
    assert result.exit_code == 1 and "runs >= 1" in result.output


def test_predict_skips_an_unreadable_video_frame_and_names_it(export_factory, tmp_path):
    _, folder, _ = export_factory("onnx")
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(5):
        writer.write(rng.integers(0, 256, (48, 64, 3), np.uint8))
    writer.release()
    data = bytearray(video.read_bytes())
    jpeg_starts = [i for i in range(len(data) - 1) if data[i:i + 2] == b"\xff\xd8"]
    data[jpeg_starts[2]:jpeg_starts[2] + 400] = bytes(400)  # frame 2's JPEG loses its header
    video.write_bytes(bytes(data))
    result = run("predict", folder / "model.onnx", video, "--out", tmp_path / "out", "--box", "2,2,60,44")
    assert result.exit_code == 0, result.output
    assert "clip.avi frame 2: unreadable, skipped" in result.output
    items = json.loads((tmp_path / "out" / "keypoints.json").read_text())["items"]
    assert [item["frame"] for item in items] == [0, 1, 2, 3, 4]
    assert [len(item["faces"]) for item in items] == [1, 1, 0, 1, 1]


def test_bench_says_where_the_decode_ran(export_factory, monkeypatch):
    _, folder, _ = export_factory("tflite", int8=True)
    report = json.loads(run("bench", folder / "model.tflite", "--runs", "2", "--warmup", "0", "--json").output)
    assert report["decode_backend"] == "compiled"
    monkeypatch.setenv("EDGELMK_DECODE_BACKEND", "numpy")
    result = run("bench", folder / "model.tflite", "--runs", "2", "--warmup", "0")
    assert result.exit_code == 0 and "numpy decode)" in result.output
    _, folder, _ = export_factory("onnx")  # float maps
    assert json.loads(run("bench", folder / "model.onnx", "--runs", "2", "--json").output)["decode_backend"] == "numpy"
    monkeypatch.delenv("EDGELMK_DECODE_BACKEND")
    report = json.loads(run("bench", folder / "model.onnx", "--runs", "2", "--json").output)
    assert report["decode_backend"] == "compiled"
