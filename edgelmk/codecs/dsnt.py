"""Differentiable spatial to numerical transform (DSNT).

Nibali et al., "Numerical Coordinate Regression with Convolutional Neural Networks", 2018
(https://arxiv.org/abs/1801.07372). The network outputs one logit map per keypoint; a
softmax over all ``H x W`` pixels turns it into a probability map, and the keypoint is the
expected pixel-centre position under it (soft-argmax). Numerically this is the reference
library dsntnn's ``flat_softmax`` followed by ``dsnt``, whose normalized coordinates
``(2 i + 1) / W - 1`` are converted here to input-image pixels.

``encode`` returns the targets of the DSNT losses: the normalized coordinates (Euclidean
loss) and, as ``heatmaps``, the Gaussian probability maps that its JS / KL regularizers
compare against (dsntnn's ``make_gauss``: sigma in heatmap pixels, normalized to sum 1).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from edgelmk import geometry
from edgelmk.codecs.base import Codec
from edgelmk.codecs.render import check_sigma, kernel_profile, outer_maps


def flat_softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last two axes of (N, K, H, W) logits, float64, max-subtracted for stability."""
    shifted = logits.astype(np.float64) - logits.max(axis=(-2, -1), keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=(-2, -1), keepdims=True)


class DSNTCodec(Codec):
    """Soft-argmax decode of logit maps; Gaussian probability maps for the regularizers.

    Args:
        input_hw: (H, W) of the network input, pixels.
        heatmap_hw: (H, W) of the logit maps.
        sigma: width of the regularizers' target Gaussian, heatmap pixels.

    ``encode`` adds ``"coords"``: (N, K, 2) float32 normalized coordinates in [-1, 1].
    ``decode`` takes raw logits and returns the peak probability as the score.
    """

    summary = "DSNT (Nibali et al. 2018): spatial softmax + soft-argmax on logits; JS/KL Gaussian targets"
    decodes_int8 = False
    default_loss = "dsnt"

    def __init__(self, input_hw: Sequence[int], heatmap_hw: Sequence[int], sigma: float = 1.0):
        super().__init__(input_hw, heatmap_hw)
        self.sigma = check_sigma(sigma)

    def _options(self) -> dict[str, Any]:
        return {"sigma": self.sigma}

    def _encode(self, xy_heatmap: np.ndarray, active: np.ndarray, rng: np.random.Generator | None
                ) -> dict[str, np.ndarray]:
        height, width = self.heatmap_hw
        profile_x = kernel_profile(xy_heatmap[..., 0], width, self.sigma)
        profile_y = kernel_profile(xy_heatmap[..., 1], height, self.sigma)
        profile_x /= profile_x.sum(axis=-1, keepdims=True)
        profile_y /= profile_y.sum(axis=-1, keepdims=True)
        coords = geometry.pixel_to_normalized(xy_heatmap, self.heatmap_hw) * active[..., None]
        return {"heatmaps": outer_maps(profile_x, profile_y), "coords": coords.astype(np.float32)}

    def _locate(self, heatmaps: np.ndarray, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
        # The expectation commutes with the affine pixel -> normalized map, so taking it over
        # pixel centres equals dsntnn's expectation over normalized centres, converted.
        height, width = self.heatmap_hw
        probabilities = flat_softmax(heatmaps)
        x = probabilities.sum(axis=-2) @ geometry.pixel_centres(width)
        y = probabilities.sum(axis=-1) @ geometry.pixel_centres(height)
        return np.stack([x, y], axis=-1), probabilities.max(axis=(-2, -1))
