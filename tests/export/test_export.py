"""edgelmk.export: every target writes a model + sidecar, runs in the runtime and matches PyTorch.

Parity bounds (keypoint distance, pixels of the network input, on the recipe's validation crops):
- float targets: 0.05 px for every keypoint of fp32 models; for w1a1 models 0.05 px for 99% of
  keypoints, because a batch-norm output within float rounding of 0 may binarize to the other
  sign in another kernel (PyTorch, onnxruntime, TFLite and LCE sum in different orders);
- int8 targets: compared on the output maps (dequantized), in output quantization steps of
  1/255: fp32 models within 2 steps everywhere, w1a1 models within 1 step on average (a few
  binarized activations flip when the values before them are rounded to int8). Keypoints are
  not compared here: the tiny test models' maps are nearly flat after 2 epochs, so their argmax
  moves with any rounding. The slow quickstart test checks int8 keypoints on a trained model.
"""

import numpy as np
import pytest

from tests.helpers import optional_import

torch = optional_import("torch")
onnx = optional_import("onnx")
optional_import("onnxruntime")

from edgelmk.export import check_target  # noqa: E402
from edgelmk.runtime import LandmarkModel  # noqa: E402

FLOAT_PX = 0.05
STEP = 1 / 255  # output quantization step of a softmax in [0, 1]


def map_error(content, folder, checkpoint, codec="h3r"):
    """|exported maps (dequantized) - PyTorch maps| on the calibration crops, (N, K, h, w)."""
    from edgelmk import engine
    from edgelmk.export import calibration_crops
    from edgelmk.export.torch_graph import ExportGraph

    trained = engine.load_checkpoint(checkpoint, "cpu")
    crops = calibration_crops(trained.config, 8)
    exported = LandmarkModel(folder / content["model_file"])
    outputs = np.concatenate([exported.interpreter.run(exported.preprocess(crop[None])) for crop in crops])
    spec = content["output"]
    maps = spec["scale"] * (outputs.astype(np.float32) - spec["zero_point"])
    maps = maps.transpose(0, 3, 1, 2) if spec["layout"] == "NHWC" else maps
    with torch.no_grad():
        reference = ExportGraph(trained.model, codec)(torch.from_numpy(crops.transpose(0, 3, 1, 2)).float()).numpy()
    return np.abs(maps - reference)


def assert_int8_maps_close(content, folder, checkpoint, precision):
    error = map_error(content, folder, checkpoint)
    if precision == "fp32":
        assert error.max() <= 2 * STEP, error.max() / STEP
    else:
        assert error.mean() <= STEP, error.mean() / STEP


def assert_float_parity(parity, precision):
    assert parity["samples"] == 8
    if precision == "fp32":
        assert parity["max_px"] <= FLOAT_PX, parity
    else:
        assert parity["p99_px"] <= FLOAT_PX, parity


#: (precision, network) of the exported tiny checkpoints (tests/conftest.py MODELS): both hourglasses, the binary one
#: with RPReLU and shortcuts, and the mobile network
FLOAT_MODELS = [("fp32", "hourglass"), ("w1a1", "hourglass"), ("w1a1", "bireal"), ("fp32", "mobile")]


@pytest.mark.parametrize("precision, model", FLOAT_MODELS)
def test_onnx_float(export_factory, precision, model):
    content, folder, checkpoint = export_factory("onnx", precision=precision, model=model)
    assert_float_parity(content["parity"], precision)
    model = onnx.load(str(folder / "model.onnx"))
    assert model.ir_version <= 13  # readable by the pinned onnxruntime
    assert {node.domain for node in model.graph.node} <= {""}  # standard ops only: sign is rewritten
    assert content["input"]["dtype"] == "float32" and content["output"]["activation"] == "spatial_softmax"


@pytest.mark.parametrize("precision, model", [("fp32", "hourglass"), ("w8a8", "hourglass"), ("fp32", "mobile")])
def test_onnx_int8(export_factory, precision, model):
    optional_import("onnxoptimizer")
    content, folder, checkpoint = export_factory("onnx", int8=True, precision=precision, model=model)
    assert_int8_maps_close(content, folder, checkpoint, precision)
    ops = {node.op_type for node in onnx.load(str(folder / "model.onnx")).graph.node}
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops


@pytest.mark.parametrize("precision, model", FLOAT_MODELS)
def test_tflite_float(export_factory, precision, model):
    optional_import("tensorflow")
    content, folder, checkpoint = export_factory("tflite", precision=precision, model=model)
    assert_float_parity(content["parity"], precision)
    assert content["input"]["layout"] == "NHWC" and content["output"]["layout"] == "NCHW"
    assert content["output"]["shape"] == [1, 68, 8, 8]  # channels first: each map contiguous for the decoder


@pytest.mark.parametrize("precision, model", FLOAT_MODELS)
def test_tflite_int8_is_full_integer_in_and_out(export_factory, precision, model):
    optional_import("tensorflow")
    content, folder, checkpoint = export_factory("tflite", int8=True, precision=precision, model=model)
    assert content["input"]["dtype"] == "int8" and content["output"]["dtype"] == "int8"
    assert 0 < content["output"]["scale"] < 1 and -128 <= content["output"]["zero_point"] <= 127
    assert_int8_maps_close(content, folder, checkpoint, precision)
    float_size = (export_factory("tflite", precision=precision, model=model)[1] / "model.tflite").stat().st_size
    assert (folder / "model.tflite").stat().st_size < float_size  # the quickstart models' ratios are in the README


