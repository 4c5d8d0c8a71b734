"""h3r's int8 / uint8 window decode compiled with numba: maps in, image keypoints and scores out, in one call.

Chosen through :func:`edgelmk.codecs.peaks.compiled_window_decode`, which answers None (decode
with numpy) where numba does not load. Both give the same bits: the same first maximum in
row-major order, the same integer sums of ``max(q - zero_point, 0)`` over the window (pixels
outside the map left out), the same float64 ``sum * (1.0 / total)``, then
:func:`edgelmk.geometry.heatmap_coordinate_to_image` (compiled from the same function) and
``scale * (q_max - zero_point)``, each rounded once to float32. numpy's calls cost about 1 us
each whatever the map size, which at 68 maps of 16x16 is most of the decode; this kernel takes
about 4 us for them (2.6 us of it the peak search), compiled once per dtype on first use and
cached on disk (``cache=True``)."""

from __future__ import annotations

import numba
import numpy as np

from edgelmk import geometry

_to_image = numba.njit(cache=True, nogil=True)(geometry.heatmap_coordinate_to_image)


@numba.njit(cache=True, nogil=True)
def window_keypoints(maps, settings, image_settings, keypoints, scores):
    """Fill ``keypoints`` and ``scores`` for N * K raw maps (few arguments: each costs time per call).

    Args:
        maps: (N, K, H, W) int8 or uint8 C-contiguous maps, H*W <= 65536.
        settings: int64 [radius, zero_point]: the window is ``(2 radius + 1)^2`` pixels about the
            maximum; the zero point is subtracted from every value.
        image_settings: float64 [stride_x, stride_y, scale]: input-image pixels per heatmap pixel,
            and real units per integer step.
        keypoints: (N, K, 2) float32 output, input-image pixels: the window's weighted mean column
            and row, or the maximum's own where every window weight is 0.
        scores: (N, K) float32 output: ``scale * (q - zero_point)`` at the maximum.
    """
    n, k, height, width = maps.shape
    flat, points, values = maps.reshape(n * k, height * width), keypoints.reshape(n * k, 2), scores.reshape(n * k)
    radius, zero_point = settings[0], settings[1]
    stride_x, stride_y, scale = image_settings[0], image_settings[1], image_settings[2]
    for i in range(n * k):
        # two vectorised passes: the highest value, then the lowest index that holds it (the
        # highest 65535 - index; 0 where another value lies)
        highest = flat[i, 0]
        for j in range(height * width):
            highest = max(highest, flat[i, j])
        lowest = np.int32(0)
        for j in range(height * width):
            lowest = max(lowest, np.int32(65535 - j) if flat[i, j] == highest else np.int32(0))
        peak = 65535 - lowest
        row, column = peak // width, peak % width
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
        points[i, 0] = _to_image(mean_x, stride_x)
        points[i, 1] = _to_image(mean_y, stride_y)
        values[i] = scale * (highest - zero_point)
