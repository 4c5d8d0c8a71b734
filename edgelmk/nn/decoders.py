"""Torch-side decoding: the output activation of each codec and DSNT's soft-argmax.

``output_activation`` turns raw network output into what the codec's numpy ``decode`` takes:
H3R's maps are spatial-softmax probabilities (the network is trained with spatial cross-
entropy, see :mod:`edgelmk.nn.losses`); Gaussian heatmaps are used as they are; DSNT decodes
logits itself. Exported models end with the same activation.
"""

from __future__ import annotations

import torch

from edgelmk import geometry
from edgelmk.codecs import CODECS


def spatial_softmax(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over the H x W pixels of each (N, K, H, W) map."""
    n, k, h, w = logits.shape
    return torch.softmax(logits.reshape(n, k, h * w), dim=-1).reshape(n, k, h, w)


def output_activation(codec_name: str, outputs: torch.Tensor) -> torch.Tensor:
    """(N, K, H, W) raw outputs -> the maps the codec decodes."""
    if CODECS.get(codec_name).output_activation == "spatial_softmax":
        return spatial_softmax(outputs)
    return outputs


def soft_argmax(probabilities: torch.Tensor) -> torch.Tensor:
    """DSNT: expected normalized coordinates (N, K, 2) of (N, K, H, W) probability maps.

    Pixel centres sit at ``(2 i + 1) / W - 1`` (dsntnn's convention, :func:`edgelmk.geometry.normalized_pixel_centres`).
    """
    _, _, h, w = probabilities.shape
    xs, ys = (torch.as_tensor(geometry.normalized_pixel_centres(size), dtype=probabilities.dtype,
                              device=probabilities.device) for size in (w, h))
    return torch.stack([(probabilities.sum(dim=-2) * xs).sum(-1), (probabilities.sum(dim=-1) * ys).sum(-1)], dim=-1)
