"""Separable heatmap rendering shared by the codecs.

Every target edgelmk draws is separable: a Gaussian or one-hot kernel at a point, or a
bilinear mix of kernels at the four grid neighbours (H3R), is an outer product of one
profile along y and one along x. Rendering profiles and multiplying them costs
``O(K (H + W))`` exponentials instead of ``O(K H W)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def kernel_profile(centres: np.ndarray, length: int, sigma: float | None) -> np.ndarray:
    """One axis of a kernel centred at ``centres``.

    Args:
        centres: (...) centre coordinates in heatmap pixels (integers for one-hot).
        length: number of pixels along the axis.
        sigma: Gaussian standard deviation in heatmap pixels; None draws a one-hot
            kernel (1 at the pixel whose centre equals the centre, 0 elsewhere).

    Returns:
        (..., length) float64 profile, peak 1.
    """
    positions = np.arange(length, dtype=np.float64)
    offsets = positions - np.asarray(centres, dtype=np.float64)[..., None]
    if sigma is None:
        return (offsets == 0).astype(np.float64)
    return np.exp(-0.5 * (offsets / sigma) ** 2)


def mixed_profile(corners: np.ndarray, corner_weights: np.ndarray, length: int, sigma: float | None) -> np.ndarray:
    """Weighted sum of kernel profiles at several centres per axis.

    Args:
        corners: (..., C) integer centres in heatmap pixels.
        corner_weights: (..., C) weight of each centre.
        length: pixels along the axis.
        sigma: see :func:`kernel_profile`.

    Returns:
        (..., length) float64.
    """
    profiles = kernel_profile(corners, length, sigma)
    return np.einsum("...c,...cl->...l", corner_weights, profiles)


def outer_maps(profile_x: np.ndarray, profile_y: np.ndarray) -> np.ndarray:
    """(N, K, W) and (N, K, H) profiles -> (N, K, H, W) float32 maps."""
    return (profile_y[..., :, None] * profile_x[..., None, :]).astype(np.float32)


def check_sigma(sigma: Any) -> float:
    """A positive finite Gaussian width in heatmap pixels."""
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a positive number of heatmap pixels, got {sigma!r}")
    return float(sigma)
