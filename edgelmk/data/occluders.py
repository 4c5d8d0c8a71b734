"""Random occluders drawn over an image: used by the procedural datasets and the ``Occluders`` augmentation."""

from __future__ import annotations

import numpy as np

from edgelmk import optional
from edgelmk.viz import SUBPIXEL_BITS, to_fixed


def add_occluders(image: np.ndarray, rng: np.random.Generator, count: int) -> None:
    """Random opaque ellipses and bars (hands, microphones, hair strands...), in place."""
    cv2 = optional.cv2()
    height, width = image.shape[:2]
    for _ in range(count):
        colour = tuple(float(v) for v in rng.uniform([0] * 3, [255] * 3))
        centre = rng.uniform([width * 0.2, height * 0.2], [width * 0.8, height * 0.8])
        if rng.random() < 0.5:
            axes = rng.uniform(width * 0.04, width * 0.18, 2)
            cv2.ellipse(image, tuple(to_fixed(centre)), tuple(to_fixed(axes)), float(rng.uniform(0, 180)), 0, 360, colour,
                        -1, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            end = centre + rng.normal(0, width * 0.2, 2)
            thickness = max(1, int(rng.uniform(width * 0.02, width * 0.08)))  # OpenCV refuses 0 (images < 13 px)
            cv2.line(image, tuple(to_fixed(centre)), tuple(to_fixed(end)), colour, thickness, cv2.LINE_AA, SUBPIXEL_BITS)
