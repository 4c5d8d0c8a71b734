"""The training losses of :mod:`edgelmk.nn.losses` in TensorFlow, for the Keras + Larq backend.

Same definitions, NHWC layout: each loss takes the list of per-stack raw maps (N, h, w, K) and
a batch with ``heatmaps`` (N, h, w, K), ``weights`` (N, K) and, for DSNT, ``coords`` (N, K, 2);
it averages over stacks and over the keypoints with weight > 0. Tests compare every loss with
the PyTorch one on the same numbers.
"""

from __future__ import annotations

from typing import Callable

from edgelmk import geometry
from edgelmk.keras.layers import tf
from edgelmk.losses import LossSpec


def _masked_mean(per_keypoint, weights):
    return tf.reduce_sum(per_keypoint * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)


def _flat(maps):
    """(N, h, w, K) -> (N, h * w, K)."""
    shape = tf.shape(maps)
    return tf.reshape(maps, (shape[0], shape[1] * shape[2], shape[3]))


def spatial_softmax(maps):
    """Softmax over the h x w pixels of each (N, h, w, K) map."""
    return tf.reshape(tf.nn.softmax(_flat(maps), axis=1), tf.shape(maps))


def heatmap_mse(output, batch):
    """Masked MSE to Gaussian heatmaps (mean over pixels, then over keypoints)."""
    return _masked_mean(tf.reduce_mean(tf.square(output - batch["heatmaps"]), axis=(1, 2)), batch["weights"])


def h3r_cross_entropy(output, batch):
    """Spatial cross-entropy between the softmax over pixels and the randomized-rounding target."""
    log_probabilities = tf.nn.log_softmax(_flat(output), axis=1)
    cross_entropy = -tf.reduce_sum(_flat(batch["heatmaps"]) * log_probabilities, axis=1)
    return _masked_mean(cross_entropy, batch["weights"])


def _pixel_centres(size: int):
    """Normalized pixel centres (:func:`edgelmk.geometry.normalized_pixel_centres`) of a static size."""
    return tf.constant(geometry.normalized_pixel_centres(size), tf.float32)


def dsnt_loss(regularization: float) -> Callable:
    """Euclidean distance of the soft-argmax to ``coords`` + ``regularization`` x Jensen-Shannon to the target."""

    def loss(output, batch):
        probabilities = spatial_softmax(output)
        height, width = output.shape[1], output.shape[2]
        x = tf.reduce_sum(tf.reduce_sum(probabilities, axis=1) * _pixel_centres(width)[None, :, None], axis=1)
        y = tf.reduce_sum(tf.reduce_sum(probabilities, axis=2) * _pixel_centres(height)[None, :, None], axis=1)
        euclidean = tf.norm(tf.stack([x, y], axis=-1) - batch["coords"], axis=-1)
        target = batch["heatmaps"]
        middle = 0.5 * (probabilities + target)

        def kl(p, q):
            return tf.reduce_sum(p * (tf.math.log(tf.maximum(p, 1e-24)) - tf.math.log(tf.maximum(q, 1e-24))),
                                 axis=(1, 2))

        js = 0.5 * kl(probabilities, middle) + 0.5 * kl(target, middle)
        return _masked_mean(euclidean + regularization * js, batch["weights"])

    return loss


IMPLEMENTATIONS = {"heatmap_mse": lambda: heatmap_mse, "h3r_cross_entropy": lambda: h3r_cross_entropy,
                   "dsnt": dsnt_loss}


def build_loss(spec: LossSpec) -> Callable:
    """The TensorFlow loss of a spec (:func:`edgelmk.losses.loss_spec`): outputs list, batch -> scalar."""
    single = IMPLEMENTATIONS[spec.name](**spec.options())

    def stacked(outputs, batch):
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return tf.add_n([single(output, batch) for output in outputs]) / float(len(outputs))

    return stacked
