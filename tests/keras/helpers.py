"""Checks shared by the Keras mirror tests: a PyTorch model and its mirror agree layer by layer."""

import numpy as np
import torch

from edgelmk.keras.layers import keras


def trained_looking(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with random batch-norm statistics and affine terms, channel shifts and PReLU slopes (not the
    identity of a fresh network)."""
    from edgelmk.nn.quant import ChannelShift

    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, ChannelShift):
            module.bias.data.normal_(0, 0.3, generator=generator)
        if isinstance(module, torch.nn.PReLU):
            module.weight.data.uniform_(-0.5, 0.5, generator=generator)
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            module.weight.data.normal_(1, 0.3, generator=generator)
            module.bias.data.normal_(0, 0.3, generator=generator)
    return model


def assert_every_layer_matches(model: torch.nn.Module, mirror, input_hw, agreement: float = 1.0) -> None:
    """Every weighted Keras layer's output equals its PyTorch module's (NHWC vs NCHW), and so does the last output.

    Args:
        agreement: the share of values that must agree within 1e-4 in each layer.
    """
    images = np.random.default_rng(0).uniform(0, 255, (2, *input_hw, 3)).astype(np.float32)
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
        assert close.mean() >= agreement, (name, np.abs(output.numpy() - expected).max())
    np.testing.assert_allclose(outputs[-1].numpy(), final, rtol=1e-3, atol=1e-3)  # exported maps: channels first
