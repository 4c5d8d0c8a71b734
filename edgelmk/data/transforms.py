"""Joint image + keypoint transforms (OpenCV warping; keypoints follow exactly).

Every geometric change (crop to the box, scale / rotation / translation jitter, horizontal
flip) is composed into one 2x3 affine matrix and applied once: ``cv2.warpAffine`` to the
image and :func:`edgelmk.geometry.apply_affine` to the keypoints, with the same
pixel-centre convention, so a keypoint lands exactly where its pixel goes. The matrix is
kept in ``sample["matrix"]`` (original image pixels -> crop pixels):
:func:`to_original` maps predictions back.

Each transform is called as ``transform(sample, rng)`` with a ``numpy.random.Generator`` and
returns a new sample dict.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from edgelmk import geometry, optional
from edgelmk.data.occluders import add_occluders
from edgelmk.preprocess import crop_matrix, to_original, warp  # noqa: F401  (to_original: maps predictions back)


class AffineCrop:
    """Crop the sample's box (plus a margin) to ``output_hw``, with optional random jitter and flip.

    Args:
        output_hw: (H, W) of the crop, pixels.
        margin: the square crop's side is ``max(box w, h) * (1 + margin)``.
        scale_jitter: the scale is multiplied by ``exp(u)``, ``u`` uniform in +-log(1 + scale_jitter).
        rotation_deg: rotation uniform in +-rotation_deg degrees.
        shift: centre moved by up to ``shift`` times the crop side along each axis.
        flip_prob: probability of a horizontal flip.
        flip_index: (K,) keypoint permutation of a flip (``Skeleton.flip_index``); needed when
            ``flip_prob > 0``, so that the subject's left keypoints stay left.
    """

    def __init__(self, output_hw: Sequence[int], margin: float = 0.25, scale_jitter: float = 0.0,
                 rotation_deg: float = 0.0, shift: float = 0.0, flip_prob: float = 0.0,
                 flip_index: np.ndarray | None = None):
        self.output_hw = geometry.as_hw(output_hw, "output_hw")
        if margin <= -1 or scale_jitter < 0 or rotation_deg < 0 or shift < 0 or not 0 <= flip_prob <= 1:
            raise ValueError("AffineCrop needs margin > -1, scale_jitter, rotation_deg, shift >= 0 and flip_prob in [0, 1]")
        if flip_prob > 0 and flip_index is None:
            raise ValueError("flip_prob > 0 needs the skeleton's flip_index to swap left and right keypoints")
        self.margin, self.scale_jitter, self.rotation_deg = margin, scale_jitter, rotation_deg
        self.shift, self.flip_prob = shift, flip_prob
        self.flip_index = None if flip_index is None else np.asarray(flip_index)

    def matrix(self, bbox: Sequence[float], rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        """The (2, 3) original -> crop matrix for a box, and whether it flips."""
        log_jitter = np.log1p(self.scale_jitter)
        scale_factor = float(np.exp(rng.uniform(-log_jitter, log_jitter)))
        shift = rng.uniform(-self.shift, self.shift, 2)
        angle = rng.uniform(-self.rotation_deg, self.rotation_deg)
        matrix = crop_matrix(bbox, self.output_hw, self.margin, scale_factor, shift, angle)
        height, width = self.output_hw
        flip = bool(rng.random() < self.flip_prob)
        if flip:  # mirror about the crop's vertical centre line: x -> (W - 1) - x
            matrix = geometry.compose_affine(matrix, geometry.mirror_matrix(width))
        return matrix, flip

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        matrix, flip = self.matrix(sample["bbox"], rng)
        image = warp(sample["image"], matrix, self.output_hw)
        keypoints = geometry.apply_affine(sample["keypoints"], matrix).astype(np.float32)
        visible = np.asarray(sample["visible"], dtype=np.float32)
        if flip:
            keypoints, visible = keypoints[self.flip_index], visible[self.flip_index]
        corners = geometry.apply_affine(np.asarray(sample["bbox"], dtype=np.float64).reshape(2, 2), matrix)
        bbox = np.concatenate([corners.min(axis=0), corners.max(axis=0)]).astype(np.float32)
        previous = sample.get("matrix")
        total = matrix if previous is None else geometry.compose_affine(previous, matrix)
        return {**sample, "image": image, "keypoints": keypoints, "visible": visible, "bbox": bbox,
                "matrix": total.astype(np.float64), "flipped": flip ^ sample.get("flipped", False)}


class ColourJitter:
    """Random brightness, contrast and saturation factors in [1 - amount, 1 + amount].

    Args:
        brightness, contrast, saturation: jitter amounts (0 disables each).
    """

    def __init__(self, brightness: float = 0.3, contrast: float = 0.3, saturation: float = 0.3):
        if min(brightness, contrast, saturation) < 0:
            raise ValueError("ColourJitter amounts must be >= 0")
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        image = sample["image"].astype(np.float32)
        grey = image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        image = image * rng.uniform(1 - self.brightness, 1 + self.brightness)
        mean = float(grey.mean())
        image = (image - mean) * rng.uniform(1 - self.contrast, 1 + self.contrast) + mean
        saturation = rng.uniform(1 - self.saturation, 1 + self.saturation)
        image = grey[..., None] + (image - grey[..., None]) * saturation
        return {**sample, "image": np.clip(image + 0.5, 0, 255).astype(np.uint8)}


class Blur:
    """Gaussian blur with probability ``prob`` and sigma uniform in [0.3, max_sigma] pixels."""

    def __init__(self, prob: float = 0.3, max_sigma: float = 2.0):
        if not 0 <= prob <= 1 or max_sigma < 0.3:
            raise ValueError("Blur needs prob in [0, 1] and max_sigma >= 0.3")
        self.prob, self.max_sigma = prob, max_sigma

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        if rng.random() >= self.prob:
            return sample
        sigma = float(rng.uniform(0.3, self.max_sigma))
        return {**sample, "image": optional.cv2().GaussianBlur(sample["image"], (0, 0), sigma)}


class Occluders:
    """With probability ``prob``, 1..max_count random opaque ellipses or bars over the image.

    Keypoints under them stay visible (they are still annotated): the network learns to
    infer occluded landmarks, as COFW and WFLW's occlusion subset demand.
    """

    def __init__(self, prob: float = 0.3, max_count: int = 2):
        if not 0 <= prob <= 1 or max_count < 1:
            raise ValueError("Occluders needs prob in [0, 1] and max_count >= 1")
        self.prob, self.max_count = prob, max_count

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        if rng.random() >= self.prob:
            return sample
        image = sample["image"].copy()
        add_occluders(image, rng, int(rng.integers(1, self.max_count + 1)))
        return {**sample, "image": image}


class Compose:
    """Apply transforms in order, all drawing from the same generator."""

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        for transform in self.transforms:
            sample = transform(sample, rng)
        return sample
