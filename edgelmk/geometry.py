"""The one coordinate convention of edgelmk, and affine maps on keypoints.

Convention (used by every module; the formulas live only here):

* Pixel centres sit at integer coordinates: pixel ``i`` covers ``[i - 0.5, i + 0.5]``.
  An image of width ``W`` spans ``[-0.5, W - 0.5]``.
* Image -> heatmap with stride ``s = input_W / heatmap_W`` (per axis):
  ``x_hm = (x + 0.5) / s - 0.5``. Both spaces then cover the same area.
* Normalized coordinates (DSNT, Nibali et al. 2018, https://arxiv.org/abs/1801.07372):
  ``u = (2 x + 1) / W - 1``, so the image area is ``[-1, 1]`` and pixel centres
  sit at ``(2 i + 1) / W - 1``. The formula gives the same ``u`` whether ``x``
  is in image pixels with the image width or in heatmap pixels with the heatmap width.

Shapes: keypoints are ``(..., 2)`` arrays in ``x, y`` order (usually ``(N, K, 2)``);
sizes are ``(H, W)`` pairs named ``*_hw``.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

HW = tuple[int, int]


def as_hw(value: Sequence[int], name: str = "size_hw") -> HW:
    """Validate an ``(H, W)`` pair of positive integers.

    Raises:
        ValueError: when ``value`` is not two positive integers.
    """
    try:
        items = list(value)
    except TypeError:
        raise ValueError(f"{name} must be a pair [H, W] of positive integers, got {value!r}") from None
    if len(items) != 2 or not all(_is_positive_int(v) for v in items):
        raise ValueError(f"{name} must be a pair [H, W] of positive integers, got {value!r}")
    return int(items[0]), int(items[1])


def _is_positive_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return value > 0
    return isinstance(value, float) and value.is_integer() and value > 0


def _wh(size_hw: HW) -> np.ndarray:
    """(H, W) -> array [W, H], the order that matches x, y."""
    return np.array([size_hw[1], size_hw[0]], dtype=np.float64)


def stride_xy(input_hw: HW, heatmap_hw: HW) -> np.ndarray:
    """Input pixels per heatmap pixel, as ``[stride_x, stride_y]`` (float64, read-only)."""
    return _stride(tuple(input_hw), tuple(heatmap_hw))


@functools.lru_cache(maxsize=64)
def _stride(input_hw: tuple, heatmap_hw: tuple) -> np.ndarray:
    stride = _wh(input_hw) / _wh(heatmap_hw)
    stride.setflags(write=False)
    return stride


def image_to_heatmap(xy: np.ndarray, input_hw: HW, heatmap_hw: HW) -> np.ndarray:
    """Map image pixel coordinates to heatmap pixel coordinates.

    Args:
        xy: ``(..., 2)`` x, y in input-image pixels.
        input_hw: (H, W) of the model input, in pixels.
        heatmap_hw: (H, W) of the heatmap, in heatmap pixels.

    Returns:
        ``(..., 2)`` float64 x, y in heatmap pixels: ``(xy + 0.5) / stride - 0.5``.
    """
    return (np.asarray(xy, dtype=np.float64) + 0.5) / stride_xy(input_hw, heatmap_hw) - 0.5


def heatmap_to_image(xy: np.ndarray, input_hw: HW, heatmap_hw: HW) -> np.ndarray:
    """Inverse of :func:`image_to_heatmap`: heatmap pixels -> input-image pixels (float64)."""
    return heatmap_coordinate_to_image(np.asarray(xy, dtype=np.float64), stride_xy(input_hw, heatmap_hw))


def heatmap_coordinate_to_image(value, stride):
    """Heatmap pixels -> input-image pixels, ``(value + 0.5) * stride - 0.5``, for numbers or arrays.

    Plain arithmetic so that the compiled decode (:mod:`edgelmk.codecs.compiled`) compiles
    this same formula; float64 in, float64 out.
    """
    return (value + 0.5) * stride - 0.5


def pixel_to_normalized(xy: np.ndarray, size_hw: HW) -> np.ndarray:
    """Pixel coordinates -> normalized ``[-1, 1]`` coordinates: ``(2 x + 1) / W - 1`` (float64)."""
    return (2.0 * np.asarray(xy, dtype=np.float64) + 1.0) / _wh(size_hw) - 1.0


def normalized_to_pixel(uv: np.ndarray, size_hw: HW) -> np.ndarray:
    """Inverse of :func:`pixel_to_normalized`: ``((u + 1) W - 1) / 2`` in pixels (float64)."""
    return ((np.asarray(uv, dtype=np.float64) + 1.0) * _wh(size_hw) - 1.0) / 2.0


def normalized_pixel_centres(length: int) -> np.ndarray:
    """(length,) normalized coordinates (:func:`pixel_to_normalized`) of the pixel centres along one axis."""
    centres = pixel_centres(length)
    return pixel_to_normalized(np.stack([centres, centres], axis=-1), (length, length))[:, 0]


def pixel_centres(length: int) -> np.ndarray:
    """Pixel-centre coordinates ``0 .. length-1`` of one axis (float64)."""
    return np.arange(length, dtype=np.float64)


def inside_image(xy: np.ndarray, size_hw: HW) -> np.ndarray:
    """Whether each point lies in the image area ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``.

    Args:
        xy: ``(..., 2)`` pixel coordinates of an image of ``size_hw``.

    Returns:
        ``(...)`` bool array; NaN coordinates are outside.
    """
    xy = np.asarray(xy, dtype=np.float64)
    upper = _wh(size_hw) - 0.5
    return np.all((xy >= -0.5) & (xy <= upper), axis=-1)


# --- affine maps ----------------------------------------------------------------------------


def bbox_of(keypoints: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
    """Tight (4,) float32 [x0, y0, x1, y1] box of the visible (K, 2) keypoints (all of them when
    ``visible`` is None or none is visible): the landmark box the face recipes train on, the
    target of the detector calibrations and the box the tracker follows."""
    points = keypoints[visible > 0] if visible is not None and (visible > 0).any() else keypoints
    return np.concatenate([points.min(axis=0), points.max(axis=0)]).astype(np.float32)


def _as_affine(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape[-2:] != (2, 3):
        raise ValueError(f"an affine matrix must have shape (2, 3) or (N, 2, 3), got {matrix.shape}")
    return matrix


def apply_affine(keypoints: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply 2x3 affine matrices (OpenCV's ``warpAffine`` layout) to keypoints.

    Args:
        keypoints: ``(N, K, 2)`` or ``(K, 2)`` x, y in source pixels.
        matrix: ``(2, 3)`` shared by all, or ``(N, 2, 3)`` one per sample (needs ``(N, K, 2)``).

    Returns:
        Keypoints in destination pixels, same shape, float64.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    matrix = _as_affine(matrix)
    if keypoints.shape[-1] != 2:
        raise ValueError(f"keypoints must end in an x, y axis of size 2, got shape {keypoints.shape}")
    if matrix.ndim == 3:
        if keypoints.ndim != 3 or keypoints.shape[0] != matrix.shape[0]:
            raise ValueError(
                f"per-sample matrices {matrix.shape} need keypoints of shape ({matrix.shape[0]}, K, 2), "
                f"got {keypoints.shape}"
            )
        linear, offset = matrix[:, None, :, :2], matrix[:, None, :, 2]
    else:
        linear, offset = matrix[:, :2], matrix[:, 2]
    return np.einsum("...ij,...j->...i", linear, keypoints) + offset


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Invert ``(2, 3)`` or ``(N, 2, 3)`` affine matrices.

    Raises:
        ValueError: when a matrix is singular (e.g. a zero scale).
    """
    matrix = _as_affine(matrix)
    linear, offset = matrix[..., :2], matrix[..., 2:]
    det = np.linalg.det(linear)
    if np.any(np.abs(det) < 1e-12):
        raise ValueError("the affine matrix is singular (zero scale?) and cannot be inverted")
    inverse_linear = np.linalg.inv(linear)
    return np.concatenate([inverse_linear, -inverse_linear @ offset], axis=-1)


