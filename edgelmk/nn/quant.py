"""Precision presets: what each convolution of a network computes in, named once.

A network is built from *conv units*: normalisation -> activation -> convolution (the
pre-activation order of Bulat & Tzimiropoulos, https://arxiv.org/abs/1703.00862, where the
batch norm sits before the sign). Each preset builds these units:

==========  ==========================================  =======================================
preset      inner conv units                            first (stem) and last (head) layers
==========  ==========================================  =======================================
fp32        BN -> ReLU -> Conv2d                        float
w8a8        BN -> 8-bit QuantReLU -> 8-bit QuantConv2d  8-bit as well (Brevitas QAT, per-tensor)
w1a1        BN -> sign -> BinaryConv2d                  float (int8 after export)
==========  ==========================================  =======================================

Binarization (w1a1): activations and weights pass through ``sign`` with a straight-through
estimator whose gradient is clipped to ``|x| <= 1``; ``sign(0) = +1``; each output channel is
scaled by the mean absolute value of its float weights; the input is padded with +1 (not 0,
which sign cannot produce), as Larq Compute Engine's ``pad_values=1``. Binary convolutions
want channel counts that are multiples of 32 for LCE's kernels.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.architecture import PRECISIONS


class SignSTE(torch.autograd.Function):
    """sign(x) with sign(0) = +1 forward; gradient passed where |x| <= 1, zero elsewhere."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def binary_sign(x: torch.Tensor) -> torch.Tensor:
    return SignSTE.apply(x)


class BinaryConv2d(nn.Conv2d):
    """Convolution of sign(input) with sign(weight) * per-output-channel mean |weight|.

    Shapes: input (N, C_in, H, W) of any real values (binarized here), output (N, C_out, H', W').
    Padding uses +1. No bias (the following batch norm provides the offset).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=False)
        self.binary_padding = padding

    def binary_weight(self) -> torch.Tensor:
        """sign(W) * mean|W| per output channel (the weight the layer really uses)."""
        scale = self.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
        return binary_sign(self.weight) * scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = binary_sign(x)
        if self.binary_padding:
            p = self.binary_padding
            x = F.pad(x, (p, p, p, p), value=1.0)
        return F.conv2d(x, self.binary_weight(), None, self.stride)


def _brevitas():
    from edgelmk.optional import require

    return require("brevitas.nn", "torch", "w8a8 quantization-aware training")


def conv_unit(precision: str, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    """Norm -> activation -> conv of the preset; 'same' padding for odd kernels.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).
    """
    padding = kernel_size // 2
    norm = nn.BatchNorm2d(in_channels)
    if precision == "fp32":
        return nn.Sequential(norm, nn.ReLU(inplace=False),
                             nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False))
    if precision == "w8a8":
        qnn = _brevitas()
        return nn.Sequential(norm, qnn.QuantReLU(bit_width=8),
                             qnn.QuantConv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                                             bias=False, weight_bit_width=8))
    if precision == "w1a1":
        return nn.Sequential(norm, BinaryConv2d(in_channels, out_channels, kernel_size, stride, padding))
    raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")


def edge_conv(precision: str) -> Callable[..., nn.Module]:
    """The plain conv class of the stem and heads: float except for w8a8 (8-bit weights)."""
    if precision == "w8a8":
        qnn = _brevitas()
        return lambda *args, **kwargs: qnn.QuantConv2d(*args, weight_bit_width=8, **kwargs)
    return nn.Conv2d
