"""Training losses in PyTorch, each masked by the keypoint weights of the codec targets.

The losses, their keys and defaults are named in :mod:`edgelmk.losses`; :func:`build_loss`
turns a recipe's ``loss`` section (or a :class:`edgelmk.losses.LossSpec`) into one of these.

Every loss takes the list of per-stack outputs (N, K, H, W) and the batch dict from the codec
(``heatmaps`` (N, K, H, W), ``weights`` (N, K), DSNT's ``coords`` (N, K, 2)) and averages over
stacks (intermediate supervision) and over weighted keypoints.

* ``heatmap_mse`` (gaussian): mean squared error against the Gaussian target.
* ``h3r_cross_entropy`` (h3r): cross-entropy between the spatial softmax of the logits and
  the randomized-rounding target. Its minimiser in expectation over the random draws is the
  expected target, the bilinear weights of the 4 neighbours (cross-entropy is a proper
  scoring rule), which the activation-point decode inverts exactly (Yu & Tao, TPAMI 2021).
* ``dsnt`` (dsnt): Euclidean distance of the soft-argmax to the normalized target plus a
  Jensen-Shannon regulariser toward the Gaussian target (Nibali et al. 2018).
"""

from __future__ import annotations

import torch

from typing import Mapping

from edgelmk.losses import LOSSES, LossSpec
from edgelmk.nn.decoders import soft_argmax, spatial_softmax


def _masked_mean(per_keypoint: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean of (N, K) values over the keypoints with weight > 0 (0 when there are none)."""
    return (per_keypoint * weights).sum() / weights.sum().clamp(min=1.0)


class StackLoss:
    def __call__(self, outputs: list[torch.Tensor], batch: dict) -> torch.Tensor:
        return torch.stack([self.single(output, batch) for output in outputs]).mean()

    def single(self, output: torch.Tensor, batch: dict) -> torch.Tensor:
        raise NotImplementedError


class HeatmapMSE(StackLoss):
    """Masked MSE to Gaussian heatmaps (mean over pixels, then over keypoints)."""

    def single(self, output, batch):
        return _masked_mean((output - batch["heatmaps"]).square().mean(dim=(-2, -1)), batch["weights"])


class H3RCrossEntropy(StackLoss):
    """Spatial cross-entropy to the randomized-rounding target."""

    def single(self, output, batch):
        n, k = output.shape[:2]
        log_probabilities = torch.log_softmax(output.reshape(n, k, -1), dim=-1)
        cross_entropy = -(batch["heatmaps"].reshape(n, k, -1) * log_probabilities).sum(dim=-1)
        return _masked_mean(cross_entropy, batch["weights"])


class DSNTLoss(StackLoss):
    """Euclidean coordinate loss + ``regularization`` x Jensen-Shannon divergence to the Gaussian target.

    Args:
        regularization: weight of the JS term (checked by :class:`edgelmk.losses.DSNTLoss`).
    """

    def __init__(self, regularization: float):
        self.regularization = regularization

    def single(self, output, batch):
        probabilities = spatial_softmax(output)
        euclidean = (soft_argmax(probabilities) - batch["coords"]).norm(dim=-1)
        target = batch["heatmaps"]
        middle = 0.5 * (probabilities + target)

        def kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
            return (p * (torch.log(p.clamp(min=1e-24)) - torch.log(q.clamp(min=1e-24)))).sum(dim=(-2, -1))

        js = 0.5 * kl(probabilities, middle) + 0.5 * kl(target, middle)
        return _masked_mean(euclidean + self.regularization * js, batch["weights"])


IMPLEMENTATIONS = {"heatmap_mse": HeatmapMSE, "h3r_cross_entropy": H3RCrossEntropy, "dsnt": DSNTLoss}


def build_loss(loss: Mapping | LossSpec) -> StackLoss:
    """The PyTorch loss of a spec or a ``{"name": ..., **options}`` config (checked by :data:`edgelmk.losses.LOSSES`).

    Raises:
        KeyError / ValueError: an unknown name or option, with suggestions.
    """
    spec = loss if isinstance(loss, LossSpec) else LOSSES.build(loss)
    return IMPLEMENTATIONS[spec.name](**spec.options())
