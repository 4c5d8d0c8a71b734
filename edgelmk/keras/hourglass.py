"""The stacked hourglass in Keras (NHWC), layer for layer the same as :mod:`edgelmk.nn.hourglass`.

Every layer with weights is named after the PyTorch module it mirrors (``stem.0``,
``hourglasses.0.skip.first.1``...), so :func:`edgelmk.keras.weights.load_torch_weights` copies a
PyTorch state dict by name. Precisions: ``fp32`` (Conv2D + ReLU) and ``w1a1`` (:class:`BinaryConv2D`, float stem
and heads; with its unit options: RPReLU, shortcuts, real weights). ``w8a8`` is not mirrored: its Brevitas quantizers export to ONNX (QCDQ) instead.

Shapes: the model takes (N, H, W, 3) RGB float 0..255 and returns the last stack's raw maps
(N, h, w, K), followed by the codec's output activation when ``output_activation`` is set.
"""

from __future__ import annotations

from typing import Any

from edgelmk.architecture import KERAS_PRECISIONS, binary_options, shortcut_fits, stem_blocks, stem_channels
from edgelmk.keras.layers import BinaryConv2D, PixelNormalization, finish_model, keras, rprelu

BN_EPSILON = 1e-5  # PyTorch's default
BN_MOMENTUM = 0.9  # PyTorch's momentum 0.1


def unsupported_precision(precision: str) -> str | None:
    """Why a precision has no Keras mirror (None when it has one)."""
    if precision in KERAS_PRECISIONS:
        return None
    return (f"precision {precision!r} (Brevitas QuantConv2d / QuantReLU layers) has no Keras mirror; export it "
            "with --target onnx --int8 (Brevitas QCDQ), or train an fp32 / w1a1 recipe for TFLite and LCE")


class _Builder:
    def __init__(self, config: dict[str, Any]):
        self.precision, self.binary = config["precision"], binary_options(config)

    def batch_norm(self, name: str, x):
        return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)

    def conv_unit(self, name: str, x, filters: int, kernel: int):
        """BN -> activation -> conv, named like :func:`edgelmk.nn.quant.conv_unit`'s Sequential."""
        if self.precision == "w1a1":
            return self.binary_unit(name, x, filters, kernel)
        x = self.batch_norm(f"{name}.0", x)
        x = keras.layers.ReLU(name=f"{name}.1")(x)
        return keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}.2")(x)

    def binary_unit(self, name: str, x, filters: int, kernel: int):
        """BN -> binary conv [+ input] [-> RPReLU], as :class:`edgelmk.nn.quant.BinaryUnit`."""
        y = BinaryConv2D(filters, kernel, binary_weights=self.binary["binary_weights"],
                         name=f"{name}.1")(self.batch_norm(f"{name}.0", x))
        if self.binary["binary_shortcut"] and shortcut_fits(x.shape[-1], filters, 1):
            y = keras.layers.Add(name=f"{name}.shortcut")([y, x])
        return rprelu(f"{name}.rprelu", y) if self.binary["binary_activation"] == "rprelu" else y

    def block(self, kind: str, name: str, x, filters: int):
        in_channels = x.shape[-1]
        skip = x if in_channels == filters else self.conv_unit(f"{name}.skip", x, filters, 1)
        if kind == "hpm":
            first = self.conv_unit(f"{name}.first", x, filters // 2, 3)
            second = self.conv_unit(f"{name}.second", first, filters // 4, 3)
            third = self.conv_unit(f"{name}.third", second, filters // 4, 3)
            body = keras.layers.Concatenate(name=f"{name}.cat")([first, second, third])
        else:
            body = self.conv_unit(f"{name}.body.0", x, filters // 2, 1)
            body = self.conv_unit(f"{name}.body.1", body, filters // 2, 3)
            body = self.conv_unit(f"{name}.body.2", body, filters, 1)
        return keras.layers.Add(name=f"{name}.add")([body, skip])

    def hourglass(self, kind: str, name: str, x, width: int, depth: int):
        low = keras.layers.MaxPool2D(2, name=f"{name}.pool")(x)
        low = self.block(kind, f"{name}.down", low, width)
        low = (self.hourglass(kind, f"{name}.inner", low, width, depth - 1) if depth > 1
               else self.block(kind, f"{name}.inner", low, width))
        low = self.block(kind, f"{name}.up", low, width)
        up = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}.upsample")(low)
        return keras.layers.Add(name=f"{name}.add")([self.block(kind, f"{name}.skip", x, width), up])


def build_hourglass(config: dict[str, Any], output_activation: str = "none", all_stacks: bool = False
                    ) -> keras.Model:
    """A Keras stacked hourglass from a PyTorch model's ``config`` (``StackedHourglass.config``).

    Args:
        config: num_keypoints, input_hw, heatmap_hw, precision, block, width, depth, stacks, mean, std.
        output_activation: ``none`` or ``spatial_softmax`` (appended after the last stack).
        all_stacks: return every stack's raw maps, a list of (N, h, w, K), for training with
            intermediate supervision (then ``output_activation`` must be ``none``).
    """
    reason = unsupported_precision(config["precision"])
    if reason:
        raise ValueError(reason)
    builder, kind = _Builder(config), config["block"]
    width, stacks, k = config["width"], config["stacks"], config["num_keypoints"]
    height, input_width = config["input_hw"]

    images = keras.Input((height, input_width, 3), name="image")
    x = PixelNormalization(config["mean"], config["std"], name="normalize")(images)
    # PyTorch pads 2 on every side. At stride 2 on an even size the last padded row and column are
    # never read, so (2, 1) is the same convolution; a symmetric (2, 2) pad is mis-folded into 'same'
    # padding ((1, 2) at stride 2) by LCE 0.16's converter, shifting the whole stem by one pixel.
    x = keras.layers.ZeroPadding2D(((2, 1), (2, 1)), name="stem.pad")(x)
    x = keras.layers.Conv2D(stem_channels(config), 5, strides=2, use_bias=False, name="stem.0")(x)
    x = keras.layers.ReLU(name="stem.2")(builder.batch_norm("stem.1", x))
    blocks = stem_blocks(config)
    for number, (_, out) in enumerate(blocks):
        x = builder.block(kind, f"stem.{3 + 2 * number}", x, out)
        if number < len(blocks) - 1:
            x = keras.layers.MaxPool2D(2, name=f"stem.{4 + 2 * number}")(x)

    stack_maps = []
    for stack in range(stacks):
        features = builder.hourglass(kind, f"hourglasses.{stack}", x, width, config["depth"])
        features = builder.block(kind, f"features.{stack}.0", features, width)
        features = builder.conv_unit(f"features.{stack}.1", features, width, 1)
        head = keras.layers.ReLU(name=f"heads.{stack}.1")(builder.batch_norm(f"heads.{stack}.0", features))
        maps = keras.layers.Conv2D(k, 1, name=f"heads.{stack}.2")(head)
        stack_maps.append(maps)
        if stack < stacks - 1:
            merged_features = keras.layers.Conv2D(width, 1, use_bias=False, name=f"merge_features.{stack}")(features)
            merged_maps = keras.layers.Conv2D(width, 1, use_bias=False, name=f"merge_maps.{stack}")(maps)
            x = keras.layers.Add(name=f"merge.{stack}")([x, merged_features, merged_maps])
    return finish_model(images, stack_maps, output_activation, all_stacks, "stacked_hourglass")
