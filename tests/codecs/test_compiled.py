"""The compiled window decode on float32 maps (its int8 / uint8 side: test_integer.py)."""

import numpy as np
import pytest

from edgelmk.codecs import CODECS
from edgelmk.codecs import peaks
from tests.codecs import reference


@pytest.mark.parametrize("dtype, heatmap_hw, seed", reference.HARD_CASES)
@pytest.mark.parametrize("window", [1, 3, 5])
def test_h3r_float32_decode_compiled_equals_numpy(dtype, heatmap_hw, seed, window):
    codec = CODECS.build({"name": "h3r", "input_hw": [4 * heatmap_hw[0] + 3, 3 * heatmap_hw[1] + 1],
                          "heatmap_hw": list(heatmap_hw), "window": window})
    # dequantized hard maps: ties, border peaks, constant maps, negative values, windows of weight 0
    q = reference.hard_maps(np.random.default_rng(seed), (2, 24, *heatmap_hw), dtype)
    maps = (np.float32(0.0123) * (q.astype(np.float32) - np.float32(q.mean()))).astype(np.float32)
    with peaks.using_decode_backend("numpy"):
        expected = codec.decode(maps)
    with peaks.using_decode_backend("compiled"):
        prepared, backend = codec.prepared_decoder(np.float32)
        assert backend == "compiled"
        results = [codec.decode(maps), prepared(maps)]
    for compiled in results:
        # numpy sums the window with a matrix product (BLAS may order it otherwise): equal up to float rounding
        np.testing.assert_allclose(compiled[0], expected[0], rtol=0, atol=1e-5)
        np.testing.assert_array_equal(compiled[1], expected[1])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_the_compiled_float_decode_refuses_nan_and_inf(value):
    codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    maps = np.zeros((2, 3, 16, 16), np.float32)
    maps[1, 2, 15, 15] = value
    with peaks.using_decode_backend("compiled"):
        decode, _ = codec.prepared_decoder("float32")
        with pytest.raises(ValueError, match="heatmaps contain NaN or inf"):
            decode(maps)
        with pytest.raises(ValueError, match="heatmaps contain NaN or inf"):
            codec.decode(maps)


def test_a_prepared_float_decoder_decodes_other_maps_as_decode_does():
    codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    maps = np.random.default_rng(5).random((1, 4, 16, 16), dtype=np.float32)
    with peaks.using_decode_backend("compiled"):
        decode, _ = codec.prepared_decoder(np.float32)
        for other in (maps.astype(np.float64), maps.transpose(0, 1, 3, 2), maps.tolist()):
            np.testing.assert_array_equal(decode(other)[0], codec.decode(other)[0])
        with pytest.raises(ValueError, match=r"heatmaps of size \(8, 8\) do not match"):
            decode(np.zeros((1, 4, 8, 8), np.float32))


def test_float_maps_the_kernel_does_not_take_decode_with_numpy():
    codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    with peaks.using_decode_backend("compiled"):
        assert peaks.compiled_window_decode(np.dtype(np.float64), (16, 16)) is None
        maps = np.zeros((1, 2, 16, 16))
        maps[0, 0, 3, 5] = maps[0, 1, 15, 0] = 1.0
        keypoints, scores = codec.decode(maps)
    np.testing.assert_allclose(keypoints[0], [[5 * 4 + 1.5, 3 * 4 + 1.5], [1.5, 15 * 4 + 1.5]])
    np.testing.assert_array_equal(scores, [[1.0, 1.0]])
