"""edgelmk.runtime.LandmarkModel: sidecar checks, preprocessing, int8 decoding, whole-image prediction."""

import json
import shutil

import numpy as np
import pytest

from tests.helpers import optional_import

optional_import("onnxruntime")
optional_import("ai_edge_litert")

from edgelmk.codecs import CODECS  # noqa: E402
from edgelmk.runtime import LandmarkModel, SidecarError  # noqa: E402


@pytest.fixture
def onnx_copy(export_factory, tmp_path):
    """A private copy of an exported ONNX model folder, free to damage."""
    _, folder, _ = export_factory("onnx")
    copy = tmp_path / "model"
    shutil.copytree(folder, copy)
    return copy


def edit_sidecar(folder, change):
    path = folder / "model.json"
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))


def test_missing_model_file(tmp_path):
    with pytest.raises(ValueError, match="model file not found"):
        LandmarkModel(tmp_path / "model.tflite")


def test_missing_sidecar_says_to_copy_both_files(onnx_copy):
    (onnx_copy / "model.json").unlink()
    with pytest.raises(SidecarError, match="model.json.*not found.*copy both files"):
        LandmarkModel(onnx_copy / "model.onnx")


@pytest.mark.parametrize("change,message", [
    (lambda c: c.update(format="something-else"), "not an edgelmk model sidecar"),
    (lambda c: c["codec"].pop("name"), "field 'codec.name' is missing"),
    (lambda c: c["output"].update(dtype="float16"), "output.dtype"),
    (lambda c: c["keypoints"].update(names=["a"]), "68 keypoint maps but keypoints.names has 1"),
    (lambda c: c.update(model_file="other.onnx"), "describes 'other.onnx'"),
    (lambda c: c["input"].update(shape=[1, 3, 64, 64]), "model's input is .* but the sidecar says"),
])
def test_bad_sidecars_are_refused_naming_the_field(onnx_copy, change, message):
    edit_sidecar(onnx_copy, change)
    with pytest.raises(SidecarError, match=message):
        LandmarkModel(onnx_copy / "model.onnx")


def test_output_maps_of_another_size_are_caught_at_the_first_run(onnx_copy):
    edit_sidecar(onnx_copy, lambda c: c["output"].update(shape=[1, 68, 4, 4]))
    model = LandmarkModel(onnx_copy / "model.onnx")  # ONNX leaves the map size open: known only after a run
    with pytest.raises(SidecarError, match="returned .* per crop.*different exports"):
        model.predict_crops(np.zeros((1, 32, 32, 3), np.uint8))


def test_sidecar_that_is_not_json(onnx_copy):
    (onnx_copy / "model.json").write_text("{not json")
    with pytest.raises(SidecarError, match="not valid JSON"):
        LandmarkModel(onnx_copy / "model.onnx")


def test_model_file_of_the_wrong_type(onnx_copy, export_factory):
    _, tflite_folder, _ = export_factory("tflite")
    shutil.copy(tflite_folder / "model.tflite", onnx_copy / "model.onnx")
    with pytest.raises(ValueError, match="is a TFLite flatbuffer, but its sidecar says target 'onnx'"):
        LandmarkModel(onnx_copy / "model.onnx")
    (onnx_copy / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="onnxruntime cannot load it"):
        LandmarkModel(onnx_copy / "model.onnx")


def test_int8_outputs_go_through_the_integer_decode(export_factory, monkeypatch):
    content, folder, _ = export_factory("tflite", int8=True)
    model = LandmarkModel(folder / "model.tflite")
    monkeypatch.setattr(type(model.codec), "decode", lambda *a: pytest.fail("int8 maps were dequantized"))
    crops = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), np.uint8)
    keypoints, scores = model.predict_crops(crops)
    outputs = np.concatenate([model.interpreter.run(model.preprocess(crop[None])) for crop in crops])
    spec = content["output"]
    assert outputs.dtype == np.int8 and spec["layout"] == "NCHW"
    expected = model.codec.decode_int8(outputs, spec["scale"], spec["zero_point"])
    np.testing.assert_array_equal(keypoints, expected[0])
    np.testing.assert_array_equal(scores, expected[1])
    assert keypoints.shape == (3, 68, 2) and set(model.timings) == {"preprocess", "inference", "decode"}


def test_preprocess_quantizes_pixels_with_the_sidecar_scale(export_factory):
    content, folder, _ = export_factory("tflite", int8=True)
    model = LandmarkModel(folder / "model.tflite")
    spec = content["input"]
    crops = np.array([0, 128, 255], np.uint8).reshape(1, 1, 3, 1).repeat(3, axis=3)
    quantized = model.preprocess(crops)
    expected = np.clip(np.round(crops / spec["scale"]) + spec["zero_point"], -128, 127)
    assert quantized.dtype == np.int8 and np.array_equal(quantized, expected)


