"""The int8 / uint8 window decode compiled with numba: one pass per map, no temporary arrays.

Imported only through :func:`edgelmk.codecs.peaks.window_means`, which falls back to its numpy
composition where numba does not load. Both give the same bits: the same first maximum in
row-major order, the same int32 sums of ``max(q - zero_point, 0)`` over the window (pixels outside
the map left out), and the same float64 ``sum * (1.0 / total)``. numpy's calls cost about 1 us
each whatever the map size, which at 68 maps of 16x16 is most of the decode; this kernel takes
about 4.5 us in all, compiled once per dtype on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def window_means(flat, width, radius, zero_point, xy, peaks):
    """Fill ``xy`` and ``peaks`` for M raw maps.

    Args:
        flat: (M, H*W) int8 or uint8 C-contiguous maps, row-major, H*W <= 65536.
        width: W, map pixels.
        radius: the window is ``(2 radius + 1)^2`` pixels about the maximum.
        zero_point: the quantization zero point, subtracted from every value.
        xy: (M, 2) float64 output: the weighted mean column and row, or the maximum's
            column and row where every window weight is 0.
        peaks: (M,) int32 output: ``q - zero_point`` at the maximum.
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
        peaks[i] = highest - zero_point
        if total > 0:
            inverse = 1.0 / total
            xy[i, 0] = sum_x * inverse
            xy[i, 1] = sum_y * inverse
        else:
            xy[i, 0] = column
            xy[i, 1] = row
