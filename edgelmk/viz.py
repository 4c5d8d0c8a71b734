"""Drawing keypoints and writing pictures (OpenCV, sub-pixel exact).

OpenCV draws with integer coordinates plus ``shift`` fractional bits; :func:`to_fixed` turns
float pixel coordinates (pixel centres at integers, as everywhere in edgelmk) into that
form, so what is drawn sits where the keypoint is, to 1/16 pixel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from edgelmk import optional

if TYPE_CHECKING:
    from edgelmk.data.skeletons import Skeleton

SUBPIXEL_BITS = 4  # OpenCV's drawing `shift`: coordinates in 1/16 pixel
SUBPIXEL = 1 << SUBPIXEL_BITS


def to_fixed(points: np.ndarray) -> np.ndarray:
    """(..., 2) float pixels -> int32 fixed point for OpenCV's ``shift=SUBPIXEL_BITS``."""
    return np.round(np.asarray(points) * SUBPIXEL).astype(np.int32)


def draw_keypoints(image: np.ndarray, keypoints: np.ndarray, visible: np.ndarray, skeleton: Skeleton,
                   radius: float = 2.0, point_colour: Sequence[int] = (0, 255, 0),
                   line_colour: Sequence[int] = (255, 220, 0)) -> np.ndarray:
    """A copy of an RGB image with the skeleton's lines and the visible keypoints drawn.

    Args:
        image: (H, W, 3) uint8 RGB.
        keypoints: (K, 2) pixels.
        visible: (K,) keypoints to draw (lines need both ends visible).
        skeleton: gives the lines.
        radius: dot radius in pixels.
    """
    cv2 = optional.cv2()
    image = image.copy()
    points = to_fixed(keypoints)
    shown = np.asarray(visible) > 0
    for a, b in skeleton.lines:
        if shown[a] and shown[b]:
            cv2.line(image, tuple(points[a]), tuple(points[b]), tuple(line_colour), 1, cv2.LINE_AA, SUBPIXEL_BITS)
    for point, on in zip(points, shown):
        if on:
            cv2.circle(image, tuple(point), int(radius * SUBPIXEL), tuple(point_colour), -1, cv2.LINE_AA,
                       SUBPIXEL_BITS)
    return image


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an (H, W, 3) uint8 RGB image as PNG, creating parent folders."""
    cv2 = optional.cv2()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path
