"""The integer decodes written as plain per-keypoint loops: the reference the fast vectorised ones must equal bit for bit.

Same arithmetic as the codecs promise (:mod:`edgelmk.codecs.peaks`): the first maximum in
row-major order, int32 activations ``q - zero_point``, clamped at 0 where they weigh, window
pixels outside the map weigh nothing, one float64 reciprocal per keypoint.
"""

import numpy as np

from edgelmk import geometry


def _peak(heatmap: np.ndarray) -> tuple[int, int]:
    index = int(np.argmax(heatmap))  # numpy's argmax returns the first maximum
    return index % heatmap.shape[1], index // heatmap.shape[1]


def h3r_window(codec, q: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """H3R's window decode of int8 / uint8 maps (N, K, H, W) -> keypoints (N, K, 2) float32, scores (N, K)."""
    n, k, height, width = q.shape
    radius = codec.window // 2
    xy, scores = np.zeros((n, k, 2)), np.zeros((n, k), np.float32)
    for i in range(n):
        for j in range(k):
            heatmap = q[i, j].astype(np.int64)
            x, y = _peak(heatmap)
            total = sum_x = sum_y = 0
            for row in range(y - radius, y + radius + 1):
                for column in range(x - radius, x + radius + 1):
                    if 0 <= row < height and 0 <= column < width:
                        weight = max(int(heatmap[row, column]) - zero_point, 0)
                        total, sum_x, sum_y = total + weight, sum_x + weight * column, sum_y + weight * row
            reciprocal = 1.0 / np.float64(total) if total > 0 else None
            xy[i, j] = (np.int32(sum_x) * reciprocal, np.int32(sum_y) * reciprocal) if total > 0 else (x, y)
            scores[i, j] = np.float32(scale * np.int32(heatmap[y, x] - zero_point))
    return geometry.heatmap_to_image(xy, codec.input_hw, codec.heatmap_hw).astype(np.float32), scores


def gaussian_argmax(codec, q: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian codec's argmax (+ quarter-pixel shift toward the higher neighbour) on int8 / uint8 maps."""
    n, k, height, width = q.shape
    xy, scores = np.zeros((n, k, 2)), np.zeros((n, k), np.float32)
    for i in range(n):
        for j in range(k):
            heatmap = q[i, j].astype(np.int64)
            x, y = _peak(heatmap)
            shift_x = shift_y = 0.0
            if codec.quarter_shift:
                if 0 < x < width - 1:
                    shift_x = 0.25 * np.sign(heatmap[y, x + 1] - heatmap[y, x - 1])
                if 0 < y < height - 1:
                    shift_y = 0.25 * np.sign(heatmap[y + 1, x] - heatmap[y - 1, x])
            xy[i, j] = (x + shift_x, y + shift_y)
            scores[i, j] = np.float32(scale * np.int32(heatmap[y, x] - zero_point))
    return geometry.heatmap_to_image(xy, codec.input_hw, codec.heatmap_hw).astype(np.float32), scores


#: (dtype, heatmap_hw, seed) of the bit-exact decode tests: both integer dtypes, square and oblong maps
HARD_CASES = [(dtype, hw, seed) for seed, (dtype, hw) in enumerate(
    [(np.int8, (16, 16)), (np.uint8, (16, 16)), (np.int8, (8, 12)), (np.uint8, (32, 32)), (np.int8, (4, 4))])]


def hard_maps(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Random int8 / uint8 maps with the hard cases: ties, peaks on every border, maps of one value."""
    info = np.iinfo(dtype)
    maps = rng.integers(info.min, info.max + 1, shape).astype(dtype)
    n, k, height, width = shape
    low_values = rng.integers(info.min, info.min + 4, shape).astype(dtype)  # many equal maxima
    maps[:, : k // 4] = low_values[:, : k // 4]
    maps[:, k // 4] = info.min  # one value everywhere (all activations <= 0 for most zero points)
    maps[:, k // 4 + 1] = info.max
    corners = [(0, 0), (0, width - 1), (height - 1, 0), (height - 1, width - 1), (0, width // 2), (height // 2, 0)]
    for offset, (row, column) in enumerate(corners):
        maps[:, k // 4 + 2 + offset, row, column] = info.max  # a peak on the border
    return maps
