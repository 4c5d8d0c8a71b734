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


def test_predict_with_an_exported_model_on_a_folder_and_a_video(export_factory, tmp_path):
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
    assert np.array(content["items"][0]["keypoints"]).shape == (68, 2) and len(content["keypoint_names"]) == 68
    assert (tmp_path / "out" / "a.png").is_file() and (tmp_path / "out" / "b.png").is_file()

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (40, 48))
    for _ in range(3):
        writer.write(rng.integers(0, 256, (48, 40, 3), np.uint8))
    writer.release()
    result = run("predict", folder / "model.onnx", video, "--out", tmp_path / "video_out")
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "video_out" / "keypoints.json").read_text())
    assert [item["frame"] for item in content["items"]] == [0, 1, 2]
    assert cv2.VideoCapture(str(tmp_path / "video_out" / "clip.mp4")).isOpened()


def test_predict_on_one_image_writes_png_and_json_and_prints_keypoints(export_factory, tmp_path):
    _, folder, _ = export_factory("tflite", int8=True)
    cv2.imwrite(str(tmp_path / "face.png"), np.full((50, 40, 3), 90, np.uint8))
    result = run("predict", folder / "model.tflite", tmp_path / "face.png", "--out", tmp_path / "drawn.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "drawn.png").is_file() and (tmp_path / "drawn.json").is_file()
    assert len([line for line in result.output.splitlines() if "score" in line]) == 68


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
