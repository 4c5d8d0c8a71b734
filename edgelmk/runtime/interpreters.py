"""Interpreters behind one small interface: onnxruntime, LiteRT (or tflite-runtime), LCE.

Each interpreter loads one model file and runs one batch: ``run(inputs) -> outputs`` with the
model's own dtypes and layout (quantization is handled by :mod:`edgelmk.runtime.model`).
None imports torch or tensorflow: the LCE interpreter is loaded from its compiled module
directly, because the ``larq_compute_engine`` package imports TensorFlow for its converter.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from edgelmk.optional import require
from edgelmk.targets import target_named


class Interpreter:
    """An interpreter for one model file.

    Attributes:
        input_shape, output_shape: tuples, batch axis first; None where the file leaves a size open.
        input_dtype, output_dtype: numpy dtypes of the model's tensors.
        name: which interpreter runs it.
    """

    name = ""
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_dtype: np.dtype
    output_dtype: np.dtype

    def run(self, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class OnnxInterpreter(Interpreter):
    name = "onnxruntime"

    def __init__(self, path: Path, threads: int):
        ort = require("onnxruntime", "runtime", "running ONNX models")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad files
            raise ValueError(f"{path}: onnxruntime cannot load it ({str(error).splitlines()[0][:300]}); is it an "
                             "ONNX model written by `edgelmk export --target onnx`?") from None
        (model_input,), (model_output,) = self.session.get_inputs(), self.session.get_outputs()
        self.input_name = model_input.name
        self.input_shape = tuple(d if isinstance(d, int) else None for d in model_input.shape)
        self.output_shape = tuple(d if isinstance(d, int) else None for d in model_output.shape)
        self.input_dtype = np.dtype(_ONNX_TYPES[model_input.type])
        self.output_dtype = np.dtype(_ONNX_TYPES[model_output.type])

    def run(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: inputs})[0]


_ONNX_TYPES = {"tensor(float)": "float32", "tensor(int8)": "int8", "tensor(uint8)": "uint8"}


def litert(path: Path, threads: int):
    """LiteRT's (or tflite-runtime's) interpreter of a ``.tflite`` file, tensors allocated, and which one it is."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        name = "ai-edge-litert"
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
            name = "tflite-runtime"
        except ImportError:
            raise ImportError("running TFLite models needs ai-edge-litert (or tflite-runtime): "
                              "pip install 'edgelmk[runtime]' -c constraints.txt") from None
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        message = str(error).splitlines()[0][:300]
        hint = (" It uses Larq Compute Engine ops: run it with the LCE interpreter (target lce)."
                if "Lce" in str(error) else "")
        raise ValueError(f"{path}: the TFLite interpreter cannot load it ({message}).{hint}") from None
    return interpreter, name


class TFLiteInterpreter(Interpreter):
    """LiteRT (ai-edge-litert), or tflite-runtime where LiteRT is not installed."""

    def __init__(self, path: Path, threads: int):
        self.interpreter, self.name = litert(path, threads)
        (self.input_detail,) = self.interpreter.get_input_details()
        (self.output_detail,) = self.interpreter.get_output_details()
        self.input_shape = tuple(int(d) for d in self.input_detail["shape"])
        self.output_shape = tuple(int(d) for d in self.output_detail["shape"])
        self.input_dtype = np.dtype(self.input_detail["dtype"])
        self.output_dtype = np.dtype(self.output_detail["dtype"])

    def run(self, inputs: np.ndarray) -> np.ndarray:
        self.interpreter.set_tensor(self.input_detail["index"], inputs)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_detail["index"])


class LCEInterpreter(Interpreter):
    """Larq Compute Engine's interpreter (x86_64 wheel; on ARM, LCE's own binaries: deploy/raspberry-pi)."""

    name = "lce"

    def __init__(self, path: Path, threads: int):
        wrapper = _lce_interpreter_module()
        try:
            self.interpreter = wrapper.LiteInterpreter(path.read_bytes(), threads, False, False, False)
        except (ValueError, RuntimeError) as error:
            raise ValueError(f"{path}: the LCE interpreter cannot load it ({str(error)[:300]})") from None
        (self.input_shape,), (self.output_shape,) = self.interpreter.input_shapes, self.interpreter.output_shapes
        (input_type,), (output_type,) = self.interpreter.input_types, self.interpreter.output_types
        self.input_dtype, self.output_dtype = np.dtype(input_type), np.dtype(output_type)

    def run(self, inputs: np.ndarray) -> np.ndarray:
        return self.interpreter.predict([inputs])[0]


def _lce_interpreter_module():
    """LCE's compiled interpreter module, without running ``larq_compute_engine/__init__`` (TensorFlow)."""
    package = importlib.util.find_spec("larq_compute_engine")
    if package is None or not package.submodule_search_locations:
        raise ImportError("running LCE models needs larq-compute-engine (x86_64 only on PyPI): "
                          "pip install 'edgelmk[tflite]' -c constraints.txt; on ARM use LCE's own benchmark "
                          "binary (deploy/raspberry-pi/README.md)")
    folder = Path(list(package.submodule_search_locations)[0]) / "tflite" / "python"
    candidates = sorted(folder.glob("interpreter_wrapper_lite*.so"))
    if not candidates:
        raise ImportError(f"larq-compute-engine is installed but {folder} has no interpreter_wrapper_lite module")
    spec = importlib.util.spec_from_file_location("interpreter_wrapper_lite", candidates[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: interpreter name (the ``interpreter`` column of :data:`edgelmk.targets.TARGETS`) -> class
INTERPRETERS: dict[str, type[Interpreter]] = {"onnxruntime": OnnxInterpreter, "litert": TFLiteInterpreter,
                                              "lce": LCEInterpreter}


def open_interpreter(path: Path, target: str, threads: int = 1) -> Interpreter:
    """The interpreter of an exported file of ``target`` (a row of :data:`edgelmk.targets.TARGETS`)."""
    return INTERPRETERS[target_named(target).interpreter](path, threads)
