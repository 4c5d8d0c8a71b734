"""An exported landmark model with its sidecar: preprocess, run, decode. numpy + interpreter only.

Typical use::

    from edgelmk.runtime import LandmarkModel
    model = LandmarkModel("export/model.tflite", threads=4)
    keypoints, scores = model.predict(image_rgb_uint8, box=(x0, y0, x1, y1))

``flip_test=True`` also runs each crop's mirror image and averages the two (:mod:`edgelmk.flip`, as
the recipe key ``eval.flip_test`` does in training): often a few percent lower error for twice the
inference time.

The box is cropped exactly as in training (:func:`edgelmk.preprocess.crop_matrix` and
:func:`edgelmk.preprocess.warp` with the sidecar's margin), the crop goes through the
interpreter, and the codec rebuilt from the sidecar decodes the maps through
``Codec.prepared_decoder`` (``decode`` / ``decode_int8`` prepared once per model); int8 outputs
are searched as raw integers, never dequantized whole.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edgelmk.codecs import CODECS
from edgelmk.flip import flip_averaged, flip_permutation, sidecar_declares_flips
from edgelmk.preprocess import crop_matrix, to_original, to_rgb_uint8, warp
from edgelmk.runtime import sidecar as sidecars
from edgelmk.runtime.interpreters import open_interpreter
from edgelmk.targets import target_named


def _check_file_type(path: Path, target: str) -> None:
    """Refuse a file whose suffix or content does not match the sidecar's target."""
    suffix = target_named(target).suffix
    if path.suffix != suffix:
        raise ValueError(f"{path}: the sidecar says target {target!r}, which needs a {suffix} file")
    head = path.read_bytes()[:8]
    is_tflite = head[4:8] == b"TFL3"
    if is_tflite != (target != "onnx"):
        kind = "a TFLite flatbuffer" if is_tflite else "not a TFLite flatbuffer"
        raise ValueError(f"{path}: the file is {kind}, but its sidecar says target {target!r}; re-export it")


