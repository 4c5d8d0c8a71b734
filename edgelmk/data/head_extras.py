"""What generator version 3 draws besides the face mesh: neck, hair, ears, eyelids, teeth, beards, hats, glasses, hands.

Positions come from the face's canonical 68 points (units of :mod:`edgelmk.data.head_mesh`)
and the same camera (``to_image``: (N, 3) canonical points -> (N, 2) image pixels), so the parts
move with the head; none of them moves a landmark.
"""

from __future__ import annotations

import numpy as np

from edgelmk import optional
from edgelmk.viz import SUBPIXEL_BITS, to_fixed


def _fill_hull(image: np.ndarray, points: np.ndarray, colour) -> None:
    """Fill the convex hull of (N, 2) image points, anti-aliased."""
    cv2 = optional.cv2()
    hull = cv2.convexHull(to_fixed(points).reshape(-1, 1, 2))
    cv2.fillConvexPoly(image, hull, tuple(float(c) for c in colour), cv2.LINE_AA, SUBPIXEL_BITS)


def _ellipsoid(centre, radii, count: int = 12) -> np.ndarray:
    """(count^2, 3) points on an axis-aligned ellipsoid's surface."""
    theta, phi = np.meshgrid(np.linspace(0, 2 * np.pi, count), np.linspace(-np.pi / 2, np.pi / 2, count))
    unit = np.stack([np.cos(phi) * np.cos(theta), np.sin(phi), np.cos(phi) * np.sin(theta)], axis=-1).reshape(-1, 3)
    return np.asarray(centre) + unit * radii


def draw_behind_head(image: np.ndarray, points: np.ndarray, top_y: float, to_image, yaw_deg: float, skin: np.ndarray,
                     hair: np.ndarray | None, rng: np.random.Generator) -> None:
    """Neck, ears and the back of the skull (hair, or bare skin when ``hair`` is None), in place, before the face.

    Args:
        points: (68, 3) the face's canonical 3D points (for the jaw's width and the chin).
        top_y: canonical y of the top of the forehead outline.
        yaw_deg: the head's yaw (the far ear is left out beyond 20 degrees: the skull hides it).
    """
    width = float(points[16, 0] - points[0, 0]) / 2
    chin_y = float(points[8, 1])
    shoulders = _ellipsoid((0, chin_y + 2.1, -1.0), (width * rng.uniform(2.2, 3.2), 0.9, 0.9))
    _fill_hull(image, to_image(shoulders), rng.uniform(0, 255, 3))  # clothes
    neck_radius = width * rng.uniform(0.55, 0.7)
    neck = np.concatenate([_ellipsoid((0, y, -0.75), (neck_radius, 0.01, neck_radius * 0.8), 10)
                           for y in (chin_y - 0.6, chin_y + 1.3)])
    _fill_hull(image, to_image(neck), skin * rng.uniform(0.45, 0.75))
    skull_height = (chin_y - top_y) / 2
    skull = _ellipsoid((0, top_y + skull_height * 0.95, -0.8), (width * 1.02, skull_height * 0.95, 1.0))
    if hair is not None and rng.random() < 0.35:  # long hair down to the shoulders
        skull = np.concatenate([skull, _ellipsoid((0, chin_y + 0.3, -0.9), (width * 1.25, 0.6, 0.6))])
    _fill_hull(image, to_image(skull), (hair if hair is not None else skin) * rng.uniform(0.7, 1.0))
    ear_y = (points[39, 1] + points[33, 1]) / 2
    for side in (-1, 1):
        if abs(yaw_deg) > 20 and np.sign(yaw_deg) == side:  # this ear turns away behind the skull
            continue
        ear = _ellipsoid((side * width * 1.0, ear_y, -0.65), (0.06, 0.28, 0.16), 8)
        _fill_hull(image, to_image(ear), skin * rng.uniform(0.7, 0.95))


