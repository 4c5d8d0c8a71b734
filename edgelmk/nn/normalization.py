"""The input normalisation every edgelmk network applies first, so that exported models take raw pixels."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class PixelNormalized(nn.Module):
    """Base of the networks: buffers ``pixel_mean`` (255 mean) and ``pixel_scale`` (1 / (255 std)), (1, 3, 1, 1).

    Args:
        mean, std: per-channel RGB normalisation of 0..1 pixels.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.register_buffer("pixel_mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("pixel_scale", 1.0 / (torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1) * 255.0))

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) RGB float 0..255 -> normalised."""
        return (images - self.pixel_mean) * self.pixel_scale
