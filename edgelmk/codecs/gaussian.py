"""Vanilla heatmap regression: a Gaussian at the rounded position, argmax decoding.

Tompson et al. 2014 (https://arxiv.org/abs/1406.2984) and Newell et al. 2016
(https://arxiv.org/abs/1603.06937). The target puts a Gaussian at the heatmap pixel nearest
to the keypoint, so a perfect prediction still carries the rounding error: uniform in
``[-s/2, s/2]`` per axis for stride ``s``, mean Euclidean error ``0.3826 s`` and maximum
``s / sqrt(2)``. The classic decode adds a quarter pixel toward the higher neighbour.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from edgelmk.codecs.base import Codec
from edgelmk.codecs.peaks import peak_activation, peak_windows, quarter_offsets
from edgelmk.codecs.render import check_sigma, kernel_profile, outer_maps


class GaussianCodec(Codec):
    """Gaussian target at the nearest heatmap pixel; argmax (+ quarter-pixel shift) decode.

    Args:
        input_hw: (H, W) of the network input, pixels.
        heatmap_hw: (H, W) of the heatmaps.
        sigma: Gaussian standard deviation, heatmap pixels.
        quarter_shift: move the decoded argmax 0.25 heatmap pixel toward the higher
            neighbour along each axis (no move at the border or on equal neighbours).

    Keypoints in the border half-pixel of the heatmap round to the outermost pixel.
    """

    summary = "vanilla Gaussian target at the rounded position; argmax decode (+ quarter-pixel shift)"
    default_loss = "heatmap_mse"

    def __init__(self, input_hw: Sequence[int], heatmap_hw: Sequence[int], sigma: float = 1.0,
                 quarter_shift: bool = True):
        super().__init__(input_hw, heatmap_hw)
        self.sigma = check_sigma(sigma)
        if not isinstance(quarter_shift, bool):
            raise ValueError(f"quarter_shift must be true or false, got {quarter_shift!r}")
        self.quarter_shift = quarter_shift

    def _options(self) -> dict[str, Any]:
        return {"sigma": self.sigma, "quarter_shift": self.quarter_shift}

    def _encode(self, xy_heatmap: np.ndarray, active: np.ndarray, rng: np.random.Generator | None
                ) -> dict[str, np.ndarray]:
        height, width = self.heatmap_hw
        nearest = np.floor(xy_heatmap + 0.5)  # round half up, unlike np.round's half-to-even
        centre_x = np.clip(nearest[..., 0], 0, width - 1)
        centre_y = np.clip(nearest[..., 1], 0, height - 1)
        profile_x = kernel_profile(centre_x, width, self.sigma)
        profile_y = kernel_profile(centre_y, height, self.sigma)
        return {"heatmaps": outer_maps(profile_x, profile_y)}

    def _locate(self, heatmaps: np.ndarray, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
        windows = peak_windows(heatmaps, 1 if self.quarter_shift else 0)
        xy = windows.xy.astype(np.float64)
        if self.quarter_shift:
            xy += 0.25 * quarter_offsets(windows)
        shape = heatmaps.shape[:2]
        return xy.reshape(*shape, 2), peak_activation(windows, zero_point).reshape(shape)
