"""Residual blocks of the hourglass: ``bottleneck`` and ``hpm``.

Shapes: (N, in_channels, H, W) -> (N, out_channels, H, W).
"""

from __future__ import annotations

import torch
from torch import nn

from edgelmk.nn.quant import UnitSpec


class Residual(nn.Module):
    """Base: the identity path, projected by a 1x1 conv unit when the channel count changes.

    Args:
        units: builds the conv units (precision and binary options, :class:`edgelmk.nn.quant.UnitSpec`).
    """

    def __init__(self, units: UnitSpec, in_channels: int, out_channels: int):
        super().__init__()
        self.skip = nn.Identity() if in_channels == out_channels else units(in_channels, out_channels, 1)


class Bottleneck(Residual):
    """Newell et al.'s bottleneck (https://arxiv.org/abs/1603.06937): 1x1 (C/2) -> 3x3 (C/2) -> 1x1 (C) + identity."""

    def __init__(self, units: UnitSpec, in_channels: int, out_channels: int):
        super().__init__(units, in_channels, out_channels)
        middle = out_channels // 2
        self.body = nn.Sequential(units(in_channels, middle, 1), units(middle, middle, 3), units(middle, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class HPM(Residual):
    """Hierarchical, parallel, multi-scale block (Bulat & Tzimiropoulos, ICCV 2017, https://arxiv.org/abs/1703.00862).

    Three 3x3 conv units in sequence, C_in -> C/2 -> C/4 -> C/4; their outputs are concatenated
    back to C and added to the identity. Each unit sees a larger receptive field than the last.
    """

    def __init__(self, units: UnitSpec, in_channels: int, out_channels: int):
        super().__init__(units, in_channels, out_channels)
        if out_channels % 4:
            raise ValueError(f"hpm blocks need a channel count divisible by 4, got {out_channels}")
        half, quarter = out_channels // 2, out_channels // 4
        self.first = units(in_channels, half, 3)
        self.second = units(half, quarter, 3)
        self.third = units(quarter, quarter, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.first(x)
        second = self.second(first)
        third = self.third(second)
        return torch.cat([first, second, third], dim=1) + self.skip(x)


BLOCKS = {"bottleneck": Bottleneck, "hpm": HPM}
