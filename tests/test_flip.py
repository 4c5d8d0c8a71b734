"""Flips: the permutation of a scheme's flip pairs; the flip test brings predictions on mirrored crops back to the
crop's frame and labels before averaging."""

import numpy as np

from edgelmk.flip import flip_averaged, flip_permutation

WIDTH = 8
FLIP_INDEX = np.array([1, 0, 2])  # left eye, right eye, nose tip


def mirrored(points: np.ndarray) -> np.ndarray:
    """(N, K, 2) keypoints of the crops -> those of their mirror images, labelled as a flip labels them."""
    flipped = points.copy()
    flipped[..., 0] = WIDTH - 1 - flipped[..., 0]
    return flipped[:, FLIP_INDEX]


def test_a_mirror_consistent_model_with_a_sideways_bias_averages_to_the_truth():
    crops = np.random.default_rng(0).integers(0, 256, (2, 6, WIDTH, 3), dtype=np.uint8)
    truth = np.array([[[2.0, 1.0], [5.0, 1.5], [3.5, 3.0]], [[1.0, 2.0], [6.0, 2.0], [4.0, 4.5]]])
    bias = np.array([0.75, 0.0])  # a model that sees every point 0.75 px to the right
    scores, mirrored_scores = np.array([[0.9, 0.5, 0.7]] * 2), np.array([[0.3, 0.1, 0.5]] * 2)

    def predict_crops(images):
        if np.array_equal(images, crops):
            return truth + bias, scores
        assert np.array_equal(images, crops[:, :, ::-1]), "the second pass must see the mirrored crops"
        return mirrored(truth) + bias, mirrored_scores

    keypoints, averaged_scores = flip_averaged(predict_crops, crops, FLIP_INDEX)
    np.testing.assert_allclose(keypoints, truth, atol=1e-6)  # the bias turns left in the mirror and cancels
    np.testing.assert_allclose(averaged_scores, [[0.5, 0.4, 0.6]] * 2, atol=1e-6)


def test_flip_permutation_swaps_each_pair_and_keeps_the_points_on_the_middle_line():
    assert flip_permutation([(0, 3), (1, 2)], 5).tolist() == [3, 2, 1, 0, 4]
    assert flip_permutation([], 2).tolist() == [0, 1]
