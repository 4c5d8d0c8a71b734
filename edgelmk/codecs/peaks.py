"""Peak finding and activation-weighted means on heatmaps of any real dtype.

The same functions serve the float decoders and the integer decoders. Fed raw int8 / uint8
maps with their ``zero_point``, they search the raw values (subtracting a constant keeps the
order), widen only the few pixels they gather to int32 activations ``q - zero_point``, sum
in int32, and leave one reciprocal per keypoint (:func:`weighted_position`) as the only
non-integer step. Ties go to the lowest flat index in both paths, so decoding int8 maps and
decoding their dequantized float copies select the same pixels.

Speed: a decode is one argmax over the maps and a handful of numpy calls on (N, K, S*S)
arrays, whatever K: everything that depends only on the peak's position comes from lookup
tables made once per map size and window (:func:`window_plan`). Those calls still cost about
25 us for 68 maps, most of a small model's decode, so h3r's window decode of int8 / uint8 /
float32 maps runs as one compiled pass (:mod:`edgelmk.codecs.compiled`, ~4 us) when numba is
installed: :func:`compiled_window_decode` decides, by ``EDGELMK_DECODE_BACKEND`` = ``auto``
(default), ``compiled`` or ``numpy``.

Shapes: maps (N, K, H, W); the results are per map, N * K in a row: positions and sums (N*K, 2)
in x, y order, totals and peaks (N*K,).
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import NamedTuple

import numpy as np


def accumulator_dtype(maps: np.ndarray) -> type:
    """int32 for integer maps, float64 for float ones."""
    return np.int32 if maps.dtype.kind in "iu" else np.float64


def _activations(values: np.ndarray, zero_point: int) -> np.ndarray:
    """Gathered raw values -> activations in the accumulator dtype."""
    activations = values.astype(accumulator_dtype(values))
    if zero_point:
        activations -= zero_point
    return activations


class WindowPlan(NamedTuple):
    """Lookup tables by flat peak index p (H * W of them) for windows of one radius on maps of one size.

    Attributes:
        xy: (H*W, 2) int64 column and row of p.
        gather: (H*W, S*S) int64 flat map index of each window pixel, row by row (clamped into the map).
        moments: by accumulator dtype (int32, float64), (H*W, S*S, 3) rows [1, column, row] of each
            window pixel, zero for pixels outside the map: the window's total, sum of w * column and
            sum of w * row are one product with the weights.
        interior: (H*W, 2) int64 1 where p has a neighbour on both sides along x (column 0) / y (column 1).
        starts: (count, 1) int64 offset of each map in the flattened batch.
    """

    xy: np.ndarray
    gather: np.ndarray
    moments: dict
    interior: np.ndarray
    starts: np.ndarray


@functools.lru_cache(maxsize=16)
def window_plan(height: int, width: int, radius: int, count: int) -> WindowPlan:
    """The read-only :class:`WindowPlan` of ``count`` (height, width) maps and ``radius``, made once."""
    row, column = np.divmod(np.arange(height * width), width)
    steps = np.arange(-radius, radius + 1)
    dy, dx = (grid.ravel() for grid in np.meshgrid(steps, steps, indexing="ij"))
    rows, columns = row[:, None] + dy, column[:, None] + dx
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    moments = np.stack([np.ones_like(rows), columns, rows], axis=-1) * inside[..., None]
    interior = np.stack([(column > 0) & (column < width - 1), (row > 0) & (row < height - 1)], axis=1)
    plan = WindowPlan(xy=np.stack([column, row], axis=1),
                      gather=np.clip(rows, 0, height - 1) * width + np.clip(columns, 0, width - 1),
                      moments={dtype: moments.astype(dtype) for dtype in (np.int32, np.float64)},
                      interior=interior.astype(np.int64), starts=np.arange(count)[:, None] * (height * width))
    for table in (plan.xy, plan.gather, plan.interior, plan.starts, *plan.moments.values()):
        table.setflags(write=False)
    return plan


@functools.lru_cache(maxsize=64)
def _activation_tables(dtype: str, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """(256,) int32 ``v - zero_point`` and ``max(v - zero_point, 0)`` for the int8 / uint8 value v of each byte."""
    activations = np.arange(256, dtype=np.uint8).view(dtype).astype(np.int32) - zero_point
    tables = (activations, np.maximum(activations, 0))
    for table in tables:
        table.setflags(write=False)
    return tables


def _integer_activations(values: np.ndarray, zero_point: int, clamped: bool) -> np.ndarray:
    """int32 ``v - zero_point`` (``clamped``: at least 0) of int8 / uint8 values: one table lookup by byte."""
    return _activation_tables(values.dtype.str, zero_point)[clamped].take(values.view(np.uint8))


class PeakWindows(NamedTuple):
    """Each map's first maximum and the ``(2 radius + 1)^2`` raw values around it, for N * K maps in a row.

    Attributes:
        peak: (N*K,) int64 flat index of the maximum (the first in row-major order on ties).
        values: (N*K, S*S) the window's raw values row by row (S = 2 radius + 1; the centre is
            the maximum); a window pixel outside the map holds the nearest border pixel's value.
        plan: the lookup tables of the map size and radius.
        radius: the window's radius, pixels.
    """

    peak: np.ndarray
    values: np.ndarray
    plan: WindowPlan
    radius: int

    @property
    def xy(self) -> np.ndarray:
        """(N*K, 2) int64 column and row of each maximum."""
        return self.plan.xy.take(self.peak, axis=0)


def _first_maxima(flat: np.ndarray) -> np.ndarray:
    """(M,) int64 index of the first maximum of each row of (M, P) maps.

    int8 / uint8 rows are widened to int32 first: the same indices, and numpy 1.26's row-wise
    argmax of int32 is faster than of bytes (6 vs 10 us for 68 maps of 16x16 here).
    """
    return (flat.astype(np.int32) if flat.dtype.itemsize == 1 else flat).argmax(axis=1)


def peak_windows(maps: np.ndarray, radius: int) -> PeakWindows:
    """The maximum of each (N, K, H, W) map and the window of ``radius`` around it.

    One argmax over the flattened maps (a contiguous copy first only for maps that are not
    contiguous), then one gather at the offsets the plan gives for each peak.
    """
    n, k, height, width = maps.shape
    flat = np.ascontiguousarray(maps).reshape(n * k, height * width)
    peak = _first_maxima(flat)
    plan = window_plan(height, width, radius, n * k)
    values = flat.reshape(-1).take(plan.gather.take(peak, axis=0) + plan.starts)
    return PeakWindows(peak, values, plan, radius)


def peak_activation(windows: PeakWindows, zero_point: int = 0) -> np.ndarray:
    """(N*K,) activation ``value - zero_point`` of each maximum, in the accumulator dtype."""
    centre = windows.values[:, windows.values.shape[1] // 2]
    if centre.dtype.kind in "iu":
        return _integer_activations(centre, zero_point, clamped=False)
    return _activations(centre, zero_point)


def quarter_offsets(windows: PeakWindows) -> np.ndarray:
    """(N*K, 2) int64 sign (-1, 0, 1) of the step toward the higher neighbour along x and y.

    The classic decode (Newell et al., https://arxiv.org/abs/1603.06937) moves the argmax a
    quarter pixel that way. A maximum on the map's border gives 0 along that axis. The zero
    point cancels. ``windows`` needs a radius of at least 1.
    """
    side, centre = 2 * windows.radius + 1, windows.values.shape[1] // 2
    values = _activations(windows.values, 0)
    # right - left and below - above
    steps = values[:, [centre + 1, centre + side]] - values[:, [centre - 1, centre - side]]
    return np.sign(steps).astype(np.int64) * windows.plan.interior.take(windows.peak, axis=0)


def window_sums(windows: PeakWindows, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sums of clamped activations ``w = max(v - zero_point, 0)`` over each window; pixels outside the map count 0.

    Returns:
        (total, sum_xy): ``sum(w)`` (N*K,) and [``sum(w * column)``, ``sum(w * row)``] (N*K, 2);
        int32 for integer maps (exact), float64 otherwise.
    """
    values = windows.values
    if values.dtype.kind in "iu":
        weights = _integer_activations(values, zero_point, clamped=True)
    else:
        weights = np.maximum(_activations(values, zero_point), 0)
    moments = windows.plan.moments[weights.dtype.type].take(windows.peak, axis=0)  # (N*K, S*S, 3)
    sums = np.matmul(weights[:, None, :], moments)[:, 0]
    return sums[:, 0], sums[:, 1:]


def topk_sums(maps: np.ndarray, k: int, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`window_sums`, over each map's ``k`` largest values (lowest index first on ties)."""
    n, kp, _, width = maps.shape
    acc = accumulator_dtype(maps)
    flat = maps.reshape(n * kp, -1)
    # a descending stable sort; bitwise-not reverses integer order without the overflow of -(-128)
    descending_keys = ~flat if flat.dtype.kind in "iu" else -flat
    order = np.argsort(descending_keys, axis=-1, kind="stable")[..., :k]
    weights = np.maximum(_activations(np.take_along_axis(flat, order, axis=-1), zero_point), 0)
    rows, columns = np.divmod(order, width)
    total = weights.sum(axis=-1, dtype=acc)
    sum_x = (weights * columns.astype(acc)).sum(axis=-1, dtype=acc)
    sum_y = (weights * rows.astype(acc)).sum(axis=-1, dtype=acc)
    return total, np.stack([sum_x, sum_y], axis=-1)


#: the environment variable that picks where h3r's window decode runs
DECODE_BACKEND_VARIABLE = "EDGELMK_DECODE_BACKEND"
#: ``auto``: compiled when numba imports, else numpy; ``compiled``: numba or an error; ``numpy``
DECODE_BACKENDS = ("auto", "compiled", "numpy")
#: the compiled peak search's index keys (65535 - index) fit maps of at most this many pixels
COMPILED_MAX_PIXELS = 65536


@functools.lru_cache(maxsize=None)
def _compiled_kernels(backend: str):
    """The module of compiled kernels (:mod:`edgelmk.codecs.compiled`) that ``backend`` selects, or None for numpy."""
    if backend not in DECODE_BACKENDS:
        raise ValueError(f"{DECODE_BACKEND_VARIABLE} must be one of {', '.join(DECODE_BACKENDS)}, got {backend!r}")
    if backend == "numpy":
        return None
    try:
        from edgelmk.codecs import compiled
    except (ImportError, RuntimeError) as error:  # RuntimeError: numba found no writable folder for its cache
        if backend == "compiled":
            raise ImportError(f"{DECODE_BACKEND_VARIABLE}=compiled needs numba, which did not load ({error}); "
                              "pip install numba (and give it a writable NUMBA_CACHE_DIR), or set it to auto or "
                              "numpy") from error
        return None
    return compiled


def _selected_kernels():
    """The compiled kernels that ``EDGELMK_DECODE_BACKEND`` selects now, or None."""
    return _compiled_kernels(os.environ.get(DECODE_BACKEND_VARIABLE, "auto"))


#: the map dtypes the compiled kernels take: what exported models output
COMPILED_DTYPES = (np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.float32))


def compiled_window_decode(dtype: np.dtype, heatmap_hw: tuple[int, int]):
    """The compiled window decode of int8 / uint8 (:func:`edgelmk.codecs.compiled.window_keypoints`) or
    float32 maps (``window_keypoints_float``) of at most :data:`COMPILED_MAX_PIXELS` pixels while
    :func:`decode_backend` is compiled; None: decode with numpy."""
    if dtype not in COMPILED_DTYPES or heatmap_hw[0] * heatmap_hw[1] > COMPILED_MAX_PIXELS:
        return None
    kernels = _selected_kernels()
    if kernels is None:
        return None
    return kernels.window_keypoints_float if dtype.kind == "f" else kernels.window_keypoints


def decode_backend() -> str:
    """Where h3r's window decode runs now (on int8 / uint8 / float32 maps): ``"compiled"`` or ``"numpy"``."""
    return "numpy" if _selected_kernels() is None else "compiled"


@contextlib.contextmanager
def using_decode_backend(backend: str):
    """Within the block, window decodes run with ``backend`` (one of :data:`DECODE_BACKENDS`):
    sets ``EDGELMK_DECODE_BACKEND`` and restores it after, e.g. to time both backends in one process."""
    _compiled_kernels(backend)  # refuses an unknown name here, not at the first decode
    previous = os.environ.get(DECODE_BACKEND_VARIABLE)
    os.environ[DECODE_BACKEND_VARIABLE] = backend
    try:
        yield
    finally:
        if previous is None:
            del os.environ[DECODE_BACKEND_VARIABLE]
        else:
            os.environ[DECODE_BACKEND_VARIABLE] = previous


def window_means(maps: np.ndarray, radius: int, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each (N, K, H, W) map's :func:`window_sums` weighted mean and :func:`peak_activation`, N * K in a row.

    Returns:
        (xy, peak): (N*K, 2) float64 mean column and row of the window (the maximum's own where
        all its weights are 0), and (N*K,) the activation of the maximum (int32 for integer maps).
    """
    windows = peak_windows(maps, radius)
    return weighted_position(*window_sums(windows, zero_point), lambda: windows.xy), peak_activation(windows, zero_point)


def weighted_position(total: np.ndarray, sum_xy: np.ndarray, fallback_xy) -> np.ndarray:
    """(M, 2) float64 weighted mean position ``sum_xy / total`` of M maps; ``fallback_xy()`` where all weights are 0.

    One reciprocal per keypoint, the only non-integer step of the integer path.

    Args:
        total: (M,) sums of weights (>= 0).
        sum_xy: (M, 2) weighted sums of column and row.
        fallback_xy: a function returning the (M, 2) positions to use where ``total`` is 0, called
            only when there are such maps.
    """
    if total.all():  # the usual case: one division
        return sum_xy * np.divide(1.0, total, dtype=np.float64)[:, None]
    position = sum_xy * np.divide(1.0, np.where(total > 0, total, 1), dtype=np.float64)[:, None]
    return np.where((total > 0)[:, None], position, fallback_xy())
