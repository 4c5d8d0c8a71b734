"""The PyTorch graph that export traces: folded binary convolutions, last stack, output activation."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.nn.decoders import output_activation
from edgelmk.nn.quant import BinaryConv2d


class FoldedBinaryConv2d(nn.Module):
    """Inference form of :class:`BinaryConv2d` in standard ops: sign, pad with +1, conv with sign(W) * scale.

    The weight is folded once (no per-call sign / mean of the latent weight), and sign is written
    as ``2 * (x >= 0) - 1`` so ONNX and TFLite see GreaterOrEqual, Cast, Mul, Sub (sign(0) = +1).
    """

    def __init__(self, layer: BinaryConv2d):
        super().__init__()
        self.padding = layer.binary_padding
        self.stride = layer.stride
        self.register_buffer("weight", layer.binary_weight().detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x >= 0).to(x.dtype) * 2 - 1
        if self.padding:
            x = F.pad(x, (self.padding,) * 4, value=1.0)
        return F.conv2d(x, self.weight, None, self.stride)


def fold_binary(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every BinaryConv2d replaced by its folded form."""
    model = copy.deepcopy(model).eval()
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, BinaryConv2d):
                setattr(module, child_name, FoldedBinaryConv2d(child))
    return model


class ExportGraph(nn.Module):
    """Images (N, 3, H, W) float 0..255 -> the codec's maps (N, K, h, w) of the last stack."""

    def __init__(self, model: nn.Module, codec_name: str):
        super().__init__()
        self.model = fold_binary(model)
        self.codec_name = codec_name

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return output_activation(self.codec_name, self.model(images)[-1])