def encode_input(crops: np.ndarray, spec: dict) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB crops -> a model input as the sidecar's ``input`` spec describes it.

    float32 inputs take the pixel values as they are; int8 / uint8 inputs are quantized with
    ``q = clip(round(v / scale) + zero_point)`` (round half to even). The Android core
    (``InputEncoder``) does the same and is tested against this function.
    """
    inputs = crops if spec["layout"] == "NHWC" else crops.transpose(0, 3, 1, 2)
    if spec["dtype"] == "float32":
        return np.ascontiguousarray(inputs, dtype=np.float32)
    info = np.iinfo(spec["dtype"])
    quantized = np.round(inputs.astype(np.float32) / spec["scale"]) + spec["zero_point"]
    return np.ascontiguousarray(np.clip(quantized, info.min, info.max).astype(spec["dtype"]))


def output_decoder(spec: dict, codec) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], str]:
    """The decode of one model's raw outputs (sidecar ``output`` spec), prepared once, and where it runs.

    Returns:
        (decode, backend): ``decode(outputs)`` -> keypoints (N, K, 2) in crop pixels, scores (N, K);
        ``backend`` ``"compiled"`` or ``"numpy"`` (:meth:`edgelmk.codecs.base.Codec.prepared_decoder`).
        Float maps, and int8 / uint8 maps of a codec with an integer decode, go through
        ``Codec.prepared_decoder``; other integer maps are dequantized first. Channels-first maps
        (what edgelmk exports write) are decoded where they lie; channels-last ones (older TFLite
        exports) are transposed first.
    """
    if spec["dtype"] == "float32":
        decode, backend = codec.prepared_decoder(spec["dtype"])
    elif codec.decodes_int8:
        decode, backend = codec.prepared_decoder(spec["dtype"], spec["scale"], spec["zero_point"])
    else:
        def decode(maps):
            return codec.decode(spec["scale"] * (maps.astype(np.float32) - spec["zero_point"]))
        backend = "numpy"
    if spec["layout"] == "NCHW":
        return decode, backend
    return (lambda outputs: decode(outputs.transpose(0, 3, 1, 2))), backend


def decode_output(outputs: np.ndarray, spec: dict, codec) -> tuple[np.ndarray, np.ndarray]:
    """A raw model output (sidecar ``output`` spec) -> keypoints (N, K, 2) in crop pixels, scores (N, K)
    (:func:`output_decoder`, for a single call)."""
    return output_decoder(spec, codec)[0](outputs)


def crop_box(image: np.ndarray, input_hw: Sequence[int], margin: float, box: Sequence[float] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """The (H, W, 3) uint8 crop of a box (x0, y0, x1, y1; default the whole image) and its (2, 3) matrix.

    Args:
        image: any image :func:`edgelmk.preprocess.to_rgb_uint8` takes.
        input_hw: (H, W) of the crop, pixels.
        margin: the model's crop margin (sidecar ``crop.margin``).
        box: x0, y0, x1, y1 in image pixels.
    """
    image = to_rgb_uint8(np.asarray(image), "image")
    height, width = image.shape[:2]
    box = (0.0, 0.0, width - 1.0, height - 1.0) if box is None else tuple(float(v) for v in box)
    if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"box must be x0, y0, x1, y1 with x1 > x0 and y1 > y0 (pixels), got {box}")
    matrix = crop_matrix(np.asarray(box, np.float32), input_hw, margin)  # boxes are float32, as in training
    return warp(image, matrix, input_hw), matrix


class LandmarkModel:
    """An exported model file plus its ``model.json``.

    Args:
        model_path: the ``.onnx`` or ``.tflite`` file written by ``edgelmk export``.
        threads: interpreter threads.
        flip_test: predict each crop and its mirror image and average the two (twice the inference); the
            mirrored points are relabelled by the sidecar's ``keypoints.flip_pairs`` (refused when its scheme
            declares none).

    Attributes:
        sidecar: the parsed ``model.json``.
        codec: the decoder of the training recipe.
        input_hw: (H, W) of the crops the network takes, pixels.
        timings: seconds spent in the last call, by stage (preprocess, inference, decode; both passes of
            the flip test).
        decode_backend: where the outputs decode, ``"compiled"`` or ``"numpy"``, chosen when the model
            is opened (:func:`output_decoder`; ``EDGELMK_DECODE_BACKEND``).
    """

    def __init__(self, model_path: str | Path, threads: int = 1, flip_test: bool = False):
        self.path, self.flip_test = Path(model_path), flip_test
        if not self.path.is_file():
            raise ValueError(f"{self.path}: model file not found (give the .onnx / .tflite written by edgelmk export)")
        self.sidecar = sidecars.read(self.path)
        target = self.sidecar["target"]
        _check_file_type(self.path, target)
        self.interpreter = open_interpreter(self.path, target, threads)
        self.input_hw = tuple(self.sidecar["input"]["hw"])
        self.codec = CODECS.build(self.sidecar["codec"])
        self.timings: dict[str, float] = {}
        self._check_against_interpreter()
        self._decode, self.decode_backend = output_decoder(self.sidecar["output"], self.codec)
        self._output_shape = tuple(self.sidecar["output"]["shape"][1:])  # per crop
        keypoints = self.sidecar["keypoints"]
        if flip_test and not sidecar_declares_flips(keypoints):
            raise ValueError(f"{sidecars.sidecar_path(self.path)} declares no keypoints.flip_pairs, so the flip test "
                             "cannot tell which points a mirror image swaps; leave flip_test off (or re-export a "
                             "model whose recipe's skeleton declares its flip_pairs)")
        self._flip_index = flip_permutation(keypoints["flip_pairs"], len(keypoints["names"]))

    @property
    def scheme(self) -> str:
        """The landmark scheme's name (``300w``, ``cofw``, ``coco``...: the sidecar's skeleton)."""
        return self.sidecar["keypoints"].get("skeleton", "")

    def _check_against_interpreter(self) -> None:
        """The interpreter's tensors must be what the sidecar says (shape without batch, dtype)."""
        where = sidecars.sidecar_path(self.path)
        for side, shape, dtype in (("input", self.interpreter.input_shape, self.interpreter.input_dtype),
                                   ("output", self.interpreter.output_shape, self.interpreter.output_dtype)):
            described = self.sidecar[side]
            sizes_differ = any(size is not None and size != expected
                               for size, expected in zip(shape[1:], described["shape"][1:]))
            if len(shape) != len(described["shape"]) or sizes_differ or dtype != np.dtype(described["dtype"]):
                raise sidecars.SidecarError(
                    f"{where}: the model's {side} is {tuple(shape)} {dtype}, but the sidecar says "
                    f"{tuple(described['shape'])} {described['dtype']}; the model file and model.json come from "
                    "different exports")

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB crops -> the interpreter's input (layout, dtype, quantization)."""
        return encode_input(crops, self.sidecar["input"])

    def decode(self, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw interpreter output -> keypoints (N, K, 2) in crop pixels and scores (N, K)."""
        return self._decode(outputs)

    def predict_crops(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 RGB crops."""
        crops = np.asarray(crops)
        if crops.ndim != 4 or crops.shape[1:] != (*self.input_hw, 3) or crops.dtype != np.uint8:
            raise ValueError(f"crops must be (N, {self.input_hw[0]}, {self.input_hw[1]}, 3) uint8 RGB, got "
                             f"{crops.shape} {crops.dtype}; use predict(image, box) to crop full images")
        self.timings = {"preprocess": 0.0, "inference": 0.0, "decode": 0.0}
        if self.flip_test:
            return flip_averaged(self._one_pass, crops, self._flip_index)
        return self._one_pass(crops)

    def _one_pass(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_crops` without the flip test; adds its seconds to :attr:`timings`."""
        start = time.perf_counter()
        inputs = self.preprocess(crops)
        prepared = time.perf_counter()
        batch = self.interpreter.input_shape[0]
        if batch == len(inputs) or self.sidecar["target"] == "onnx":
            outputs = self.interpreter.run(inputs)
        else:  # TFLite models have a fixed batch of 1
            outputs = np.concatenate([self.interpreter.run(inputs[i:i + 1]) for i in range(len(inputs))])
        inferred = time.perf_counter()
        if outputs.shape[1:] != self._output_shape:
            raise sidecars.SidecarError(
                f"{sidecars.sidecar_path(self.path)}: the model returned {outputs.shape[1:]} per crop, but the sidecar "
                f"says {tuple(self.sidecar['output']['shape'][1:])}; the model file and model.json come from "
                "different exports")
        keypoints, scores = self.decode(outputs)
        for stage, seconds in (("preprocess", prepared - start), ("inference", inferred - prepared),
                               ("decode", time.perf_counter() - inferred)):
            self.timings[stage] += seconds
        return keypoints, scores

    def crop_image(self, image: np.ndarray, box: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The (H, W, 3) uint8 crop of a box (default: the whole image) and its (2, 3) image -> crop matrix."""
        return crop_box(image, self.input_hw, self.sidecar["crop"]["margin"], box)

    def predict(self, image: np.ndarray, box: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (K, 2) in the image's pixels and scores (K,) for one box of an RGB image.

        Args:
            image: (H, W, 3) RGB uint8 (grey, RGBA, 16-bit and float images are converted, see
                :func:`edgelmk.preprocess.to_rgb_uint8`).
            box: x0, y0, x1, y1 in pixels around the face or person; the whole image when None.
        """
        start = time.perf_counter()
        crop, matrix = self.crop_image(image, box)
        cropped = time.perf_counter() - start
        keypoints, scores = self.predict_crops(crop[None])
        self.timings["preprocess"] += cropped
        return to_original(keypoints[0], matrix), scores[0]
