"""Integer-friendly decoding of quantized (int8 / uint8) heatmaps.

A quantized model outputs ``q`` with ``real = scale * (q - zero_point)``. Dequantizing whole
heatmaps costs a multiply per pixel; ``Codec.decode_int8`` never does: it runs the codec's own
peak search on the raw integers, turns only the pixels it gathers into int32 activations
``q - zero_point`` (negatives clamped to 0 where they weigh), accumulates in int32, and
divides once per keypoint at the end (see :mod:`edgelmk.codecs.peaks`). Because ``scale > 0``
preserves order and cancels in a weighted mean, the result equals ``decode`` on the
dequantized maps up to float rounding (the codec tests state the bound).
"""

from __future__ import annotations

from typing import Any

import math

import numpy as np


def check_quantized(heatmaps_q: Any, scale: Any, zero_point: Any) -> tuple[np.ndarray, float, int]:
    """Validate a quantized output; return it unchanged with the scale and zero point as Python numbers.

    Args:
        heatmaps_q: (N, K, H, W) int8 or uint8 model output.
        scale: positive float, real units per integer step (per-tensor quantization).
        zero_point: integer in the range of ``heatmaps_q``'s dtype.

    Raises:
        TypeError / ValueError: saying what was received and what is expected.
    """
    heatmaps_q = np.asarray(heatmaps_q)
    if heatmaps_q.dtype not in (np.int8, np.uint8):
        raise TypeError(
            f"decode_int8 takes int8 or uint8 heatmaps, got dtype {heatmaps_q.dtype}; "
            "for float output use decode()"
        )
    info = _INTEGER_RANGES[heatmaps_q.dtype.char]
    if type(scale) is float and type(zero_point) is int:  # the runtime's case, checked without numpy calls
        scale_value, zero = scale, zero_point
    else:
        scales, zeros = np.asarray(scale, dtype=np.float64), np.asarray(zero_point)
        scale_value = float(scales.item()) if scales.size == 1 else math.nan
        zero = int(zeros.item()) if zeros.size == 1 and zeros.dtype.kind in "iu" else None
    if not (math.isfinite(scale_value) and scale_value > 0):
        raise ValueError(f"scale must be one positive finite number (per-tensor quantization), got {scale!r}")
    if not (isinstance(zero, int) and info[0] <= zero <= info[1]):
        raise ValueError(
            f"zero_point must be one integer in [{info[0]}, {info[1]}] for {heatmaps_q.dtype} heatmaps, "
            f"got {zero_point!r}"
        )
    return heatmaps_q, scale_value, zero


#: (lowest, highest) value of the integer dtypes of quantized heatmaps, by dtype character
_INTEGER_RANGES = {np.dtype(dtype).char: (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
                   for dtype in (np.int8, np.uint8)}



def quantize_per_tensor(values: np.ndarray, dtype: Any = np.int8) -> tuple[np.ndarray, float, int]:
    """Affine per-tensor quantization as TFLite and ONNX Runtime calibrate it.

    The range ``[min(values, 0), max(values, 0)]`` maps onto the full integer range, so real 0
    is exactly representable: ``q = clip(round(values / scale) + zero_point)``.

    Args:
        values: float array of any shape (e.g. (N, K, H, W) heatmaps).
        dtype: np.int8 or np.uint8.

    Returns:
        (q, scale, zero_point) with ``values ~= scale * (q - zero_point)``.
    """
    if np.dtype(dtype) not in (np.int8, np.uint8):
        raise TypeError(f"quantize_per_tensor makes int8 or uint8, got {dtype!r}")
    info = np.iinfo(dtype)
    values = np.asarray(values, dtype=np.float64)
    low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    scale = (high - low) / (info.max - info.min) or 1.0
    zero_point = int(np.clip(round(info.min - low / scale), info.min, info.max))
    q = np.clip(np.round(values / scale) + zero_point, info.min, info.max).astype(dtype)
    return q, scale, zero_point


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """``scale * (q - zero_point)`` as float32 (what a float decoder would be fed)."""
    return ((np.asarray(q, dtype=np.float32) - np.float32(zero_point)) * np.float32(scale)).astype(np.float32)
