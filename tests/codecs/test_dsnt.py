"""DSNT (Nibali et al. 2018) against hand-computed fixtures and the reference library dsntnn."""

import numpy as np
import pytest

from edgelmk.codecs import CODECS
from tests.helpers import optional_import


def build(input_hw, heatmap_hw, **options):
    return CODECS.build({"name": "dsnt", "input_hw": list(input_hw), "heatmap_hw": list(heatmap_hw), **options})


def test_hand_computed_two_by_two():
    # exp(logits) = [[1, 1], [1, 2]] -> probabilities [[.2, .2], [.2, .4]]
    # E[x] = E[y] = 0.6 heatmap px; normalized (2 * 0.6 + 1) / 2 - 1 = 0.1;
    # stride 2 -> image (0.6 + 0.5) * 2 - 0.5 = 1.7, and indeed (2 * 1.7 + 1) / 4 - 1 = 0.1.
    logits = np.log(np.array([[[[1.0, 1.0], [1.0, 2.0]]]], dtype=np.float32))
    keypoints, scores = build((4, 4), (2, 2)).decode(logits)
    np.testing.assert_allclose(keypoints, [[[1.7, 1.7]]], atol=1e-6)
    np.testing.assert_allclose(scores, [[0.4]], atol=1e-6)


def test_hand_computed_one_by_three_row():
    # logits [0, 0, ln 2] over a 1x3 map: p = [.25, .25, .5], E[x] = 1.25 heatmap px, y = 0
    # input 2x6 -> stride x 2, y 2: image x = (1.25 + 0.5) * 2 - 0.5 = 3.0, y = 0.5
    logits = np.array([[[[0.0, 0.0, np.log(2.0)]]]], dtype=np.float32)
    keypoints, _ = build((2, 6), (1, 3)).decode(logits)
    np.testing.assert_allclose(keypoints, [[[3.0, 0.5]]], atol=1e-6)


def test_decode_is_invariant_to_adding_a_constant_to_the_logits():
    logits = np.random.default_rng(0).normal(size=(2, 3, 8, 8)).astype(np.float32)
    codec = build((32, 32), (8, 8))
    np.testing.assert_allclose(codec.decode(logits)[0], codec.decode(logits + 1000)[0], atol=1e-4)


def test_encode_coords_are_normalized_and_the_target_sums_to_one():
    codec = build((64, 64), (16, 16), sigma=1.5)
    target = codec.encode(np.array([[[31.5, 0.0], [10.0, 50.0]]]), np.array([[1, 0]]))
    np.testing.assert_allclose(target["coords"][0, 0], [0.0, (2 * 0.0 + 1) / 64 - 1], atol=1e-6)
    np.testing.assert_array_equal(target["coords"][0, 1], [0, 0])
    assert target["heatmaps"][0, 0].sum() == pytest.approx(1.0, abs=1e-5)
    assert not target["heatmaps"][0, 1].any()


def test_log_of_the_target_decodes_near_the_keypoint_away_from_borders():
    codec = build((64, 64), (16, 16), sigma=1.0)
    keypoints = np.random.default_rng(1).uniform(20, 44, (10, 4, 2)).astype(np.float32)
    decoded, _ = codec.decode(np.log(codec.encode(keypoints)["heatmaps"] + 1e-30))
    assert np.abs(decoded - keypoints).max() < 1e-3


def test_has_no_integer_decode():
    with pytest.raises(NotImplementedError, match="no integer decode"):
        build((8, 8), (4, 4)).decode_int8(np.zeros((1, 1, 4, 4), np.int8), 0.1, 0)


class TestAgainstDsntnn:
    """Same numbers as dsntnn's flat_softmax + dsnt and make_gauss (the reference implementation)."""

    @pytest.fixture(autouse=True)
    def libraries(self):
        self.torch = optional_import("torch")
        self.dsntnn = optional_import("dsntnn")

    @pytest.mark.parametrize("input_hw, heatmap_hw", [((64, 64), (16, 16)), ((96, 64), (12, 8)), ((256, 256), (64, 64))])
    def test_decode_matches_flat_softmax_and_dsnt(self, input_hw, heatmap_hw):
        logits = np.random.default_rng(2).normal(0, 3, (4, 5, *heatmap_hw))
        reference = self.dsntnn.dsnt(self.dsntnn.flat_softmax(self.torch.from_numpy(logits))).numpy()
        codec = build(input_hw, heatmap_hw)
        keypoints, _ = codec.decode(logits)
        normalized = (2 * keypoints.astype(np.float64) + 1) / np.array(input_hw[::-1]) - 1
        np.testing.assert_allclose(normalized, reference, atol=1e-6)

    def test_target_matches_make_gauss(self):
        codec = build((64, 48), (16, 12), sigma=1.3)
        keypoints = np.array([[[20.3, 33.7], [5.0, 60.1]]])
        target = codec.encode(keypoints)
        means = self.torch.from_numpy(target["coords"].astype(np.float64))
        reference = self.dsntnn.make_gauss(means, [16, 12], 1.3).numpy()
        np.testing.assert_allclose(target["heatmaps"], reference, atol=1e-6)
