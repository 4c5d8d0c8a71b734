"""ONNX export: float (TorchScript exporter), int8 by Brevitas QCDQ (w8a8) or onnxruntime static quantization.

The files use opset 17 and the lowest IR version that opset needs, so the pinned onnxruntime
(IR <= 13) reads them. w1a1 models are plain ONNX: sign is GreaterOrEqual/Cast/Mul/Sub and the
binary weights are folded (:mod:`edgelmk.export.torch_graph`); no custom ops.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from edgelmk.architecture import int8_per_channel
from edgelmk.export.torch_graph import ExportGraph
from edgelmk.optional import require

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "image", "heatmaps"


def _lowest_ir_version(path: Path) -> None:
    onnx = require("onnx", "torch", "ONNX export")
    model = onnx.load(str(path))
    model.ir_version = onnx.helper.find_min_ir_version_for(list(model.opset_import), ignore_unknown=True)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _trace(graph: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation and constant-folding notes
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (example,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


def _brevitas_qcdq(graph: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    require("onnxoptimizer", "torch", "Brevitas ONNX export")
    qcdq = require("brevitas.export", "torch", "Brevitas ONNX export")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qcdq.export_onnx_qcdq(graph, args=example, export_path=str(path), opset_version=OPSET, dynamo=False,
                              input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


@contextlib.contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


class _Calibration:
    """onnxruntime's CalibrationDataReader protocol over (N, 3, H, W) float images, a few at a time."""

    def __init__(self, images: np.ndarray, batch: int = 8):
        self.batches = iter([{INPUT_NAME: images[i:i + batch]} for i in range(0, len(images), batch)])

    def get_next(self):
        return next(self.batches, None)


def _static_int8(float_path: Path, path: Path, images: np.ndarray, per_channel: bool) -> None:
    quantization = require("onnxruntime.quantization", "torch", "int8 ONNX export")
    # its per-channel notes about batch-norm scales (rank 1, quantized per tensor) go to the root logger
    with tempfile.TemporaryDirectory() as folder, _quiet_root_logger():
        prepared = Path(folder) / "prepared.onnx"
        quantization.shape_inference.quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
        quantization.quantize_static(str(prepared), str(path), _Calibration(images),
                                     quant_format=quantization.QuantFormat.QDQ, per_channel=per_channel,
                                     activation_type=quantization.QuantType.QInt8,
                                     weight_type=quantization.QuantType.QInt8,
                                     calibrate_method=quantization.CalibrationMethod.MinMax)


def export_onnx(trained, path: Path, int8: bool, calibration: np.ndarray) -> dict:
    """Write ``path`` (.onnx) and return the sidecar's ``input`` / ``output`` tensor descriptions.

    Args:
        trained: a PyTorch checkpoint's :class:`edgelmk.engine.TrainedModel` (a StackedHourglass; its
            codec chooses the output activation).
        int8: quantize: Brevitas QCDQ for w8a8 models, onnxruntime static QDQ quantization otherwise.
        calibration: (N, H, W, 3) uint8 crops of the recipe's data (the static quantization's ranges).

    The file keeps float32 input (NCHW, 0..255) and output (NCHW); int8 lives inside the graph.
    """
    model = trained.model
    precision = model.config["precision"]
    graph = ExportGraph(model, trained.codec.name).eval()
    height, width = model.config["input_hw"]
    example = torch.from_numpy(calibration[:1].transpose(0, 3, 1, 2).astype(np.float32))
    with torch.no_grad():
        if precision == "w8a8":
            _brevitas_qcdq(graph, example, path)
        elif int8:
            with tempfile.TemporaryDirectory() as folder:
                float_path = Path(folder) / "float.onnx"
                _trace(graph, example, float_path)
                _static_int8(float_path, path, calibration.transpose(0, 3, 1, 2).astype(np.float32),
                             int8_per_channel(trained.config["model"]["name"]))
        else:
            _trace(graph, example, path)
    _lowest_ir_version(path)
    k, (h, w) = model.config["num_keypoints"], model.config["heatmap_hw"]
    return {"input": {"name": INPUT_NAME, "layout": "NCHW", "shape": [1, 3, height, width], "dtype": "float32",
                      "scale": 1.0, "zero_point": 0},
            "output": {"name": OUTPUT_NAME, "layout": "NCHW", "shape": [1, k, h, w], "dtype": "float32",
                       "scale": 1.0, "zero_point": 0}}
