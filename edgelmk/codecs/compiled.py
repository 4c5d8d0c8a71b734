"""h3r's window decode compiled with numba: raw maps in, image keypoints and scores out, in one call.

Chosen through :func:`edgelmk.codecs.peaks.compiled_window_decode`, which answers None (decode
with numpy) where numba does not load. On int8 / uint8 maps both give the same bits: the same
first maximum in row-major order, the same integer sums of ``max(q - zero_point, 0)`` over the
window (pixels outside the map left out), the same float64 ``sum * (1.0 / total)``, then
:func:`edgelmk.geometry.heatmap_coordinate_to_image` (compiled from the same function) and
``scale * (q_max - zero_point)``, each rounded once to float32. float32 maps take the same steps
with float64 sums in row-major order, which numpy's matrix product may order otherwise: equal up
to float rounding. numpy's calls cost about 1 us each whatever the map size, which at 68 maps of
16x16 is most of the decode; these kernels take about 4.3 us (int8) and 6.4 us (float32) for
them, compiled once per dtype on first use and cached on disk (``cache=True``)."""

from __future__ import annotations

import numba
import numpy as np

from edgelmk import geometry

_to_image = numba.njit(cache=True, nogil=True)(geometry.heatmap_coordinate_to_image)


@numba.njit(cache=True, nogil=True)
def window_keypoints(maps, settings, image_settings, keypoints, scores):
    """Fill ``keypoints`` and ``scores`` for N * K raw int8 / uint8 maps (few arguments: each costs time per call).

    Args:
        maps: (N, K, H, W) int8 or uint8 C-contiguous maps, H*W <= 65536.
        settings: int64 [radius, zero_point]: the window is ``(2 radius + 1)^2`` pixels about the
            maximum; the zero point is subtracted from every value.
        image_settings: float64 [stride_x, stride_y, scale]: input-image pixels per heatmap pixel,
            and real units per integer step.
        keypoints: (N, K, 2) float32 output, input-image pixels: the window's weighted mean column
            and row, or the maximum's own where every window weight is 0.
        scores: (N, K) float32 output: ``scale * (q - zero_point)`` at the maximum.

    Returns:
        True (:func:`window_keypoints_float` answers False for a NaN or inf in the maps).
    """
    n, k, height, width = maps.shape
    flat = maps.reshape(n * k, height * width)
    points, values = keypoints.reshape(n * k, 2), scores.reshape(n * k)
    for i in range(n * k):
        _write_keypoint(flat, i, _integer_peak(flat, i), height, width, settings, image_settings, points, values)
    return True


@numba.njit(cache=True, nogil=True)
def window_keypoints_float(maps, settings, image_settings, keypoints, scores):
    """:func:`window_keypoints` for (N, K, H, W) float32 maps with zero point 0 and scale 1: the same
    float64 sums as numpy's, in row-major order. False where a map holds NaN or inf (the outputs are then
    incomplete)."""
    n, k, height, width = maps.shape
    flat = maps.reshape(n * k, height * width)
    bits = flat.view(np.int32)
    points, values = keypoints.reshape(n * k, 2), scores.reshape(n * k)
    for i in range(n * k):
        peak = _float_peak(bits, i)
        if peak < 0:
            return False
        _write_keypoint(flat, i, peak, height, width, settings, image_settings, points, values)
    return True


@numba.njit(cache=True, nogil=True)
def _integer_peak(flat, i):
    """Flat index of the first maximum of map ``i`` of (M, P) integer maps, in two vectorised passes:
    the highest value, then the highest ``65535 - index`` among the pixels that hold it."""
    highest = flat[i, 0]
    for j in range(flat.shape[1]):
        highest = max(highest, flat[i, j])
    lowest = np.int32(0)
    for j in range(flat.shape[1]):
        lowest = max(lowest, np.int32(65535 - j) if flat[i, j] == highest else np.int32(0))
    return 65535 - lowest


@numba.njit(cache=True, nogil=True)
def _float_key(bits):
    """int32 that orders finite float32 values as the floats do (-0 equal to +0), from their bits:
    sign and magnitude to two's complement. int32 throughout, so that the loops vectorise 16 wide."""
    sign = np.int32(bits >> np.int32(31))
    return np.int32(np.int32(bits ^ np.int32(sign & np.int32(0x7FFFFFFF))) - sign)


@numba.njit(cache=True, nogil=True)
def _float_peak(bits, i):
    """:func:`_integer_peak` of float32 maps given as their (M, P) int32 bits, through :func:`_float_key`;
    -1 where the map holds a NaN or inf (exponent bits all ones), found in the same first pass."""
    highest, special = np.int32(-2**31), False
    for j in range(bits.shape[1]):
        highest = max(highest, _float_key(bits[i, j]))
        special |= (bits[i, j] & np.int32(0x7F800000)) == np.int32(0x7F800000)
    if special:
        return -1
    lowest = np.int32(0)
    for j in range(bits.shape[1]):
        lowest = max(lowest, np.int32(65535 - j) if _float_key(bits[i, j]) == highest else np.int32(0))
    return 65535 - lowest


@numba.njit(cache=True, nogil=True)
def _write_keypoint(flat, i, peak, height, width, settings, image_settings, points, values):
    """``points[i]`` (x, y) and ``values[i]`` of map ``i`` of (M, H*W) maps, its maximum at flat index ``peak``."""
    radius, zero_point = settings[0], settings[1]
    row = peak // width
    column = peak - row * width
    total, sum_x, sum_y = 0, 0, 0
    for y in range(max(row - radius, 0), min(row + radius + 1, height)):
        for x in range(max(column - radius, 0), min(column + radius + 1, width)):
            weight = max(flat[i, y * width + x] - zero_point, 0)
            total += weight
            sum_x += weight * x
            sum_y += weight * y
    if total > 0:
        inverse = 1.0 / total
        mean_x, mean_y = sum_x * inverse, sum_y * inverse
    else:
        mean_x, mean_y = np.float64(column), np.float64(row)
    points[i, 0] = _to_image(mean_x, image_settings[0])
    points[i, 1] = _to_image(mean_y, image_settings[1])
    values[i] = image_settings[2] * (flat[i, peak] - zero_point)
