"""The int8-first mobile network: inverted residuals with ReLU6 in an encoder-decoder, at heatmap resolution.

Built for the int8 TFLite / ONNX path (XNNPACK's int8 kernels): every convolution is followed
by its batch norm (folded by the export) and a ReLU6 (fused into the convolution) or nothing
(the linear projection of an inverted residual, Sandler et al., https://arxiv.org/abs/1801.04381).
Stride-2 convolutions pad one pixel right and bottom only, TensorFlow's ``same`` padding, so
that the Keras mirror (:mod:`edgelmk.keras.mobile`) needs no explicit pad operator.

Layout: a strided 3x3 stem conv, strided inverted residuals down to heatmap resolution,
``blocks`` inverted residuals there, then an encoder-decoder: each level halves the map with a
strided block, goes one level deeper, upsamples (nearest) and adds its input back before one
more block; a 1x1 head with bias gives one map per keypoint.

Shapes: forward takes (N, 3, H, W) float 0..255 and returns a one-element list with the raw
maps (N, K, h, w), as :class:`edgelmk.nn.hourglass.StackedHourglass` does for one stack.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.architecture import IMAGENET_MEAN, IMAGENET_STD, MOBILE_STEM_CHANNELS, mobile_config, mobile_stem
from edgelmk.nn.normalization import PixelNormalized


class ConvNorm(nn.Sequential):
    """Conv (no bias) -> BN (-> ReLU6): 3x3 'same' padding (stride 2: right and bottom only), or 1x1.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride); H, W even at stride 2.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1,
                 activation: bool = True):
        padding = kernel_size // 2 if stride == 1 else 0
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False),
                  nn.BatchNorm2d(out_channels)]
        super().__init__(*layers, *([nn.ReLU6()] if activation else []))
        self.same_pad = (0, kernel_size - stride) * 2 if stride > 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.same_pad) if self.same_pad else x)


class InvertedResidual(nn.Module):
    """1x1 expansion (ReLU6) -> 3x3 depthwise (ReLU6, ``stride``) -> linear 1x1 projection (+ input when shapes match).

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).
    """

    def __init__(self, in_channels: int, out_channels: int, expansion: int, stride: int = 1):
        super().__init__()
        hidden = in_channels * expansion
        self.expand = ConvNorm(in_channels, hidden, 1) if expansion > 1 else nn.Identity()
        self.depthwise = ConvNorm(hidden, hidden, 3, stride, groups=hidden)
        self.project = ConvNorm(hidden, out_channels, 1, activation=False)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        return out + x if self.residual else out


class Level(nn.Module):
    """One level of the encoder-decoder: x -> block(x + upsample(deeper(down(x)))); (N, C, H, W) -> (N, C, H, W)."""

    def __init__(self, channels: int, expansion: int, depth: int):
        super().__init__()
        self.down = InvertedResidual(channels, channels, expansion, stride=2)
        self.inner = Level(channels, expansion, depth - 1) if depth > 1 else InvertedResidual(channels, channels,
                                                                                                expansion)
        self.merge = InvertedResidual(channels, channels, expansion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.merge(x + F.interpolate(self.inner(self.down(x)), scale_factor=2.0, mode="nearest"))


class MobileNet(PixelNormalized):
    """The mobile network of :func:`edgelmk.architecture.mobile_config` (see the module docstring).

    Args:
        num_keypoints: K.
        input_hw: (H, W) of the input images, pixels.
        heatmap_hw: (h, w) of the output maps; H / h = W / w, one power of 2 (>= 2).
        precision: fp32 (int8 is the export's).
        width: channels at heatmap resolution and below.
        expansion: hidden channels per input channel in each block.
        depth: halvings of the encoder-decoder.
        blocks: blocks at heatmap resolution before the encoder-decoder.
        mean, std: per-channel RGB normalisation of 0..1 pixels.
    """

    def __init__(self, num_keypoints: int, input_hw: Sequence[int], heatmap_hw: Sequence[int], precision: str = "fp32",
                 width: int = 64, expansion: int = 4, depth: int = 2, blocks: int = 1,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        super().__init__(mean, std)
        self.config = mobile_config(num_keypoints, input_hw, heatmap_hw, precision, width, expansion, depth, blocks,
                                    mean, std)
        self.input_hw, self.heatmap_hw = tuple(self.config["input_hw"]), tuple(self.config["heatmap_hw"])
        layers: list[nn.Module] = [ConvNorm(3, MOBILE_STEM_CHANNELS, 3, stride=2)]
        layers += [InvertedResidual(channels, out, expansion, stride=2) for channels, out in mobile_stem(self.config)]
        if not mobile_stem(self.config):  # stride 2: the stem conv alone reaches heatmap resolution
            layers.append(ConvNorm(MOBILE_STEM_CHANNELS, width, 1))
        layers += [InvertedResidual(width, width, expansion) for _ in range(blocks)]
        self.stem = nn.Sequential(*layers)
        self.levels = Level(width, expansion, depth)
        self.head = nn.Conv2d(width, num_keypoints, 1)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(self.normalize(images))
        return [self.head(self.levels(x))]
