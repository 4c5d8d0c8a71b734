"""Keras layers with no stock equivalent: input normalisation, binary convolution, spatial softmax."""

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

    def __init__(self, filters, kernel_size, **kwargs):
        kwargs.setdefault("input_quantizer", "ste_sign")
        kwargs.setdefault("kernel_quantizer", "ste_sign")
        kwargs.setdefault("kernel_constraint", "weight_clip")
        kwargs.setdefault("pad_values", 1.0)
        kwargs.setdefault("padding", "same")
        kwargs.setdefault("use_bias", False)
        super().__init__(filters, kernel_size, **kwargs)

    def call(self, inputs):
        scale = tf.reduce_mean(tf.abs(self.kernel), axis=(0, 1, 2))
        return super().call(inputs) * scale


class SpatialSoftmax(keras.layers.Layer):
    """Softmax over the H x W pixels of each channel: (N, H, W, K) -> (N, H, W, K)."""

    def call(self, maps):
        height, width, channels = maps.shape[1:]
        flat = tf.reshape(maps, (-1, height * width, channels))
        return tf.reshape(tf.nn.softmax(flat, axis=1), (-1, height, width, channels))


CUSTOM_OBJECTS = {"PixelNormalization": PixelNormalization, "BinaryConv2D": BinaryConv2D,
                  "SpatialSoftmax": SpatialSoftmax}
