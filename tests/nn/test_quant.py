"""Quantized convolutions equal float convolutions fed the quantized values."""

import pytest
import torch
import torch.nn.functional as F

from edgelmk.nn.quant import BinaryConv2d, binary_sign, conv_unit
from tests.helpers import optional_import


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 1), (1, 0)])
def test_binary_conv_equals_float_conv_of_signs_times_scale(stride, padding):
    torch.manual_seed(0)
    conv = BinaryConv2d(8, 32, 3, stride=stride, padding=padding)
    x = torch.randn(2, 8, 9, 9)
    sign_x = torch.where(x >= 0, 1.0, -1.0)
    scale = conv.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
    sign_w = torch.where(conv.weight >= 0, 1.0, -1.0)
    expected = F.conv2d(F.pad(sign_x, (padding,) * 4, value=1.0), sign_w * scale, stride=stride)
    torch.testing.assert_close(conv(x), expected)


def test_sign_of_zero_is_plus_one_and_the_gradient_is_clipped():
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = binary_sign(x)
    assert y.tolist() == [-1, -1, -1, 1, 1, 1, 1]
    y.sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_binary_padding_is_plus_one():
    conv = BinaryConv2d(1, 1, 3, padding=1)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    out = conv(-torch.ones(1, 1, 3, 3))  # all -1 inside; the corner sees 4 inside and 5 padded pixels
    assert out[0, 0, 0, 0].item() == pytest.approx(-4 + 5)
    assert out[0, 0, 1, 1].item() == pytest.approx(-9)


def test_int8_conv_equals_float_conv_of_its_quantized_weights():
    optional_import("brevitas")
    torch.manual_seed(0)
    unit = conv_unit("w8a8", 8, 16, 3)
    norm, activation, conv = unit
    unit.eval()
    x = torch.randn(2, 8, 6, 6)
    activated = activation(norm(x))
    levels = (activated / activation.act_quant.scale()).detach()
    torch.testing.assert_close(levels, levels.round(), atol=1e-4, rtol=0)  # 8-bit activations
    weights = conv.quant_weight()
    steps = weights.value / weights.scale
    torch.testing.assert_close(steps, steps.round(), atol=1e-4, rtol=0)  # 8-bit weights
    assert steps.abs().max() <= 128
    torch.testing.assert_close(conv(activated), F.conv2d(activated, weights.value, padding=1), atol=1e-5, rtol=1e-5)


def test_unknown_precision():
    with pytest.raises(ValueError, match="unknown precision 'w4a4'; choose one of fp32, w8a8, w1a1"):
        conv_unit("w4a4", 4, 4, 3)
