"""The mobile network in Keras (NHWC), layer for layer the same as :mod:`edgelmk.nn.mobile`.

Weighted layers carry the PyTorch module names (``stem.0.0``, ``levels.down.depthwise.0``...)
so that :func:`edgelmk.keras.weights.load_torch_weights` copies a state dict by name. Every
convolution uses Keras's ``same`` padding, which is what the PyTorch network computes (stride
2 pads right and bottom only), so TFLite gets plain CONV_2D / DEPTHWISE_CONV_2D with fused
ReLU6 and no PAD operators.

Shapes: (N, H, W, 3) RGB float 0..255 -> (N, h, w, K) raw maps, then the codec's output activation.
"""

from __future__ import annotations

from typing import Any

from edgelmk.architecture import MOBILE_STEM_CHANNELS, mobile_stem
from edgelmk.keras.hourglass import BN_EPSILON, BN_MOMENTUM
from edgelmk.keras.layers import PixelNormalization, finish_model, keras


def _conv_norm(name: str, x, filters: int, kernel: int, stride: int = 1, depthwise: bool = False,
               activation: bool = True):
    """Conv -> BN (-> ReLU6), named like :class:`edgelmk.nn.mobile.ConvNorm`'s Sequential."""
    if depthwise:
        x = keras.layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{name}.0")(x)
    else:
        x = keras.layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}.0")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=f"{name}.1")(x)
    return keras.layers.ReLU(6.0, name=f"{name}.2")(x) if activation else x


def _inverted_residual(name: str, x, filters: int, expansion: int, stride: int = 1):
    """:class:`edgelmk.nn.mobile.InvertedResidual`: expand (ReLU6), depthwise (ReLU6), linear projection (+ input)."""
    in_channels = x.shape[-1]
    hidden = _conv_norm(f"{name}.expand", x, in_channels * expansion, 1) if expansion > 1 else x
    hidden = _conv_norm(f"{name}.depthwise", hidden, None, 3, stride, depthwise=True)
    out = _conv_norm(f"{name}.project", hidden, filters, 1, activation=False)
    if stride == 1 and in_channels == filters:
        out = keras.layers.Add(name=f"{name}.add")([out, x])
    return out


def _level(name: str, x, width: int, expansion: int, depth: int):
    """:class:`edgelmk.nn.mobile.Level`: merge(x + upsample(inner(down(x))))."""
    low = _inverted_residual(f"{name}.down", x, width, expansion, stride=2)
    low = (_level(f"{name}.inner", low, width, expansion, depth - 1) if depth > 1
           else _inverted_residual(f"{name}.inner", low, width, expansion))
    up = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}.upsample")(low)
    return _inverted_residual(f"{name}.merge", keras.layers.Add(name=f"{name}.add")([x, up]), width, expansion)


def build_mobile(config: dict[str, Any], output_activation: str = "none", all_stacks: bool = False) -> keras.Model:
    """A Keras mobile network from a PyTorch model's ``config`` (``MobileNet.config``).

    Args:
        config: num_keypoints, input_hw, heatmap_hw, precision, width, expansion, depth, blocks, mean, std.
        output_activation: ``none`` or ``spatial_softmax``.
        all_stacks: return the raw maps as a one-element list (the training form of every mirror).
    """
    width, expansion = config["width"], config["expansion"]
    images = keras.Input((*config["input_hw"], 3), name="image")
    x = PixelNormalization(config["mean"], config["std"], name="normalize")(images)
    x = _conv_norm("stem.0", x, MOBILE_STEM_CHANNELS, 3, stride=2)
    steps = mobile_stem(config)
    for number, (_, out) in enumerate(steps):
        x = _inverted_residual(f"stem.{1 + number}", x, out, expansion, stride=2)
    if not steps:
        x = _conv_norm("stem.1", x, width, 1)
    first = 1 + max(len(steps), 1)
    for number in range(config["blocks"]):
        x = _inverted_residual(f"stem.{first + number}", x, width, expansion)
    x = _level("levels", x, width, expansion, config["depth"])
    maps = keras.layers.Conv2D(config["num_keypoints"], 1, name="head")(x)
    return finish_model(images, [maps], output_activation, all_stacks, "mobile")
