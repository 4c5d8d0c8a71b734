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

Binary unit options (w1a1, model keys; :class:`UnitSpec`): ``binary_activation: rprelu`` puts
ReActNet's RPReLU (Liu et al., ECCV 2020) after the binary conv, ``binary_shortcut`` adds the
unit's real-valued input to its output where the shapes agree (Bi-Real Net, Liu et al., ECCV
2018), ``binary_weights: false`` keeps the weights real (step one of the two-step schedule of
Martinez et al., ICLR 2020). ReActNet's learnable shift before the sign (RSign) is the batch
norm's bias here: in this pre-activation order the norm comes right before the sign.

Binarization (w1a1): activations and weights pass through ``sign`` with a straight-through
estimator whose gradient is clipped to ``|x| <= 1``; ``sign(0) = +1``; each output channel is
scaled by the mean absolute value of its float weights; the input is padded with +1 (not 0,
which sign cannot produce), as Larq Compute Engine's ``pad_values=1``. Binary convolutions
want channel counts that are multiples of 32 for LCE's kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.architecture import PRECISIONS, binary_options, shortcut_fits


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

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 binary_weights: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=False)
        self.binary_padding, self.binary_weights = padding, binary_weights

    def binary_weight(self) -> torch.Tensor:
        """sign(W) * mean|W| per output channel (the weight the layer really uses); W itself without
        ``binary_weights``."""
        if not self.binary_weights:
            return self.weight
        scale = self.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
        return binary_sign(self.weight) * scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = binary_sign(x)
        if self.binary_padding:
            p = self.binary_padding
            x = F.pad(x, (p, p, p, p), value=1.0)
        return F.conv2d(x, self.binary_weight(), None, self.stride)


class ChannelShift(nn.Module):
    """x + bias per channel: (N, C, H, W) -> (N, C, H, W)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias.view(1, -1, 1, 1)


class RPReLU(nn.Sequential):
    """ReActNet's RPReLU: PReLU(x - shift) + shift', each per channel (shifts start at 0, slopes at 0.25)."""

    def __init__(self, channels: int):
        super().__init__()
        self.shift_in, self.prelu, self.shift_out = ChannelShift(channels), nn.PReLU(channels), ChannelShift(channels)


class BinaryUnit(nn.Module):
    """BN -> sign -> binary conv [+ input (shortcut)] [-> RPReLU]; named ``0`` (BN), ``1`` (conv), ``rprelu``.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride). The shortcut is
    added only where input and output shapes agree.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, activation: str,
                 shortcut: bool, binary_weights: bool):
        super().__init__()
        self.add_module("0", nn.BatchNorm2d(in_channels))
        self.add_module("1", BinaryConv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                                          binary_weights))
        self.shortcut = shortcut and shortcut_fits(in_channels, out_channels, stride)
        self.rprelu = RPReLU(out_channels) if activation == "rprelu" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = getattr(self, "1")(getattr(self, "0")(x))
        if self.shortcut:
            y = y + x
        return self.rprelu(y) if self.rprelu is not None else y


@dataclass(frozen=True)
class UnitSpec:
    """How a network's conv units compute: the precision and, for w1a1, the binary unit options.

    Calling it builds a unit: ``spec(in_channels, out_channels, kernel_size, stride=1)``, see :func:`conv_unit`.
    """

    precision: str
    binary_activation: str = "none"
    binary_shortcut: bool = False
    binary_weights: bool = True

    def __call__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Module:
        if self.precision == "w1a1":
            return BinaryUnit(in_channels, out_channels, kernel_size, stride, self.binary_activation,
                              self.binary_shortcut, self.binary_weights)
        return conv_unit(self.precision, in_channels, out_channels, kernel_size, stride)


def unit_spec(config: dict) -> UnitSpec:
    """The conv units of an architecture config (:func:`edgelmk.architecture.hourglass_config`)."""
    return UnitSpec(config["precision"], **binary_options(config))


def _brevitas():
    from edgelmk.optional import require

    return require("brevitas.nn", "torch", "w8a8 quantization-aware training")


def conv_unit(precision: str, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Module:
    """Norm -> activation -> conv of the preset, w1a1 without options; 'same' padding for odd kernels.

    Shapes: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).
    """
    if precision == "w1a1":
        return BinaryUnit(in_channels, out_channels, kernel_size, stride, "none", False, True)
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
    raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")


def edge_conv(precision: str) -> Callable[..., nn.Module]:
    """The plain conv class of the stem and heads: float except for w8a8 (8-bit weights)."""
    if precision == "w8a8":
        qnn = _brevitas()
        return lambda *args, **kwargs: qnn.QuantConv2d(*args, weight_bit_width=8, **kwargs)
    return nn.Conv2d