def test_predict_maps_keypoints_back_to_the_image_and_accepts_grey_and_16_bit(export_factory):
    _, folder, _ = export_factory("onnx")
    model = LandmarkModel(folder / "model.onnx")
    image = np.random.default_rng(1).integers(0, 256, (120, 90, 3), np.uint8)
    box = (20.0, 30.0, 60.0, 80.0)
    keypoints, scores = model.predict(image, box)
    crop, matrix = model.crop_image(image, box)
    in_crop, _ = model.predict_crops(crop[None])
    from edgelmk.geometry import apply_affine

    np.testing.assert_allclose(apply_affine(keypoints, matrix), in_crop[0], atol=1e-3)
    assert keypoints.shape == (68, 2) and scores.shape == (68,)
    grey = image[..., 0]
    assert model.predict(grey, box)[0].shape == (68, 2)
    assert np.allclose(model.predict(grey.astype(np.uint16) * 257, box)[0], model.predict(grey, box)[0])
    with pytest.raises(ValueError, match="box must be x0, y0, x1, y1"):
        model.predict(image, (10, 10, 5, 20))
    with pytest.raises(ValueError, match=r"crops must be \(N, 32, 32, 3\) uint8"):
        model.predict_crops(np.zeros((1, 16, 16, 3), np.uint8))


def test_codec_rebuilt_from_the_sidecar_equals_the_training_codec(export_factory):
    content, folder, _ = export_factory("onnx")
    assert LandmarkModel(folder / "model.onnx").codec.to_config() == CODECS.build(content["codec"]).to_config()


def test_flip_test_matches_the_checkpoints_flip_test_and_times_both_passes(export_factory):
    from edgelmk.engine import load_checkpoint

    _, folder, checkpoint = export_factory("onnx")
    model = LandmarkModel(folder / "model.onnx", flip_test=True)
    crops = np.random.default_rng(2).integers(0, 256, (4, 32, 32, 3), np.uint8)
    keypoints, scores = model.predict_crops(crops)
    one_pass = LandmarkModel(folder / "model.onnx").predict_crops(crops)[0]
    trained, trained_scores = load_checkpoint(checkpoint, "cpu").predict_crops(crops, flip_test=True)
    np.testing.assert_allclose(keypoints, trained, atol=1e-3)
    np.testing.assert_allclose(scores, trained_scores, atol=1e-4)
    assert np.abs(keypoints - one_pass).max() > 0.01  # the mirror pass changed the answer
    assert set(model.timings) == {"preprocess", "inference", "decode"} and model.timings["inference"] > 0


@pytest.mark.parametrize("undeclared", [{"flip_declared": False}, {}], ids=["declared-none", "older-sidecar"])
def test_flip_test_is_refused_for_a_sidecar_whose_scheme_declares_no_flip_pairs(onnx_copy, undeclared):
    def forget_flips(content):
        content["keypoints"].pop("flip_declared")
        content["keypoints"].update(flip_pairs=[], **undeclared)

    edit_sidecar(onnx_copy, forget_flips)
    assert LandmarkModel(onnx_copy / "model.onnx").predict_crops(np.zeros((1, 32, 32, 3), np.uint8))[0].shape[1] == 68
    with pytest.raises(ValueError, match="declares no keypoints.flip_pairs"):
        LandmarkModel(onnx_copy / "model.onnx", flip_test=True)


def test_flip_test_runs_for_a_scheme_whose_points_are_their_own_mirror_images(onnx_copy):
    """flip_pairs: [] declared: no point swaps, so the mirror pass keeps every label."""
    edit_sidecar(onnx_copy, lambda content: content["keypoints"].update(flip_pairs=[], flip_declared=True))
    model = LandmarkModel(onnx_copy / "model.onnx", flip_test=True)
    height, width = model.input_hw
    crops = np.random.default_rng(0).integers(0, 256, (2, height, width, 3), dtype=np.uint8)
    keypoints, _ = model.predict_crops(crops)
    one_pass = LandmarkModel(onnx_copy / "model.onnx")
    mirrored = one_pass.predict_crops(np.ascontiguousarray(crops[:, :, ::-1]))[0]
    unmirrored = np.stack([width - 1 - mirrored[..., 0], mirrored[..., 1]], axis=-1)
    np.testing.assert_allclose(keypoints, (one_pass.predict_crops(crops)[0] + unmirrored) / 2, atol=1e-4)


def test_a_sidecar_whose_flip_declared_is_not_a_bool_is_refused(onnx_copy):
    edit_sidecar(onnx_copy, lambda content: content["keypoints"].update(flip_declared="yes"))
    with pytest.raises(SidecarError, match="keypoints.flip_declared' must be bool"):
        LandmarkModel(onnx_copy / "model.onnx")