def draw_details(texture: np.ndarray, points: np.ndarray, skin: np.ndarray, hair: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Eyelid creases and lashes, teeth in an open mouth, sometimes a beard, on the flat texture, in place.

    Args:
        texture: (T, T, 3) float32 face texture.
        points: (68, 2) the face's points in texture pixels.
    """
    cv2 = optional.cv2()
    eye_width = float(np.linalg.norm(points[39] - points[36]))
    for eye in (points[36:42], points[42:48]):
        upper = eye[[0, 1, 2, 3]]
        lift = np.array([0, -eye_width * rng.uniform(0.12, 0.25)])
        crease = upper + lift * np.array([0.3, 1, 1, 0.3])[:, None]
        cv2.polylines(texture, [to_fixed(crease)], False, tuple(float(c) for c in skin * 0.75),
                      max(1, int(eye_width * 0.05)), cv2.LINE_AA, SUBPIXEL_BITS)
        cv2.polylines(texture, [to_fixed(upper)], False, (20.0, 15.0, 15.0), max(1, int(eye_width * 0.07)), cv2.LINE_AA,
                      SUBPIXEL_BITS)
    inner = points[60:68]
    gap = float(np.linalg.norm(inner[6] - inner[2]))
    if gap > eye_width * 0.15:  # an open mouth shows the upper teeth
        lower_edge = np.concatenate([inner[[3]] * 0.7 + inner[[5]] * 0.3, inner[[1]] * 0.7 + inner[[7]] * 0.3])
        teeth = np.concatenate([inner[1:4], lower_edge])
        colour = rng.uniform(130, 220) * np.array([1.0, 0.97, 0.9])
        cv2.fillPoly(texture, [to_fixed(teeth)], tuple(float(c) for c in colour), cv2.LINE_AA, SUBPIXEL_BITS)
    if rng.random() < 0.15:  # a beard or stubble over the jaw, chin and upper lip
        mask = np.zeros(texture.shape[:2], np.float32)
        jaw = points[2:15]
        cheeks = np.concatenate([jaw, points[[54, 35, 33, 31, 48]] + [0, eye_width * 0.1]])
        cv2.fillPoly(mask, [to_fixed(cheeks)], 1.0, cv2.LINE_AA, SUBPIXEL_BITS)
        cv2.fillPoly(mask, [to_fixed(points[48:60])], 0.0, cv2.LINE_AA, SUBPIXEL_BITS)
        mask = cv2.GaussianBlur(mask, (0, 0), eye_width * 0.15)
        strength = rng.uniform(0.3, 0.95) * (0.6 + 0.4 * rng.random(mask.shape))
        texture[:] = texture * (1 - (mask * strength)[..., None]) + hair * (mask * strength)[..., None]


def draw_hat(image: np.ndarray, points: np.ndarray, top_y: float, to_image, rng: np.random.Generator) -> None:
    """A hat over the top of the head, in place (after the face): a crown and, mostly, a brim above the brows.

    Args:
        points: (68, 3) the face's canonical 3D points.
        top_y: canonical y of the top of the forehead outline.
    """
    width = float(points[16, 0] - points[0, 0]) / 2
    brim_y = float(points[17:27, 1].min()) - rng.uniform(0.2, 0.5)
    colour = rng.uniform(0, 255, 3)
    crown_height = (brim_y - top_y) + rng.uniform(0.1, 0.4)
    crown = _ellipsoid((0, brim_y, -0.6), (width * rng.uniform(0.95, 1.1), crown_height, 1.0))
    _fill_hull(image, to_image(crown[crown[:, 1] <= brim_y]), colour)
    if rng.random() < 0.7:
        brim = _ellipsoid((0, brim_y, -0.3 + rng.uniform(0, 0.4)), (width * rng.uniform(1.2, 1.6), 0.02, 1.3))
        _fill_hull(image, to_image(brim), colour * rng.uniform(0.6, 0.9))


def draw_glasses(image: np.ndarray, eyes: tuple[np.ndarray, np.ndarray], temples: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Spectacles over the eyes, in place: rims, bridge and arms, sometimes tinted lenses.

    Args:
        eyes: the (6, 2) image points of each eye (subject's right, left).
        temples: (2, 2) image points where the arms go (the jaw's top ends).
    """
    cv2 = optional.cv2()
    colour = tuple(float(c) for c in rng.uniform(0, 120, 3))
    eye_width = float(np.linalg.norm(eyes[0][3] - eyes[0][0]))
    thickness = max(1, int(round(eye_width * rng.uniform(0.06, 0.15))))
    tint = rng.uniform(0, 0.5) if rng.random() < 0.3 else 0.0
    rims = []
    for eye in eyes:
        centre = eye.mean(axis=0)
        angle = float(np.degrees(np.arctan2(*(eye[3] - eye[0])[::-1])))
        axes = np.array([np.linalg.norm(eye[3] - eye[0]) * 0.8, np.linalg.norm(eye[3] - eye[0]) * 0.55])
        axes *= rng.uniform(0.9, 1.2)
        if tint:
            lens = image.copy()
            cv2.ellipse(lens, tuple(to_fixed(centre)), tuple(to_fixed(axes)), angle, 0, 360, (20.0, 20.0, 25.0), -1,
                        cv2.LINE_AA, SUBPIXEL_BITS)
            image[:] = image * (1 - tint) + lens * tint
        cv2.ellipse(image, tuple(to_fixed(centre)), tuple(to_fixed(axes)), angle, 0, 360, colour, thickness,
                    cv2.LINE_AA, SUBPIXEL_BITS)
        rims.append((centre, axes, angle))
    (right, right_axes, _), (left, left_axes, _) = rims
    direction = (left - right) / (np.linalg.norm(left - right) + 1e-6)
    bridge = np.stack([right + direction * right_axes[0], left - direction * left_axes[0]])
    cv2.polylines(image, [to_fixed(bridge)], False, colour, thickness, cv2.LINE_AA, SUBPIXEL_BITS)
    for (centre, axes, _), temple, side in zip(rims, temples, (-1, 1)):
        start = centre + side * direction * axes[0]
        cv2.polylines(image, [to_fixed(np.stack([start, temple]))], False, colour, thickness, cv2.LINE_AA,
                      SUBPIXEL_BITS)


def draw_hand(image: np.ndarray, face_centre: np.ndarray, face_width: float, skin: np.ndarray,
              rng: np.random.Generator) -> None:
    """A hand (palm and fingers in the face's skin tone, shaded) over part of the face, in place."""
    cv2 = optional.cv2()
    palm = face_centre + rng.normal(0, face_width * 0.45, 2)
    size = face_width * rng.uniform(0.3, 0.5)
    angle = rng.uniform(0, 2 * np.pi)
    colour = tuple(float(c) for c in skin * rng.uniform(0.7, 1.05))
    edge = tuple(float(c) for c in skin * 0.55)
    cv2.ellipse(image, tuple(to_fixed(palm)), tuple(to_fixed([size * 0.55, size * 0.45])), float(np.degrees(angle)),
                0, 360, colour, -1, cv2.LINE_AA, SUBPIXEL_BITS)
    for finger in range(4):
        spread = angle + (finger - 1.5) * 0.28
        base = palm + size * 0.45 * np.array([np.cos(spread), np.sin(spread)])
        tip = base + size * rng.uniform(0.6, 0.9) * np.array([np.cos(spread), np.sin(spread)])
        width = max(1, int(size * 0.22))
        cv2.line(image, tuple(to_fixed(base)), tuple(to_fixed(tip)), edge, width + 1, cv2.LINE_AA, SUBPIXEL_BITS)
        cv2.line(image, tuple(to_fixed(base)), tuple(to_fixed(tip)), colour, max(1, width - 1), cv2.LINE_AA,
                 SUBPIXEL_BITS)
