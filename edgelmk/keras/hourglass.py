"""The stacked hourglass in Keras (NHWC), layer for layer the same as :mod:`edgelmk.nn.hourglass`.

Every layer with weights is named after the PyTorch module it mirrors (``stem.0``,
``hourglasses.0.skip.first.1``...), so :func:`load_torch_weights` copies a PyTorch state dict
by name. Precisions: ``fp32`` (Conv2D + ReLU) and ``w1a1`` (:class:`BinaryConv2D`, float stem
and heads). ``w8a8`` is not mirrored: its Brevitas quantizers export to ONNX (QCDQ) instead.

Shapes: the model takes (N, H, W, 3) RGB float 0..255 and returns the last stack's raw maps
(N, h, w, K), followed by the codec's output activation when ``output_activation`` is set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelmk.architecture import KERAS_PRECISIONS, stem_blocks, stem_channels
from edgelmk.keras.layers import BinaryConv2D, PixelNormalization, SpatialSoftmax, keras

BN_EPSILON = 1e-5  # PyTorch's default
BN_MOMENTUM = 0.9  # PyTorch's momentum 0.1


def unsupported_precision(precision: str) -> str | None:
    """Why a precision has no Keras mirror (None when it has one)."""
    if precision in KERAS_PRECISIONS:
        return None
    return (f"precision {precision!r} (Brevitas QuantConv2d / QuantReLU layers) has no Keras mirror; export it "
            "with --target onnx --int8 (Brevitas QCDQ), or train an fp32 / w1a1 recipe for TFLite and LCE")


class _Builder:
    def __init__(self, precision: str):
        self.precision = precision

    def batch_norm(self, name: str, x):
        return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)

    def conv_unit(self, name: str, x, filters: int, kernel: int):
        """BN -> activation -> conv, named like :func:`edgelmk.nn.quant.conv_unit`'s Sequential."""
        x = self.batch_norm(f"{name}.0", x)
        if self.precision == "w1a1":
            return BinaryConv2D(filters, kernel, name=f"{name}.1")(x)
        x = keras.layers.ReLU(name=f"{name}.1")(x)
        return keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}.2")(x)

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
    builder, kind = _Builder(config["precision"]), config["block"]
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

    maps, stack_maps = None, []
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
    if all_stacks:
        if output_activation != "none":
            raise ValueError("all_stacks returns raw maps for the losses; build without an output activation")
        return keras.Model(images, stack_maps, name="stacked_hourglass")
    if output_activation == "spatial_softmax":
        maps = SpatialSoftmax(name="spatial_softmax")(maps)
    elif output_activation != "none":
        raise ValueError(f"unknown output activation {output_activation!r}; expected none or spatial_softmax")
    return keras.Model(images, maps, name="stacked_hourglass")


def copy_weights_by_name(source: keras.Model, target: keras.Model) -> None:
    """Copy every weighted layer of ``target`` from the layer of the same name in ``source``.

    Raises:
        ValueError: naming a layer that ``source`` lacks (another architecture).
    """
    for layer in target.layers:
        if not layer.weights:
            continue
        try:
            layer.set_weights(source.get_layer(layer.name).get_weights())
        except ValueError as error:
            raise ValueError(f"layer {layer.name!r} cannot be copied: {error}; the models differ in architecture") \
                from None


def _torch_keys(layer) -> list[str]:
    """The PyTorch state-dict names of a weighted Keras layer's weights, in ``get_weights`` order."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return [f"{layer.name}.{part}" for part in ("weight", "bias", "running_mean", "running_var")]
    return [f"{layer.name}.weight"] + ([f"{layer.name}.bias"] if layer.use_bias else [])


def _to_torch_layout(layer, values: list[np.ndarray]) -> list[np.ndarray]:
    """A layer's Keras weights in PyTorch's layout (conv kernels HWIO -> OIHW)."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return list(values)
    return [values[0].transpose(3, 2, 0, 1)] + list(values[1:])


def _to_keras_layout(layer, values: list[np.ndarray]) -> list[np.ndarray]:
    """PyTorch-layout weights of a layer in Keras's layout (conv kernels OIHW -> HWIO)."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return list(values)
    return [values[0].transpose(2, 3, 1, 0)] + list(values[1:])


def torch_layout_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """Every weight of the hourglass under its PyTorch name and in PyTorch's layout (for ``model.init_from``)."""
    arrays = {}
    for layer in model.layers:
        if layer.weights:
            arrays.update(zip(_torch_keys(layer), _to_torch_layout(layer, layer.get_weights())))
    return arrays


def set_torch_layout_weights(model: keras.Model, arrays: dict[str, np.ndarray]) -> None:
    """Set the weights named in ``arrays`` (PyTorch names and layout, see :func:`torch_layout_weights`); keep the rest."""
    for layer in model.layers:
        if not layer.weights:
            continue
        keys = _torch_keys(layer)
        if any(key in arrays for key in keys):
            current = _to_torch_layout(layer, layer.get_weights())
            layer.set_weights(_to_keras_layout(layer, [arrays.get(key, value) for key, value in zip(keys, current)]))


def load_torch_weights(model: keras.Model, state_dict: dict[str, Any]) -> None:
    """Copy a PyTorch state dict into the mirror by layer name (conv OIHW -> HWIO; BN statistics).

    Raises:
        ValueError: naming the first Keras layer whose weights the state dict lacks or whose shape
            differs, and the PyTorch tensors left unused (a model of another architecture).
    """
    arrays = {key: value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
              for key, value in state_dict.items()}
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        keys = _torch_keys(layer)
        missing = [key for key in keys if key not in arrays]
        if missing:
            raise ValueError(f"Keras layer {layer.name!r} has no PyTorch weights ({missing[0]} missing): the "
                             "checkpoint's model is not the architecture this mirror builds")
        values = _to_keras_layout(layer, [arrays[key] for key in keys])
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [v.shape for v in values] != expected:
            raise ValueError(f"Keras layer {layer.name!r} expects weights {expected}, the checkpoint has "
                             f"{[v.shape for v in values]}")
        layer.set_weights(values)
        used.update(keys)
    unused = [key for key in arrays if key not in used and not key.endswith("num_batches_tracked")
              and key not in ("pixel_mean", "pixel_scale")]
    if unused:
        raise ValueError(f"PyTorch weights with no Keras layer: {', '.join(unused[:5])}; the mirror does not cover "
                         "this architecture")
