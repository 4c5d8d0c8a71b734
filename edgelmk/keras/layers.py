"""Keras layers with no stock equivalent: input normalisation, binary convolution, channel shifts (RPReLU),
spatial softmax."""

from __future__ import annotations

from edgelmk.optional import require

tf = require("tensorflow", "tflite", "the Keras mirror (TFLite / LCE export)")
lq = require("larq", "tflite", "binarized Keras layers")
keras = tf.keras


class PixelNormalization(keras.layers.Layer):
    """(x - 255 mean) / (255 std) per RGB channel: RGB 0..255 (N, H, W, 3) in, normalised out."""

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self.mean, self.std = [float(v) for v in mean], [float(v) for v in std]

    def call(self, images):
        mean = tf.constant([255.0 * v for v in self.mean], dtype=images.dtype)
        scale = tf.constant([1.0 / (255.0 * v) for v in self.std], dtype=images.dtype)
        return (images - mean) * scale

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "std": self.std}


class BinaryConv2D(lq.layers.QuantConv2D):
    """sign(input) conv sign(kernel), times each output channel's mean |kernel|; padding +1.

    The Larq counterpart of :class:`edgelmk.nn.quant.BinaryConv2d` (``ste_sign`` on inputs and
    kernel, ``weight_clip`` on the latent kernel, ``pad_values=1``). LCE's converter turns the
    sign convolution into ``LceBconv2d`` and folds the per-channel multiply into it.
    """

    def __init__(self, filters, kernel_size, binary_weights: bool = True, **kwargs):
        kwargs.setdefault("input_quantizer", "ste_sign")
        kwargs.setdefault("kernel_quantizer", "ste_sign" if binary_weights else None)
        kwargs.setdefault("kernel_constraint", "weight_clip" if binary_weights else None)
        kwargs.setdefault("pad_values", 1.0)
        kwargs.setdefault("padding", "same")
        kwargs.setdefault("use_bias", False)
        super().__init__(filters, kernel_size, **kwargs)
        self.binary_weights = binary_weights

    def call(self, inputs):
        if not self.binary_weights:  # step one of the two-step schedule: real weights, no scale
            return super().call(inputs)
        scale = tf.reduce_mean(tf.abs(self.kernel), axis=(0, 1, 2))
        return super().call(inputs) * scale

    def get_config(self):
        return {**super().get_config(), "binary_weights": self.binary_weights}


class ChannelShift(keras.layers.Layer):
    """x + bias per channel (NHWC), the counterpart of :class:`edgelmk.nn.quant.ChannelShift` (weight ``bias``)."""

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return x + self.bias


def rprelu(name: str, x):
    """ReActNet's RPReLU on NHWC features, named like :class:`edgelmk.nn.quant.RPReLU`
    (``{name}.shift_in``, ``{name}.prelu``, ``{name}.shift_out``)."""
    x = ChannelShift(name=f"{name}.shift_in")(x)
    x = keras.layers.PReLU(keras.initializers.Constant(0.25), shared_axes=[1, 2], name=f"{name}.prelu")(x)
    return ChannelShift(name=f"{name}.shift_out")(x)


class SpatialSoftmax(keras.layers.Layer):
    """Softmax over the H x W pixels of each map, channels first: (N, K, H, W) -> (N, K, H, W).

    On channels-first maps the softmax runs along the last axis, so TFLite needs no transposes around it.
    """

    def call(self, maps):
        channels, height, width = maps.shape[1:]
        flat = tf.reshape(maps, (-1, channels, height * width))
        return tf.reshape(tf.nn.softmax(flat, axis=-1), (-1, channels, height, width))


CUSTOM_OBJECTS = {"PixelNormalization": PixelNormalization, "BinaryConv2D": BinaryConv2D,
                  "ChannelShift": ChannelShift, "SpatialSoftmax": SpatialSoftmax}


def finish_model(images, stack_maps: list, output_activation: str, all_stacks: bool, name: str) -> keras.Model:
    """The Keras model from ``images`` to the last of ``stack_maps`` (raw (N, h, w, K) maps) as exported.

    The exported form returns the maps channels first, (N, K, h, w), then the activation: each
    keypoint's map is contiguous in the output tensor, which is what the decoders read (no
    transpose after the interpreter), and a spatial softmax needs no transposes inside it.

    Args:
        output_activation: ``none`` or ``spatial_softmax``.
        all_stacks: return every entry of ``stack_maps`` raw and channels last instead, for
            training with intermediate supervision (then ``output_activation`` must be ``none``).
    """
    if all_stacks:
        if output_activation != "none":
            raise ValueError("all_stacks returns raw maps for the losses; build without an output activation")
        return keras.Model(images, stack_maps, name=name)
    maps = keras.layers.Permute((3, 1, 2), name="channels_first")(stack_maps[-1])
    if output_activation == "spatial_softmax":
        maps = SpatialSoftmax(name="spatial_softmax")(maps)
    elif output_activation != "none":
        raise ValueError(f"unknown output activation {output_activation!r}; expected none or spatial_softmax")
    return keras.Model(images, maps, name=name)
