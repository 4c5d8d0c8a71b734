"""Distillation in TensorFlow for the Larq backend: the same total loss as :mod:`edgelmk.nn.distill` (NHWC).

Shapes: student outputs are lists of per-stack raw maps (N, h, w, K), the teacher's last-stack
maps (N, h, w, K); features at the attention points are (N, h / 2**i, w / 2**i, C).
"""

from __future__ import annotations

from typing import Sequence

from edgelmk.backends import CheckpointWeights
from edgelmk.distill import DistillSpec
from edgelmk.keras.layers import keras, tf
from edgelmk.keras.losses import build_loss, spatial_softmax
from edgelmk.keras.models import build_mirror
from edgelmk.keras.weights import load_torch_weights
from edgelmk.losses import LOSSES


def with_features(model: keras.Model, points: Sequence[str]) -> keras.Model:
    """``model`` (sharing its layers) returning its outputs followed by the features at ``points``: the output
    of the layer ``{point}.add`` of each (the hourglass levels of :func:`edgelmk.distill.attention_points`)."""
    return keras.Model(model.inputs, list(model.outputs) + [model.get_layer(f"{point}.add").output for point in points])


def teacher_model(weights: CheckpointWeights, points: Sequence[str]) -> keras.Model:
    """The Keras network of a teacher checkpoint of either backend: its stacks' raw maps, then its features."""
    model = build_mirror(weights.name, weights.architecture, all_stacks=True)
    load_torch_weights(model, weights.arrays)
    model.trainable = False
    return with_features(model, points)


def attention_map(features):
    """(N, H, W, C) features -> (N, H * W) unit-norm spatial energy (mean over channels of the squares)."""
    energy = tf.reduce_mean(tf.square(features), axis=-1)
    return tf.math.l2_normalize(tf.reshape(energy, (tf.shape(energy)[0], -1)), axis=1)


def attention_loss(student: Sequence, teacher: Sequence):
    """Mean over points and samples of the L2 distance between the attention maps of student and teacher."""
    return tf.add_n([tf.reduce_mean(tf.norm(attention_map(s) - attention_map(t), axis=1))
                     for s, t in zip(student, teacher)]) / float(len(student))


class Distillation:
    """The loss of a distilled run (see :class:`edgelmk.nn.distill.Distillation`).

    Args:
        spec: the checked ``distill`` section.
        ground_truth: the run's own loss (:func:`edgelmk.keras.losses.build_loss`).
        softmax_targets: whether the codec decodes softmax maps (the teacher's maps are then softmaxed).
    """

    def __init__(self, spec: DistillSpec, ground_truth, softmax_targets: bool):
        self.spec, self.ground_truth, self.softmax_targets = spec, ground_truth, softmax_targets
        self.soft = build_loss(LOSSES.build({"name": spec.soft_loss}))

    def __call__(self, outputs: list, features: list, teacher_maps, teacher_features: list, batch: dict):
        weight = self.spec.weight
        maps = spatial_softmax(teacher_maps) if self.softmax_targets else teacher_maps
        targets = {"heatmaps": tf.stop_gradient(maps), "weights": tf.ones_like(batch["weights"])}
        loss = (1 - weight) * self.ground_truth(outputs, batch) + weight * self.soft(outputs, targets)
        if self.spec.attention:
            loss += self.spec.attention * attention_loss(features, [tf.stop_gradient(t) for t in teacher_features])
        return loss
