import pytest
import torch

from edgelmk.nn import MODELS
from edgelmk.nn.quant import PRECISIONS, BinaryConv2d
from edgelmk.nn.summary import summarize
from tests.helpers import optional_import


def build(**options):
    config = {"name": "hourglass", "num_keypoints": 5, "input_hw": [32, 32], "heatmap_hw": [8, 8], "width": 32,
              "depth": 2, **options}
    return MODELS.build(config)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("block", ["bottleneck", "hpm"])
@pytest.mark.parametrize("stacks", [1, 2])
def test_output_shapes(precision, block, stacks):
    if precision == "w8a8":
        optional_import("brevitas")
    model = build(precision=precision, block=block, stacks=stacks)
    outputs = model(torch.rand(3, 3, 32, 32) * 255)
    assert len(outputs) == stacks and all(o.shape == (3, 5, 8, 8) for o in outputs)
    sum(o.sum() for o in outputs).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("input_hw, heatmap_hw", [([64, 48], [16, 12]), ([128, 128], [16, 16])])
def test_non_square_and_larger_strides(input_hw, heatmap_hw):
    model = build(input_hw=input_hw, heatmap_hw=heatmap_hw)
    assert model(torch.zeros(1, 3, *input_hw))[0].shape == (1, 5, *heatmap_hw)


def test_w1a1_keeps_stem_and_heads_float_and_binarizes_the_rest():
    model = build(precision="w1a1", block="hpm")
    summary = summarize(model, (32, 32))
    assert summary["macs"]["float"] > 0 and summary["macs"]["binary"] > 5 * summary["macs"]["float"]
    assert not isinstance(model.stem[0], BinaryConv2d) and not isinstance(model.heads[0][-1], BinaryConv2d)
    assert summary["size_bytes"]["as trained"] < summary["size_bytes"]["int8"] < summary["size_bytes"]["fp32"]


def test_input_normalization_uses_the_configured_mean_and_std():
    model = build(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
    images = torch.full((1, 3, 1, 1), 255.0)
    torch.testing.assert_close((images - model.pixel_mean) * model.pixel_scale, torch.ones(1, 3, 1, 1))


@pytest.mark.parametrize("options, match", [
    ({"input_hw": [30, 30]}, "power of 2"),
    ({"input_hw": [8, 8]}, "power of 2"),
    ({"depth": 4}, "depth 4 halves"),
    ({"block": "resnet"}, "unknown block 'resnet'"),
    ({"precision": "w2a2"}, "unknown precision"),
    ({"width": 30}, "multiple of 4"),
    ({"widht": 32}, "Did you mean 'width'"),
])
def test_bad_configs(options, match):
    with pytest.raises(ValueError, match=match):
        build(**options)


def mobile(**options):
    config = {"name": "mobile", "num_keypoints": 5, "input_hw": [32, 32], "heatmap_hw": [8, 8], "width": 16,
              **options}
    return MODELS.build(config)


@pytest.mark.parametrize("input_hw, heatmap_hw, options", [
    ([32, 32], [8, 8], {}), ([64, 32], [8, 4], {"expansion": 1, "blocks": 2}), ([16, 16], [8, 8], {"depth": 3}),
])
def test_mobile_output_shapes_and_gradients(input_hw, heatmap_hw, options):
    model = mobile(input_hw=input_hw, heatmap_hw=heatmap_hw, **options)
    outputs = model(torch.rand(2, 3, *input_hw) * 255)
    assert len(outputs) == 1 and outputs[0].shape == (2, 5, *heatmap_hw)
    outputs[0].sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_mobile_is_all_float_convolutions_with_relu6_and_depthwise_blocks():
    model = mobile()
    summary = summarize(model, (32, 32))
    assert summary["macs"]["binary"] == summary["macs"]["int8"] == 0 and summary["macs"]["float"] > 0
    depthwise = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert depthwise and all(m.groups == m.in_channels == m.out_channels for m in depthwise)
    assert any(isinstance(m, torch.nn.ReLU6) for m in model.modules())


@pytest.mark.parametrize("options, match", [
    ({"precision": "w1a1"}, "--target tflite --int8"),
    ({"width": 20}, "multiple of 8"),
    ({"depth": 4}, "depth 4 halves"),
    ({"heatmap_hw": [8, 6], "input_hw": [32, 24]}, "divisible by 2"),
    ({"expansion": 0}, "expansion must be an integer >= 1"),
    ({"block": "hpm"}, "unknown key .block.*Did you mean .blocks."),
])
def test_mobile_bad_configs(options, match):
    with pytest.raises(ValueError, match=match):
        mobile(**options)