def test_mobile_int8_tflite_is_plain_int8_operators_with_per_tensor_weights(export_factory):
    optional_import("tensorflow")
    from edgelmk import engine
    from edgelmk.export.to_tflite import operator_counts
    from edgelmk.nn.mobile import InvertedResidual

    content, folder, checkpoint = export_factory("tflite", int8=True, precision="fp32", model="mobile")
    operators = operator_counts((folder / "model.tflite").read_bytes())
    blocks = sum(isinstance(module, InvertedResidual) for module in engine.load_checkpoint(checkpoint).model.modules())
    assert operators["DEPTHWISE_CONV_2D"] == blocks and not {"PAD", "PADV2", "DEQUANTIZE"} & set(operators)
    tensors = LandmarkModel(folder / "model.tflite").interpreter.interpreter.get_tensor_details()
    convolution_tensors = [d for d in tensors if len(d["shape"]) == 4 and d["dtype"] == np.int8]
    assert convolution_tensors and all(d["quantization_parameters"]["scales"].size == 1 for d in convolution_tensors)


def test_tflite_files_name_only_their_input_and_output_tensors(export_factory):
    optional_import("tensorflow")
    folder = export_factory("tflite", int8=True, precision="fp32", model="mobile")[1]
    interpreter = LandmarkModel(folder / "model.tflite").interpreter.interpreter
    ends = {d["index"] for d in (*interpreter.get_input_details(), *interpreter.get_output_details())}
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    assert len(names) > 20 and all(names[index] for index in ends)
    assert not [name for index, name in names.items() if name and index not in ends]
    assert interpreter.get_signature_list()["serving_default"]["inputs"] == ["image"]


@pytest.mark.parametrize("model", ["hourglass", "bireal"])
def test_lce_has_binary_ops_and_its_interpreter_matches_pytorch(export_factory, model):
    optional_import("larq_compute_engine")
    from edgelmk.export.to_tflite import operator_counts

    content, folder, checkpoint = export_factory("lce", model=model)
    operators = operator_counts((folder / "model.tflite").read_bytes())
    assert operators["LceBconv2d"] >= 10 and operators["CONV_2D"] <= 4  # only the float stem, head remain
    if model == "bireal":  # every binary conv keeps its RPReLU; the shortcuts are adds
        assert operators["PRELU"] == operators["LceBconv2d"], operators
    assert LandmarkModel(folder / "model.tflite").interpreter.name == "lce"
    assert_float_parity(content["parity"], "w1a1")
    float_size = (export_factory("tflite", model=model)[1] / "model.tflite").stat().st_size
    # RPReLU's slopes and shifts (3 floats a channel) and the extra operators weigh on a width-32 toy network
    # (1/3.7 here); at the benchmark's width 64 the file grows by ~10% (README, binary training options)
    assert (folder / "model.tflite").stat().st_size < float_size / (4 if model == "hourglass" else 3.5)


def test_step_one_of_the_two_step_schedule_is_not_exported(checkpoint_factory, tmp_path):
    from edgelmk.errors import EdgelmkError
    from edgelmk.export import export_checkpoint

    with pytest.raises(EdgelmkError, match=r"real weights behind its binary activations.*Train step two from it"):
        export_checkpoint(checkpoint_factory(model="step-one"), "onnx", tmp_path, samples=2, log=lambda *_: None)
    assert not list(tmp_path.iterdir())


def test_sidecar_describes_what_the_runtime_needs(export_factory):
    content, _, _ = export_factory("onnx")
    from edgelmk.codecs import CODECS

    assert content["codec"]["name"] == "h3r" and CODECS.build(content["codec"]).to_config() == content["codec"]
    assert content["codec"]["input_hw"] == [32, 32] and content["codec"]["heatmap_hw"] == [8, 8]
    assert content["input"]["hw"] == [32, 32] and len(content["input"]["mean"]) == 3
    assert len(content["keypoints"]["names"]) == 68 and [36, 45] in content["keypoints"]["flip_pairs"]
    assert content["keypoints"]["flip_declared"] is True
    assert [0, 1] in content["keypoints"]["lines"]  # so predict draws a declared scheme from the sidecar alone
    assert content["edgelmk_version"] and content["crop"]["margin"] == 0.25


@pytest.mark.parametrize("precision,target,int8,message", [
    ("fp32", "lce", False, "target lce runs binarized"),
    ("w8a8", "tflite", True, "--target onnx --int8"),
    ("w1a1", "lce", True, "drop --int8"),
    ("w8a8", "onnx", False, "add --int8"),
    ("w1a1", "coreml", False, "unknown target"),
])
def test_targets_refuse_what_they_cannot_express(precision, target, int8, message):
    with pytest.raises(ValueError, match=message):
        check_target(precision, target, int8)
