"""Stacked hourglass network (Newell et al., ECCV 2016, https://arxiv.org/abs/1603.06937) for low-resolution heatmaps.

The stem brings the input down to the heatmap size (strided conv, then residual blocks and
2x2 max pools), so every hourglass works at heatmap resolution: a 128x128 input with a
16x16 heatmap has a stride of 8. Each stack ends in a head (one map per keypoint); stacks
after the first see the previous stack's features and heatmaps (intermediate supervision).

The model normalises its own input: it takes RGB images as float 0..255 and applies the
mean/std of its config, so exported models take raw pixels.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.architecture import IMAGENET_MEAN, IMAGENET_STD, hourglass_config, stem_blocks, stem_channels
from edgelmk.nn.blocks import BLOCKS
from edgelmk.nn.normalization import PixelNormalized
from edgelmk.nn.quant import UnitSpec, edge_conv, unit_spec


class Hourglass(nn.Module):
    """One recursive hourglass: (N, C, H, W) -> (N, C, H, W); ``depth`` halvings of H and W."""

    def __init__(self, block: type, units: UnitSpec, channels: int, depth: int):
        super().__init__()
        self.skip = block(units, channels, channels)
        self.down = block(units, channels, channels)
        self.inner = Hourglass(block, units, channels, depth - 1) if depth > 1 else block(units, channels, channels)
        self.up = block(units, channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.up(self.inner(self.down(F.max_pool2d(x, 2))))
        return self.skip(x) + F.interpolate(low, size=x.shape[-2:], mode="nearest")


class StackedHourglass(PixelNormalized):
    """Stacked hourglass producing (N, K, h, w) maps per stack.

    Args:
        num_keypoints: K.
        input_hw: (H, W) of the input images, pixels.
        heatmap_hw: (h, w) of the output maps; H / h and W / w must be equal powers of 2 (>= 2).
        precision: fp32, w8a8 or w1a1 (see :mod:`edgelmk.nn.quant`).
        block: bottleneck or hpm.
        width: channels inside the hourglasses (a multiple of 32 suits binary kernels).
        depth: halvings inside each hourglass (the smallest map is h / 2**depth).
        stacks: number of hourglasses.
        binary_activation, binary_shortcut, binary_weights: w1a1's unit options (:mod:`edgelmk.nn.quant`).
        mean, std: per-channel RGB normalisation of 0..1 pixels.

    Shapes: forward takes (N, 3, H, W) float 0..255 and returns a list of ``stacks`` tensors
    (N, K, h, w) of raw outputs (logits or heatmaps, by the codec's loss).
    """

    def __init__(self, num_keypoints: int, input_hw: Sequence[int], heatmap_hw: Sequence[int], precision: str = "w1a1",
                 block: str = "hpm", width: int = 128, depth: int = 3, stacks: int = 1,
                 binary_activation: str = "none", binary_shortcut: bool = False, binary_weights: bool = True,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        super().__init__(mean, std)
        self.config = hourglass_config(num_keypoints, input_hw, heatmap_hw, precision, block, width, depth, stacks,
                                       binary_activation, binary_shortcut, binary_weights, mean, std)
        self.input_hw, self.heatmap_hw = tuple(self.config["input_hw"]), tuple(self.config["heatmap_hw"])
        block_cls, units = BLOCKS[block], unit_spec(self.config)
        edge = edge_conv(precision)

        # stem: a float (w8a8: 8-bit) strided conv, then blocks and pools down to the heatmap size
        first = stem_channels(self.config)
        layers: list[nn.Module] = [edge(3, first, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(first), nn.ReLU()]
        for channels, out in stem_blocks(self.config):
            layers += [block_cls(units, channels, out), nn.MaxPool2d(2)]
        layers.pop()  # no pool after the last block
        self.stem = nn.Sequential(*layers)

        self.hourglasses = nn.ModuleList(Hourglass(block_cls, units, width, depth) for _ in range(stacks))
        self.features = nn.ModuleList(nn.Sequential(block_cls(units, width, width), units(width, width, 1))
                                      for _ in range(stacks))
        # heads: BN + ReLU, then a float 1x1 conv with bias (w8a8: 8-bit)
        self.heads = nn.ModuleList(nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(), edge(width, num_keypoints, 1))
                                   for _ in range(stacks))
        self.merge_features = nn.ModuleList(edge(width, width, 1, bias=False) for _ in range(stacks - 1))
        self.merge_maps = nn.ModuleList(edge(num_keypoints, width, 1, bias=False) for _ in range(stacks - 1))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(self.normalize(images))
        outputs = []
        for index, hourglass in enumerate(self.hourglasses):
            features = self.features[index](hourglass(x))
            maps = self.heads[index](features)
            outputs.append(maps)
            if index < len(self.hourglasses) - 1:
                x = x + self.merge_features[index](features) + self.merge_maps[index](maps)
        return outputs
