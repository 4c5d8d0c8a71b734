"""Images into the network: decoding to RGB uint8, the square crop of a box, and the way back.

One module for training and deployment: :class:`edgelmk.data.transforms.AffineCrop` (training,
evaluation) and :mod:`edgelmk.runtime` (deployed models) crop with :func:`crop_matrix` and
:func:`warp`, so a deployed model sees exactly the crops it was trained on. The Android demo's
``CropTransform.java`` mirrors :func:`crop_matrix` and :func:`warp` and is tested against them.

numpy only at import; OpenCV is imported when an image is read or warped.

Shapes: images (H, W, 3) uint8 RGB; boxes (x0, y0, x1, y1) in image pixels; matrices (2, 3)
mapping image pixels to crop pixels (pixel centres at integers, :mod:`edgelmk.geometry`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from edgelmk import geometry, optional
from edgelmk.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def to_rgb_uint8(image: np.ndarray, source: str) -> np.ndarray:
    """Any decoded image -> (H, W, 3) uint8 RGB.

    Conversions: grey is repeated to 3 channels; an alpha channel is dropped; 16-bit images
    keep their top 8 bits; float images in [0, 1] are scaled by 255.

    Args:
        image: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), channels already in RGB(A) order.
        source: where the image came from, for errors.

    Raises:
        DatasetError: for shapes and dtypes it cannot convert, naming ``source``.
    """
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or min(image.shape[:2]) == 0:
        raise DatasetError(f"{source}: unsupported image shape {image.shape}; expected (H, W) or (H, W, 1|3|4)")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype.kind == "f":
        image = np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise DatasetError(f"{source}: unsupported image dtype {image.dtype}; expected 8- or 16-bit")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def load_image(path: str | Path, exif_orientation: bool = False) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB (see :func:`to_rgb_uint8` for conversions).

    Args:
        exif_orientation: turn the pixels upright as the file's EXIF orientation says (what a
            photo viewer shows: prediction). Off for datasets, whose annotations are made on
            the stored pixels.

    Raises:
        DatasetError: when the file is missing or not a readable image.
    """
    cv2 = optional.cv2()
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: image file not found")
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH if exif_orientation else cv2.IMREAD_UNCHANGED
    image = cv2.imread(str(path), flags)
    if image is None:
        raise DatasetError(f"{path}: not a readable image (corrupt, or a format OpenCV cannot decode)")
    if image.ndim == 3 and image.shape[2] >= 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA if image.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return to_rgb_uint8(image, str(path))


def crop_matrix(box: Sequence[float], output_hw: Sequence[int], margin: float, scale_factor: float = 1.0,
                shift: Sequence[float] = (0.0, 0.0), angle_deg: float = 0.0) -> np.ndarray:
    """The (2, 3) image -> crop matrix of the square crop around a box.

    The crop's side is ``max(box width, box height, 1) * (1 + margin)`` image pixels, centred on
    the box and scaled to ``output_hw``; the box centre lands on the crop centre
    ``((W - 1) / 2, (H - 1) / 2)``.

    Args:
        box: x0, y0, x1, y1 in image pixels.
        output_hw: (H, W) of the crop, pixels.
        margin: extra side around the box, as a fraction of its larger side.
        scale_factor: multiplies the scale (augmentation; 1 for evaluation and deployment).
        shift: the centre moves by ``shift`` times the crop side, (x, y).
        angle_deg: rotation of the crop, degrees.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    side = max(x1 - x0, y1 - y0, 1.0) * (1 + margin)
    height, width = output_hw
    scale = min(height, width) / side * scale_factor
    centre = np.array([x0 + x1, y0 + y1]) / 2 + np.asarray(shift, dtype=np.float64) * side
    return geometry.similarity_matrix(centre, scale, angle_deg, ((width - 1) / 2, (height - 1) / 2))


def warp(image: np.ndarray, matrix: np.ndarray, output_hw: Sequence[int]) -> np.ndarray:
    """The (H, W, C) crop of ``image`` under ``matrix`` (bilinear, black outside the image)."""
    cv2 = optional.cv2()
    height, width = output_hw
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def to_original(keypoints: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (K, 2) or (N, K, 2) crop-pixel keypoints back to original image pixels (float32)."""
    return geometry.apply_affine(keypoints, geometry.invert_affine(matrix)).astype(np.float32)
