"""The Keras mirror equals the PyTorch hourglass layer by layer once it holds the PyTorch weights."""

import numpy as np
import pytest

from tests.helpers import optional_import

optional_import("larq")
torch = optional_import("torch")

from edgelmk.keras.hourglass import build_hourglass, load_torch_weights  # noqa: E402
from edgelmk.keras.layers import keras  # noqa: E402
from edgelmk.nn.hourglass import StackedHourglass  # noqa: E402


def random_model(precision, block, stacks=2):
    torch.manual_seed(0)
    model = StackedHourglass(5, (32, 32), (8, 8), precision=precision, block=block, width=32, depth=2,
                             stacks=stacks).eval()
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():  # trained-looking batch norms (not identity statistics)
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            module.weight.data.normal_(1, 0.3, generator=generator)
            module.bias.data.normal_(0, 0.3, generator=generator)
    return model


@pytest.mark.parametrize("precision,block", [("fp32", "hpm"), ("fp32", "bottleneck"), ("w1a1", "hpm"),
                                             ("w1a1", "bottleneck")])
def test_every_layer_matches_pytorch(precision, block):
    model = random_model(precision, block)
    mirror = build_hourglass(model.config)
    load_torch_weights(mirror, model.state_dict())
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)

    captured = {}
    names = {layer.name for layer in mirror.layers if layer.weights}
    hooks = [module.register_forward_hook(lambda _m, _i, out, name=name: captured.__setitem__(name, out))
             for name, module in model.named_modules() if name in names]
    with torch.no_grad():
        final = model(torch.from_numpy(images.transpose(0, 3, 1, 2)))[-1].numpy()
    for hook in hooks:
        hook.remove()
    assert set(captured) == names  # every Keras layer with weights has its PyTorch module

    probe = keras.Model(mirror.input, [mirror.get_layer(name).output for name in sorted(names)] + [mirror.output])
    outputs = probe(images, training=False)
    for name, output in zip(sorted(names), outputs):
        expected = captured[name].numpy().transpose(0, 2, 3, 1)
        close = np.isclose(output.numpy(), expected, rtol=1e-4, atol=1e-4)
        # binary layers: a value within float rounding of 0 may take the other sign; allow a very few
        assert close.mean() >= (1.0 if precision == "fp32" else 0.999), (name, np.abs(output.numpy() - expected).max())
    np.testing.assert_allclose(outputs[-1].numpy().transpose(0, 3, 1, 2), final, rtol=1e-3, atol=1e-3)


def test_spatial_softmax_output_sums_to_one_per_keypoint():
    model = random_model("fp32", "hpm", stacks=1)
    mirror = build_hourglass(model.config, "spatial_softmax")
    load_torch_weights(mirror, model.state_dict())
    maps = mirror(np.zeros((1, 32, 32, 3), np.float32)).numpy()
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, rtol=1e-5)


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
