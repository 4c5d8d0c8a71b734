"""The Larq backend's distillation loss equals PyTorch's on the same numbers (NHWC vs NCHW)."""

import numpy as np
import pytest

from tests.helpers import optional_import

optional_import("larq")
torch = optional_import("torch")

from edgelmk.distill import DistillSpec  # noqa: E402
from edgelmk.keras import distill as keras_distill  # noqa: E402
from edgelmk.keras.layers import tf  # noqa: E402
from edgelmk.keras.losses import build_loss as keras_loss  # noqa: E402
from edgelmk.losses import LOSSES  # noqa: E402
from edgelmk.nn import distill as torch_distill  # noqa: E402
from edgelmk.nn.losses import build_loss as torch_loss  # noqa: E402


@pytest.mark.parametrize("soft_loss, codec", [("h3r_cross_entropy", "h3r"), ("heatmap_mse", "gaussian")])
def test_the_total_loss_equals_pytorch(soft_loss, codec):
    rng = np.random.default_rng(0)
    outputs = [rng.normal(size=(2, 3, 4, 4)).astype(np.float32) for _ in range(2)]  # two stacks, NCHW
    teacher = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    features = [rng.normal(size=(2, c, s, s)).astype(np.float32) for c, s in ((8, 4), (8, 2))]
    teacher_features = [rng.normal(size=(2, c, s, s)).astype(np.float32) for c, s in ((16, 4), (16, 2))]
    heatmaps = rng.uniform(size=(2, 3, 4, 4)).astype(np.float32)
    weights = np.array([[1, 0, 1], [1, 1, 0]], np.float32)
    spec = DistillSpec("teacher.pt", 0.3, 2.0, soft_loss)
    ground_truth = LOSSES.build({"name": soft_loss})

    torch_total = torch_distill.Distillation(spec, torch_loss(ground_truth), codec, torch.nn.Identity(),
                                             torch.nn.Identity(), [])
    torch_total.taps = None  # the features are given, not tapped from a network
    expected = torch_total([torch.from_numpy(o) for o in outputs], [torch.from_numpy(teacher)],
                           {"heatmaps": torch.from_numpy(heatmaps), "weights": torch.from_numpy(weights)})
    expected += 2.0 * torch_distill.attention_loss([torch.from_numpy(f) for f in features],
                                                   [torch.from_numpy(f) for f in teacher_features])

    nhwc = lambda array: tf.constant(array.transpose(0, 2, 3, 1))  # noqa: E731
    keras_total = keras_distill.Distillation(spec, keras_loss(ground_truth), softmax_targets=codec == "h3r")
    got = keras_total([nhwc(o) for o in outputs], [nhwc(f) for f in features], nhwc(teacher),
                      [nhwc(f) for f in teacher_features], {"heatmaps": nhwc(heatmaps), "weights": tf.constant(weights)})
    np.testing.assert_allclose(float(got), float(expected), rtol=1e-5)
