import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgelmk.codecs import CODECS
from edgelmk.codecs.integer import dequantize, quantize_per_tensor
from tests.codecs.helpers import HEATMAP_SIZES, INPUT_SIZE, network_like

# Mean distance from the centre of a unit square to a uniform point in it: (sqrt(2) + asinh(1)) / 6.
MEAN_ROUNDING_ERROR = (np.sqrt(2) + np.arcsinh(1)) / 6


def build(heatmap_size, **options):
    return CODECS.build({"name": "gaussian", "input_hw": [INPUT_SIZE] * 2, "heatmap_hw": [heatmap_size] * 2,
                         **options})


@given(st.sampled_from(HEATMAP_SIZES), st.floats(0, 255), st.floats(0, 255))
def test_round_trip_error_is_exactly_the_rounding_residual(heatmap_size, x, y):
    codec = build(heatmap_size)
    stride = INPUT_SIZE / heatmap_size
    keypoints = np.array([[[x, y]]], dtype=np.float32)
    decoded, _ = codec.decode(codec.encode(keypoints)["heatmaps"])
    xy_heatmap = (keypoints.astype(np.float64) + 0.5) / stride - 0.5
    rounded = np.clip(np.floor(xy_heatmap + 0.5), 0, heatmap_size - 1)
    np.testing.assert_allclose(decoded, (rounded + 0.5) * stride - 0.5, atol=1e-4)
    # inside the pixel-centre hull the error per axis is at most half a stride
    inside = (xy_heatmap >= 0) & (xy_heatmap <= heatmap_size - 1)
    assert np.all(np.abs(decoded - keypoints)[inside] <= stride / 2 + 1e-4)


@pytest.mark.parametrize("heatmap_size", HEATMAP_SIZES)
def test_mean_error_matches_quantization_theory(heatmap_size):
    stride = INPUT_SIZE / heatmap_size
    rng = np.random.default_rng(heatmap_size)
    keypoints = rng.uniform(stride / 2 - 0.5, INPUT_SIZE - stride / 2 - 0.5, (2000, 1, 2)).astype(np.float32)
    codec = build(heatmap_size)
    decoded, _ = codec.decode(codec.encode(keypoints)["heatmaps"])
    errors = np.linalg.norm(decoded - keypoints, axis=-1) / stride
    # uniform rounding error: mean 0.3826, standard deviation 0.1 per point -> 5 sigma of a 2000-mean
    assert abs(errors.mean() - MEAN_ROUNDING_ERROR) < 5 * 0.1 / np.sqrt(2000)
    assert errors.max() <= np.sqrt(2) / 2 + 1e-5


def test_target_is_a_unit_peak_gaussian_at_the_nearest_pixel():
    codec = build(16, sigma=2.0)
    heatmap = codec.encode(np.array([[[40.0, 100.0]]]))["heatmaps"][0, 0]  # heatmap (2.03, 5.78) -> (2, 6)
    assert heatmap[6, 2] == pytest.approx(1.0)
    assert heatmap[6, 4] == pytest.approx(np.exp(-4 / 8))
    assert heatmap[8, 4] == pytest.approx(np.exp(-8 / 8))


def test_quarter_shift_moves_toward_the_higher_neighbour():
    heatmaps = np.zeros((1, 3, 8, 8), dtype=np.float32)
    heatmaps[0, 0, 4, 4], heatmaps[0, 0, 4, 5], heatmaps[0, 0, 3, 4] = 1.0, 0.5, 0.2  # right and up
    heatmaps[0, 1, 4, 4] = 1.0  # equal neighbours: no shift
    heatmaps[0, 2, 0, 3], heatmaps[0, 2, 0, 2] = 1.0, 0.9  # top row: x shifts, y has no upper neighbour
    with_shift = build(8, quarter_shift=True)
    hm_xy = (with_shift.decode(heatmaps)[0] + 0.5) / 32 - 0.5
    np.testing.assert_allclose(hm_xy[0], [[4.25, 3.75], [4, 4], [2.75, 0]])
    np.testing.assert_allclose((build(8, quarter_shift=False).decode(heatmaps)[0] + 0.5) / 32 - 0.5,
                               [[[4, 4], [4, 4], [3, 0]]])


def test_scores_are_the_peak_values():
    heatmaps = np.zeros((1, 1, 8, 8), dtype=np.float32)
    heatmaps[0, 0, 2, 3] = 0.7
    assert build(8).decode(heatmaps)[1][0, 0] == pytest.approx(0.7)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("heatmap_size", HEATMAP_SIZES)
def test_decode_int8_equals_decode_of_dequantized_maps(heatmap_size, dtype):
    # Bound: exact. Argmax and neighbour comparisons see the same order in both paths.
    codec = build(heatmap_size)
    keypoints = np.random.default_rng(3).uniform(0, 255, (20, 8, 2))
    output = network_like(codec.encode(keypoints)["heatmaps"], seed=heatmap_size)
    q, scale, zero_point = quantize_per_tensor(output, dtype)
    int_keypoints, int_scores = codec.decode_int8(q, scale, zero_point)
    float_keypoints, float_scores = codec.decode(dequantize(q, scale, zero_point))
    np.testing.assert_array_equal(int_keypoints, float_keypoints)
    np.testing.assert_allclose(int_scores, float_scores, rtol=1e-6)


def test_rejects_bad_quarter_shift():
    with pytest.raises(ValueError, match="quarter_shift must be true or false"):
        build(8, quarter_shift="yes")
