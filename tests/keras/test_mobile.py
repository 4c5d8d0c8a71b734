"""The Keras mirror of the mobile network equals the PyTorch one layer by layer, with plain TFLite operators."""

import pytest

from tests.helpers import optional_import
from tests.keras.helpers import assert_every_layer_matches, trained_looking

optional_import("larq")
torch = optional_import("torch")

from edgelmk.export.to_tflite import operator_counts  # noqa: E402
from edgelmk.keras.layers import tf  # noqa: E402
from edgelmk.keras.models import build_mirror  # noqa: E402
from edgelmk.keras.weights import load_torch_weights, torch_layout_weights  # noqa: E402
from edgelmk.nn.mobile import MobileNet  # noqa: E402


def mobile(input_hw=(32, 32), heatmap_hw=(8, 8), **options):
    torch.manual_seed(0)
    return trained_looking(MobileNet(5, input_hw, heatmap_hw, width=16, **options).eval())


@pytest.mark.parametrize("input_hw, heatmap_hw, options", [
    ((32, 32), (8, 8), {}),                                   # stride 4: one strided block after the stem
    ((64, 32), (8, 4), {"expansion": 1, "blocks": 2}),       # stride 8, non-square, no expansion
    ((16, 16), (8, 8), {"depth": 3, "blocks": 0}),           # stride 2: the stem conv alone
])
def test_every_layer_matches_pytorch(input_hw, heatmap_hw, options):
    model = mobile(input_hw, heatmap_hw, **options)
    mirror = build_mirror("mobile", model.config)
    load_torch_weights(mirror, model.state_dict())
    assert_every_layer_matches(model, mirror, input_hw)


def test_weights_round_trip_in_pytorch_layout():
    model = mobile()
    mirror = build_mirror("mobile", model.config)
    load_torch_weights(mirror, model.state_dict())
    arrays = torch_layout_weights(mirror)
    state = model.state_dict()
    assert arrays and all(tuple(state[name].shape) == value.shape for name, value in arrays.items())
    depthwise = "levels.down.depthwise.0.weight"
    assert (arrays[depthwise] == state[depthwise].numpy()).all()


def test_tflite_has_depthwise_convolutions_and_no_pad_operators():
    model = mobile()
    mirror = build_mirror("mobile", model.config, "spatial_softmax")
    load_torch_weights(mirror, model.state_dict())
    counts = operator_counts(tf.lite.TFLiteConverter.from_keras_model(mirror).convert())
    assert counts["DEPTHWISE_CONV_2D"] == 7 and "PAD" not in counts and "PADV2" not in counts


def test_an_architecture_without_a_mirror_is_refused_by_name():
    with pytest.raises(ValueError, match="'resnet' architecture has no Keras mirror"):
        build_mirror("resnet", {})
