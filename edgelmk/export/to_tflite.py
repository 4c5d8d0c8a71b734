"""TFLite and LCE export through the Keras mirror (:mod:`edgelmk.keras`).

- ``tflite``: TensorFlow's converter; float, or full-integer int8 (int8 input and output,
  ranges from a representative dataset of the recipe's crops; weight scales per output channel,
  or per tensor where the architecture says so, :func:`edgelmk.architecture.int8_per_channel`). Binary convolutions become
  standard ops (SIGN, PADV2, CONV_2D with +-1 weights, a per-channel MUL by mean |W|).
- ``lce``: Larq Compute Engine's converter; binary convolutions become ``LceBconv2d``.

Inputs are (1, H, W, 3) RGB 0..255 (int8: real = scale * (q - zero_point)); outputs (1, K, h, w), each
keypoint's map contiguous for the decoder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from edgelmk.architecture import int8_per_channel
from edgelmk.optional import require


_TENSOR_TYPES = {"FLOAT32": "float32", "INT8": "int8", "UINT8": "uint8"}


def _schema():
    return require("tensorflow.lite.python.schema_py_generated", "tflite", "reading TFLite files")


def _tensor(schema, graph, index: int, name: str, layout: str) -> dict:
    tensor = graph.Tensors(index)
    type_names = {value: key for key, value in vars(schema.TensorType).items() if not key.startswith("_")}
    quantization = tensor.Quantization()
    scales = quantization.ScaleAsNumpy() if quantization is not None and quantization.ScaleLength() else [1.0]
    zero_points = (quantization.ZeroPointAsNumpy() if quantization is not None and quantization.ZeroPointLength()
                   else [0])
    return {"name": name, "layout": layout, "shape": [int(d) for d in tensor.ShapeAsNumpy()],
            "dtype": _TENSOR_TYPES[type_names[tensor.Type()]], "scale": float(scales[0]),
            "zero_point": int(zero_points[0])}


def tensor_descriptions(flatbuffer: bytes) -> dict:
    """The sidecar's ``input`` / ``output`` entries (shape, dtype, quantization) read from a TFLite flatbuffer.

    The mirrors take NHWC images and return channels-first maps (:func:`edgelmk.keras.layers.finish_model`).
    """
    schema = _schema()
    graph = schema.Model.GetRootAsModel(flatbuffer, 0).Subgraphs(0)
    return {"input": _tensor(schema, graph, int(graph.Inputs(0)), "image", "NHWC"),
            "output": _tensor(schema, graph, int(graph.Outputs(0)), "heatmaps", "NCHW")}


def operator_counts(flatbuffer: bytes) -> Counter:
    """How many times each operator (builtin or custom, e.g. ``LceBconv2d``) occurs in a TFLite model."""
    schema = _schema()
    model = schema.Model.GetRootAsModel(flatbuffer, 0)
    builtin_names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    codes = []
    for index in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(index)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        codes.append(code.CustomCode().decode() if code.CustomCode() else builtin_names.get(builtin, str(builtin)))
    counts: Counter = Counter()
    for graph_index in range(model.SubgraphsLength()):
        graph = model.Subgraphs(graph_index)
        for op_index in range(graph.OperatorsLength()):
            counts[codes[graph.Operators(op_index).OpcodeIndex()]] += 1
    return counts


def without_intermediate_names(flatbuffer: bytes) -> bytes:
    """The same model with its intermediate tensors unnamed (TensorFlow writes each one's op path).

    The names are 4 to 5% of a small model's file and nothing runs on them; the input and output
    tensors keep theirs and the signature its entries, so ``get_input_details``, signature runners
    and the Android demo see what they saw before (Netron shows the intermediate tensors unnamed).
    """
    utils = require("tensorflow.lite.tools.flatbuffer_utils", "tflite", "writing TFLite files")
    model = utils.convert_bytearray_to_object(flatbuffer)
    for graph in model.subgraphs:
        named = {int(index) for index in (*graph.inputs, *graph.outputs)}
        for index, tensor in enumerate(graph.tensors):
            if index not in named:
                tensor.name = None
    return bytes(utils.convert_object_to_bytearray(model))


def keras_mirror(trained):
    """The Keras model equal to a trained model of either backend, ending with its codec's output activation."""
    return trained.backend.engine().export_mirror(trained.model, trained.config["model"]["name"],
                                                   trained.codec.output_activation)


def export_tflite(trained, path: Path, int8: bool, calibration: np.ndarray) -> dict:
    """Write a TFLite file (float, or int8 in/out with ``int8``); returns the sidecar tensor entries.

    Args:
        trained: a checkpoint's :class:`edgelmk.engine.TrainedModel`, either backend.
        calibration: (N, H, W, 3) uint8 crops, the representative dataset of int8 conversion.
    """
    mirror = keras_mirror(trained)
    tf = require("tensorflow", "tflite", "TFLite export")
    converter = tf.lite.TFLiteConverter.from_keras_model(mirror)
    if int8:
        def representative():
            for crop in calibration:
                yield [crop[None].astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        if not int8_per_channel(trained.config["model"]["name"]):
            converter._experimental_disable_per_channel = True  # TensorFlow's switch to per-tensor weight scales
    flatbuffer = without_intermediate_names(converter.convert())
    path.write_bytes(flatbuffer)
    return tensor_descriptions(flatbuffer)


def export_lce(trained, path: Path, int8: bool, calibration: np.ndarray) -> dict:
    """Write an LCE flatbuffer (``LceBconv2d`` binary convolutions; float input and output).

    ``int8`` is refused before this is called (:func:`edgelmk.targets.check_target`).
    """
    mirror = keras_mirror(trained)
    lce = require("larq_compute_engine", "tflite", "LCE export")
    flatbuffer = without_intermediate_names(lce.convert_keras_model(mirror))
    path.write_bytes(flatbuffer)
    if not operator_counts(flatbuffer)["LceBconv2d"]:
        raise RuntimeError(f"{path}: LCE's converter produced no LceBconv2d op; the binary layers were not recognized")
    return tensor_descriptions(flatbuffer)
