"""Helpers shared by the codec tests."""

import numpy as np

HEATMAP_SIZES = (8, 16, 32, 64)
INPUT_SIZE = 256


def network_like(target: np.ndarray, seed: int, noise: float = 0.05, blur_weight: float = 0.3) -> np.ndarray:
    """A target made to look like real output: blurred into its neighbours, plus noise (can be negative)."""
    rng = np.random.default_rng(seed)
    blurred = target.copy()
    for axis in (-1, -2):
        blurred += blur_weight * (np.roll(target, 1, axis) + np.roll(target, -1, axis))
    return (blurred + rng.normal(0, noise, target.shape)).astype(np.float32)


def interior_keypoints(rng: np.random.Generator, shape, input_size: int, heatmap_size: int) -> np.ndarray:
    """Uniform keypoints whose heatmap coordinates lie in the hull of the heatmap pixel centres."""
    stride = input_size / heatmap_size
    return rng.uniform(stride / 2 - 0.5, input_size - stride / 2 - 0.5, (*shape, 2)).astype(np.float32)
