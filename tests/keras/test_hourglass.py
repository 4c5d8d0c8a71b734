"""The Keras mirror equals the PyTorch hourglass layer by layer once it holds the PyTorch weights."""

import numpy as np
import pytest

from tests.helpers import optional_import
from tests.keras.helpers import assert_every_layer_matches, trained_looking

optional_import("larq")
torch = optional_import("torch")

from edgelmk.keras.hourglass import build_hourglass  # noqa: E402
from edgelmk.keras.weights import load_torch_weights  # noqa: E402
from edgelmk.nn.hourglass import StackedHourglass  # noqa: E402


def random_model(precision, block, stacks=2, **options):
    torch.manual_seed(0)
    model = StackedHourglass(5, (32, 32), (8, 8), precision=precision, block=block, width=32, depth=2,
                             stacks=stacks, **options).eval()
    return trained_looking(model)


#: w1a1 unit options: RPReLU, Bi-Real shortcuts, both; real weights (step one of the two-step schedule)
BINARY_OPTIONS = [{"binary_activation": "rprelu"}, {"binary_shortcut": True},
                  {"binary_activation": "rprelu", "binary_shortcut": True}, {"binary_weights": False}]


@pytest.mark.parametrize("precision,block,options", [("fp32", "hpm", {}), ("fp32", "bottleneck", {}),
                                                     ("w1a1", "hpm", {}), ("w1a1", "bottleneck", {})]
                         + [("w1a1", "hpm", options) for options in BINARY_OPTIONS]
                         + [("w1a1", "bottleneck", BINARY_OPTIONS[2])])
def test_every_layer_matches_pytorch(precision, block, options):
    model = random_model(precision, block, **options)
    mirror = build_hourglass(model.config)
    load_torch_weights(mirror, model.state_dict())
    # binary layers: a value within float rounding of 0 may take the other sign; allow a very few
    assert_every_layer_matches(model, mirror, (32, 32), agreement=1.0 if precision == "fp32" else 0.999)


def test_spatial_softmax_output_sums_to_one_per_keypoint():
    model = random_model("fp32", "hpm", stacks=1)
    mirror = build_hourglass(model.config, "spatial_softmax")
    load_torch_weights(mirror, model.state_dict())
    maps = mirror(np.zeros((1, 32, 32, 3), np.float32)).numpy()
    np.testing.assert_allclose(maps.sum(axis=(2, 3)), 1.0, rtol=1e-5)


def test_w8a8_has_no_mirror_and_says_which_target_works():
    model_config = dict(random_model("fp32", "hpm").config, precision="w8a8")
    with pytest.raises(ValueError, match="--target onnx --int8"):
        build_hourglass(model_config)


def test_weights_of_another_architecture_are_refused_with_the_layer_name():
    model = random_model("fp32", "hpm")
    mirror = build_hourglass(dict(model.config, block="bottleneck"))
    with pytest.raises(ValueError, match=r"Keras layer 'stem\.3\..*' has no PyTorch weights"):
        load_torch_weights(mirror, model.state_dict())
    wider = build_hourglass(dict(model.config, width=64))
    with pytest.raises(ValueError, match="expects weights"):
        load_torch_weights(wider, model.state_dict())
