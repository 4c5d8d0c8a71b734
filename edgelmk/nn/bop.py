"""Bop (Helwegen et al., "Latent weights do not exist", NeurIPS 2019, https://arxiv.org/abs/1906.02107) in PyTorch.

The same rule as Larq's ``lq.optimizers.Bop``: per binary weight w (kept at +-1) a moving
average m of its gradient, ``m <- m + gamma (g - m)``; w flips when ``w m > threshold``
(the average pushes against its sign), otherwise it stays ``sign(w)``. The real-valued
weights train with another optimizer (:func:`edgelmk.backends.torch_engine.build_optimizer`).
"""

from __future__ import annotations

from typing import Iterable

import torch


class Bop(torch.optim.Optimizer):
    """Flips binary weights by the moving average of their gradients.

    Args:
        params: the latent weights of binary convolutions (set to +-1 on the first step).
        threshold: how strong the average must be to flip a weight.
        gamma: the averaging rate.
    """

    def __init__(self, params: Iterable[torch.Tensor], threshold: float = 1e-8, gamma: float = 1e-4):
        super().__init__(params, {"threshold": threshold, "gamma": gamma})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for weight in group["params"]:
                if weight.grad is None:
                    continue
                state = self.state[weight]
                if "average" not in state:
                    state["average"] = torch.zeros_like(weight)
                average = state["average"]
                average.add_(group["gamma"] * (weight.grad - average))
                sign = torch.where(weight >= 0, 1.0, -1.0).to(weight.dtype)
                weight.copy_(torch.where(weight * average > group["threshold"], -sign, sign))
        return None
