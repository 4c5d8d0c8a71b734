"""H3R (Yu & Tao, TPAMI 2021): the quantization system is lossless and unbiased."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgelmk.codecs import CODECS
from edgelmk.codecs.integer import dequantize, quantize_per_tensor
from tests.codecs.helpers import (
    HEATMAP_SIZES,
    INPUT_SIZE,
    interior_keypoints,
    network_like,
)


def build(heatmap_size, **options):
    return CODECS.build({"name": "h3r", "input_hw": [INPUT_SIZE] * 2, "heatmap_hw": [heatmap_size] * 2, **options})


def hull(heatmap_size):
    """Image-pixel range whose heatmap coordinates lie between the first and last pixel centre."""
    stride = INPUT_SIZE / heatmap_size
    return stride / 2 - 0.5, INPUT_SIZE - stride / 2 - 0.5


@st.composite
def size_and_point(draw):
    heatmap_size = draw(st.sampled_from(HEATMAP_SIZES))
    low, high = hull(heatmap_size)
    return heatmap_size, draw(st.floats(low, high)), draw(st.floats(low, high))


@given(size_and_point(), st.sampled_from(["window", "topk"]))
def test_expected_target_round_trip_is_lossless(case, decode):
    heatmap_size, x, y = case
    codec = build(heatmap_size, target="expected", decode=decode)
    keypoints = np.array([[[x, y]]], dtype=np.float32)
    decoded, _ = codec.decode(codec.encode(keypoints)["heatmaps"])
    assert np.abs(decoded - keypoints).max() < 1e-3


@pytest.mark.parametrize("heatmap_size", HEATMAP_SIZES)
def test_expected_target_round_trip_over_many_points(heatmap_size):
    keypoints = interior_keypoints(np.random.default_rng(0), (500, 20), INPUT_SIZE, heatmap_size)
    codec = build(heatmap_size, target="expected")
    decoded, _ = codec.decode(codec.encode(keypoints)["heatmaps"])
    assert np.abs(decoded - keypoints).max() < 1e-3


def test_expected_target_is_the_bilinear_split():
    codec = build(16, target="expected")
    # heatmap coordinate (2.25, 5.5): image pixel (2.25 + 0.5) * 16 - 0.5
    heatmap = codec.encode(np.array([[[43.5, 95.5]]]))["heatmaps"][0, 0]
    expected = np.zeros((16, 16))
    expected[5, 2], expected[5, 3], expected[6, 2], expected[6, 3] = 0.75 * 0.5, 0.25 * 0.5, 0.75 * 0.5, 0.25 * 0.5
    np.testing.assert_allclose(heatmap, expected, atol=1e-7)


@given(size_and_point(), st.integers(0, 2**32 - 1))
def test_stochastic_target_is_unbiased(case, seed):
    heatmap_size, x, y = case
    samples = 400
    codec = build(heatmap_size, target="stochastic", seed=seed)
    keypoints = np.full((samples, 1, 2), [x, y], dtype=np.float32)
    targets = codec.encode(keypoints)["heatmaps"]
    assert set(np.unique(targets)) <= {0.0, 1.0} and (targets.sum(axis=(-2, -1)) == 1).all()  # one-hot
    stride = INPUT_SIZE / heatmap_size
    xy_heatmap = (np.array([x, y]) + 0.5) / stride - 0.5
    fraction = xy_heatmap - np.floor(xy_heatmap)
    # each axis rounds up with probability f: standard error of the mean sqrt(f(1-f)/n) heatmap px
    bound = stride * (6 * np.sqrt(fraction * (1 - fraction) / samples) + 1e-4)
    decoded, _ = codec.decode(targets)
    assert np.all(np.abs(decoded.mean(axis=0)[0] - [x, y]) <= bound)
    # the mean of the stochastic targets decodes to the true coordinate as well
    mean_decoded, _ = codec.decode(targets.mean(axis=0, keepdims=True))
    assert np.all(np.abs(mean_decoded[0, 0] - [x, y]) <= bound)


def test_mean_of_stochastic_targets_converges_to_the_expected_target():
    keypoints = np.array([[[43.5, 95.5], [100.2, 7.9]]], dtype=np.float32)
    stochastic = build(16, target="stochastic", seed=0)
    mean = np.mean([stochastic.encode(keypoints)["heatmaps"] for _ in range(20000)], axis=0)
    expected = build(16, target="expected").encode(keypoints)["heatmaps"]
    np.testing.assert_allclose(mean, expected, atol=0.015)  # 4.5 standard errors of a 20000-mean


def test_stochastic_target_is_fresh_on_every_call_and_seedable():
    keypoints = np.random.default_rng(0).uniform(10, 240, (50, 10, 2)).astype(np.float32)
    codec = build(16, seed=123)
    first, second = codec.encode(keypoints)["heatmaps"], codec.encode(keypoints)["heatmaps"]
    assert not np.array_equal(first, second)
    again = build(16, seed=123)
    np.testing.assert_array_equal(again.encode(keypoints)["heatmaps"], first)


def test_a_given_generator_makes_the_draw_reproducible():
    keypoints = np.random.default_rng(0).uniform(10, 240, (20, 10, 2)).astype(np.float32)
    codec = build(16)
    first = codec.encode(keypoints, rng=np.random.default_rng(7))["heatmaps"]
    np.testing.assert_array_equal(build(16, seed=99).encode(keypoints, rng=np.random.default_rng(7))["heatmaps"], first)
    assert not np.array_equal(codec.encode(keypoints, rng=np.random.default_rng(8))["heatmaps"], first)


def test_default_target_is_stochastic():
    assert build(16).target == "stochastic"


def test_border_half_pixel_is_clamped_to_the_outermost_pixel():
    codec = build(16, target="expected")  # stride 16: the band [-0.5, 7.5) maps to heatmap x < 0
    target = codec.encode(np.array([[[2.0, 100.0]]]))
    assert target["weights"][0, 0] == 1
    decoded, _ = codec.decode(target["heatmaps"])
    assert decoded[0, 0, 0] == pytest.approx(7.5)


def test_window_decode_ignores_a_far_second_peak_topk_does_not():
    heatmaps = np.zeros((1, 1, 16, 16), dtype=np.float32)
    heatmaps[0, 0, 4, 4], heatmaps[0, 0, 4, 5] = 1.0, 1.0  # true point between pixels 4 and 5
    heatmaps[0, 0, 12, 12] = 0.9  # a distractor
    window, _ = build(16, decode="window").decode(heatmaps)
    topk, _ = build(16, decode="topk", topk=3).decode(heatmaps)
    np.testing.assert_allclose((window[0, 0] + 0.5) / 16 - 0.5, [4.5, 4])
    assert not np.allclose(topk, window)


def test_negative_activations_are_clamped_and_an_all_negative_map_falls_back_to_argmax():
    heatmaps = np.full((1, 2, 8, 8), -1.0, dtype=np.float32)
    heatmaps[0, 0, 3, 3], heatmaps[0, 0, 3, 4] = 0.6, 0.2  # negative neighbours must not pull
    heatmaps[0, 1, 5, 2] = -0.5
    decoded, scores = build(8).decode(heatmaps)
    np.testing.assert_allclose((decoded[0] + 0.5) / 32 - 0.5, [[3.25, 3], [2, 5]])
    np.testing.assert_allclose(scores, [[0.6, -0.5]])


@pytest.mark.parametrize("decode", ["window", "topk"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("heatmap_size", HEATMAP_SIZES)
def test_decode_int8_agrees_with_decode_of_dequantized_maps(heatmap_size, dtype, decode):
    # Bound: 1e-4 input pixels (the two paths differ only in float rounding of the final mean).
    codec = build(heatmap_size, target="expected", decode=decode, topk=9)
    keypoints = np.random.default_rng(heatmap_size).uniform(0, 255, (20, 8, 2))
    output = network_like(codec.encode(keypoints)["heatmaps"], seed=heatmap_size)
    q, scale, zero_point = quantize_per_tensor(output, dtype)
    int_keypoints, int_scores = codec.decode_int8(q, scale, zero_point)
    float_keypoints, float_scores = codec.decode(dequantize(q, scale, zero_point))
    np.testing.assert_allclose(int_keypoints, float_keypoints, atol=1e-4, rtol=0)
    np.testing.assert_allclose(int_scores, float_scores, rtol=1e-6)


def test_decode_int8_of_a_quantized_expected_target_keeps_sub_pixel_accuracy():
    codec = build(16, target="expected")
    keypoints = interior_keypoints(np.random.default_rng(5), (200, 10), INPUT_SIZE, 16)
    q, scale, zero_point = quantize_per_tensor(codec.encode(keypoints)["heatmaps"])
    decoded, _ = codec.decode_int8(q, scale, zero_point)
    # 8-bit weights: relative weight error <= 1/255 of a 16 px stride
    assert np.abs(decoded - keypoints).max() < 16 / 255 * 2


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.zeros((1, 1, 8, 8), np.float32), 0.1, 0), TypeError, "int8 or uint8"),
        ((np.zeros((1, 1, 8, 8), np.int16), 0.1, 0), TypeError, "int8 or uint8"),
        ((np.zeros((1, 1, 8, 8), np.int8), 0.0, 0), ValueError, "scale must be one positive"),
        ((np.zeros((1, 1, 8, 8), np.int8), [0.1, 0.2], 0), ValueError, "per-tensor"),
        ((np.zeros((1, 1, 8, 8), np.int8), 0.1, 200), ValueError, r"zero_point must be one integer in \[-128, 127\]"),
        ((np.zeros((1, 1, 8, 8), np.uint8), 0.1, 1.5), ValueError, "zero_point"),
        ((np.zeros((1, 1, 4, 4), np.int8), 0.1, 0), ValueError, "do not match this codec's heatmap_hw"),
    ],
)
def test_decode_int8_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        build(8).decode_int8(*args)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"target": "mean"}, "target must be one of stochastic, expected"),
        ({"kernel": "box"}, "kernel must be one of onehot, gaussian"),
        ({"decode": "argmax"}, "decode must be one of window, topk"),
        ({"window": 4}, "window must be odd"),
        ({"window": 0}, "window must be a positive integer"),
        ({"topk": 100}, "topk=100 exceeds"),
        ({"seed": "x"}, "seed must be an integer"),
    ],
)
def test_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        build(8, **options)
