"""h3r's int8 / uint8 window decode compiled with numba: maps in, image keypoints and scores out, in one pass.

Chosen through :func:`edgelmk.codecs.peaks.compiled_window_decode`, which answers None (decode
with numpy) where numba does not load. Both give the same bits: the same first maximum in
row-major order, the same int32 sums of ``max(q - zero_point, 0)`` over the window (pixels outside
the map left out), the same float64 ``sum * (1.0 / total)``, then
:func:`edgelmk.geometry.heatmap_coordinate_to_image` (compiled from the same function) and
``scale * (q_max - zero_point)``, each rounded once to float32. numpy's calls cost about 1 us
each whatever the map size, which at 68 maps of 16x16 is most of the decode; this kernel takes
about 5 us in all, compiled once per dtype on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from edgelmk import geometry

_to_image = numba.njit(cache=True, nogil=True)(geometry.heatmap_coordinate_to_image)


@numba.njit(cache=True, nogil=True)
def window_keypoints(flat, width, radius, zero_point, stride_x, stride_y, scale, keypoints, scores):
    """Fill ``keypoints`` and ``scores`` for M raw maps.

    Args:
        flat: (M, H*W) int8 or uint8 C-contiguous maps, row-major, H*W <= 65536.
        width: W, map pixels.
        radius: the window is ``(2 radius + 1)^2`` pixels about the maximum.
        zero_point: the quantization zero point, subtracted from every value.
        stride_x, stride_y: input-image pixels per heatmap pixel.
        scale: real units per integer step.
        keypoints: (M, 2) float32 output, input-image pixels: the window's weighted mean column
            and row, or the maximum's own where every window weight is 0.
        scores: (M,) float32 output: ``scale * (q - zero_point)`` at the maximum.
    """
    count, size = flat.shape
    height = size // width
    for i in range(count):
        # one vectorised max over keys (value << 16 | 65535 - index): the highest value, and the
        # lowest index among its ties
        best = np.int32(-2**31)
        for j in range(size):
            best = max(best, (np.int32(flat[i, j]) << np.int32(16)) | np.int32(65535 - j))
        highest, peak = best >> 16, 65535 - (best & 65535)
        row, column = peak // width, peak % width
        total, sum_x, sum_y = np.int32(0), np.int32(0), np.int32(0)
        for y in range(max(row - radius, 0), min(row + radius + 1, height)):
            for x in range(max(column - radius, 0), min(column + radius + 1, width)):
                weight = np.int32(flat[i, y * width + x]) - zero_point
                if weight > 0:
                    total += weight
                    sum_x += weight * x
                    sum_y += weight * y
        if total > 0:
            inverse = 1.0 / total
            mean_x, mean_y = sum_x * inverse, sum_y * inverse
        else:
            mean_x, mean_y = np.float64(column), np.float64(row)
        keypoints[i, 0] = _to_image(mean_x, stride_x)
        keypoints[i, 1] = _to_image(mean_y, stride_y)
        scores[i] = scale * (highest - zero_point)