def compose_affine(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """The ``(2, 3)`` affine that applies ``first`` and then ``then``."""
    first, then = _as_affine(first), _as_affine(then)
    linear = then[..., :2] @ first[..., :2]
    offset = then[..., :2] @ first[..., 2:] + then[..., 2:]
    return np.concatenate([linear, offset], axis=-1)


def mirror_matrix(width: int) -> np.ndarray:
    """The ``(2, 3)`` affine of a horizontal flip of an image ``width`` pixels wide: ``x -> (W - 1) - x``."""
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0]])


def similarity_matrix(
    center_xy: Sequence[float], scale: float, rotation_deg: float, output_center_xy: Sequence[float]
) -> np.ndarray:
    """The ``(2, 3)`` similarity that maps ``center_xy`` to ``output_center_xy``.

    Args:
        center_xy: source point (pixels) that lands on ``output_center_xy``.
        scale: output pixels per source pixel.
        rotation_deg: counter-clockwise rotation in degrees as seen on screen (y down).
        output_center_xy: destination point (pixels).
    """
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    theta = np.deg2rad(rotation_deg)
    cos, sin = scale * np.cos(theta), scale * np.sin(theta)
    linear = np.array([[cos, sin], [-sin, cos]])
    offset = np.asarray(output_center_xy, dtype=np.float64) - linear @ np.asarray(center_xy, dtype=np.float64)
    return np.concatenate([linear, offset[:, None]], axis=1)
