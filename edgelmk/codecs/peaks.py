"""Peak finding and activation-weighted means on heatmaps of any real dtype.

The same functions serve the float decoders and the integer decoders. Fed raw int8 / uint8
maps with their ``zero_point``, they search the raw values (subtracting a constant keeps the
order), widen only the few pixels they gather to int32 activations ``q - zero_point``, sum
in int32, and leave one reciprocal per keypoint (:func:`weighted_position`) as the only
non-integer step. Ties go to the lowest flat index in both paths, so decoding int8 maps and
decoding their dequantized float copies select the same pixels.

Shapes: maps (N, K, H, W); x, y, peaks and sums (N, K).
"""

from __future__ import annotations

import numpy as np


def accumulator_dtype(maps: np.ndarray) -> type:
    """int32 for integer maps, float64 for float ones."""
    return np.int32 if maps.dtype.kind in "iu" else np.float64


def _activations(values: np.ndarray, zero_point: int) -> np.ndarray:
    """Gathered raw values -> activations in the accumulator dtype."""
    activations = values.astype(accumulator_dtype(values))
    return activations - zero_point if zero_point else activations


def argmax_2d(maps: np.ndarray, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column ``x``, row ``y`` (int64) and activation of each map's maximum (first one on ties)."""
    n, k, _, width = maps.shape
    flat = maps.reshape(n, k, -1)
    index = flat.argmax(axis=-1)
    peaks = _activations(np.take_along_axis(flat, index[..., None], axis=-1)[..., 0], zero_point)
    y, x = np.divmod(index, width)
    return x, y, peaks


def quarter_offsets(maps: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sign (-1, 0, 1) of the step toward the higher neighbour along x and y.

    The classic decode (Newell et al., https://arxiv.org/abs/1603.06937) moves the argmax a
    quarter pixel that way. A neighbour outside the map gives 0. The zero point cancels.
    """
    n, k, height, width = maps.shape
    flat = maps.reshape(n, k, -1)

    def sign_between(low: np.ndarray, high: np.ndarray, inside: np.ndarray) -> np.ndarray:
        values = _activations(np.take_along_axis(flat, np.stack([low, high], axis=-1), axis=-1), 0)
        return np.where(inside, np.sign(values[..., 1] - values[..., 0]), 0).astype(np.int64)

    row = y * width
    inside_x = (x > 0) & (x < width - 1)
    inside_y = (y > 0) & (y < height - 1)
    dx = sign_between(row + np.maximum(x - 1, 0), row + np.minimum(x + 1, width - 1), inside_x)
    dy = sign_between(np.maximum(y - 1, 0) * width + x, np.minimum(y + 1, height - 1) * width + x, inside_y)
    return dx, dy


def window_sums(maps: np.ndarray, x: np.ndarray, y: np.ndarray, radius: int, zero_point: int = 0):
    """Sums of clamped activations ``w = max(v - zero_point, 0)`` over the ``(2r+1)^2`` window at (x, y).

    Pixels of the window outside the map count as 0.

    Returns:
        (total, sum_x, sum_y): ``sum(w)``, ``sum(w * column)``, ``sum(w * row)``, each (N, K),
        int32 for integer maps, float64 otherwise.
    """
    n, k, height, width = maps.shape
    acc = accumulator_dtype(maps)
    offsets = np.arange(-radius, radius + 1)
    columns, rows = x[..., None] + offsets, y[..., None] + offsets  # (N, K, S)
    valid = ((rows >= 0) & (rows < height))[..., :, None] & ((columns >= 0) & (columns < width))[..., None, :]
    index = np.clip(rows, 0, height - 1)[..., :, None] * width + np.clip(columns, 0, width - 1)[..., None, :]
    values = np.take_along_axis(maps.reshape(n, k, -1), index.reshape(n, k, -1), axis=-1).reshape(index.shape)
    weights = np.maximum(_activations(values, zero_point), 0) * valid.astype(acc)
    total = weights.sum(axis=(-2, -1), dtype=acc)
    sum_x = (weights.sum(axis=-2, dtype=acc) * columns.astype(acc)).sum(axis=-1, dtype=acc)
    sum_y = (weights.sum(axis=-1, dtype=acc) * rows.astype(acc)).sum(axis=-1, dtype=acc)
    return total, sum_x, sum_y


def topk_sums(maps: np.ndarray, k: int, zero_point: int = 0):
    """Like :func:`window_sums`, over each map's ``k`` largest values (lowest index first on ties)."""
    n, kp, _, width = maps.shape
    acc = accumulator_dtype(maps)
    flat = maps.reshape(n, kp, -1)
    # a descending stable sort; bitwise-not reverses integer order without the overflow of -(-128)
    descending_keys = ~flat if flat.dtype.kind in "iu" else -flat
    order = np.argsort(descending_keys, axis=-1, kind="stable")[..., :k]
    weights = np.maximum(_activations(np.take_along_axis(flat, order, axis=-1), zero_point), 0)
    rows, columns = np.divmod(order, width)
    total = weights.sum(axis=-1, dtype=acc)
    sum_x = (weights * columns.astype(acc)).sum(axis=-1, dtype=acc)
    sum_y = (weights * rows.astype(acc)).sum(axis=-1, dtype=acc)
    return total, sum_x, sum_y


def weighted_position(total, sum_x, sum_y, fallback_x, fallback_y) -> np.ndarray:
    """(N, K, 2) float64 weighted mean position; the fallback where all weights are 0.

    One reciprocal per keypoint, the only non-integer step of the integer path.
    """
    positive = total > 0
    reciprocal = 1.0 / np.where(positive, total, 1).astype(np.float64)
    x = np.where(positive, sum_x * reciprocal, fallback_x)
    y = np.where(positive, sum_y * reciprocal, fallback_y)
    return np.stack([x, y], axis=-1)
