"""Horizontal flips of keypoints: a scheme's flip permutation and the flip test.

The flip test (what mmpose calls ``flip_test``) predicts each crop and its mirror image and averages
the two, the mirrored keypoints mapped back and relabelled (left <-> right). One function for every
place that offers it: validation and ``TrainedModel.predict_crops`` (the recipe's ``eval.flip_test``)
and the torch-free runtime (``LandmarkModel(..., flip_test=True)``). numpy only.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from edgelmk import geometry


def flip_permutation(flip_pairs: Sequence[Sequence[int]], num_keypoints: int) -> np.ndarray:
    """(K,) the keypoint that each keypoint becomes in the mirror image: pairs swapped, the rest kept."""
    index = np.arange(num_keypoints)
    for i, j in flip_pairs:
        index[i], index[j] = j, i
    return index


def sidecar_declares_flips(keypoints: dict) -> bool:
    """Whether an exported model's sidecar ``keypoints`` section says which points a flip swaps.

    ``flip_declared`` (a scheme declared without ``flip_pairs`` has ``false``; ``flip_pairs: []`` means
    every point is its own mirror image); sidecars written before that field count non-empty pairs only.
    """
    return bool(keypoints.get("flip_declared", keypoints["flip_pairs"]))


def flip_averaged(predict_crops: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], crops: np.ndarray,
                  flip_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip test: the mean of a model's predictions on the crops and on their mirror images mapped back.

    Args:
        predict_crops: (N, H, W, 3) uint8 crops -> keypoints (N, K, 2) in crop pixels and scores (N, K).
        crops: (N, H, W, 3) uint8 crops.
        flip_index: (K,) the keypoint permutation of a horizontal flip (:func:`flip_permutation`).

    Returns:
        keypoints (N, K, 2) in crop pixels and scores (N, K), each the mean of the two passes.
    """
    keypoints, scores = predict_crops(crops)
    mirrored_keypoints, mirrored_scores = predict_crops(np.ascontiguousarray(crops[:, :, ::-1]))
    unmirrored = geometry.apply_affine(mirrored_keypoints[:, flip_index], geometry.mirror_matrix(crops.shape[2]))
    averaged = ((keypoints + unmirrored) / 2).astype(keypoints.dtype)
    return averaged, ((scores + mirrored_scores[:, flip_index]) / 2).astype(scores.dtype)
