"""Procedural datasets with exact sub-pixel landmarks: faces (300W, COFW, WFLW or AFLW points) and people (MPII's 16).

Each sample is drawn from its own random generator seeded by ``(seed, index)``, so a dataset is
deterministic, random-access and needs no files. Faces come from a parametric 3D face
(identity and expression varied, then yawed, pitched and rolled and projected with a mild
perspective); in versions 1 and 2 the skin, eyes, brows, nose and lips are drawn through the
projected landmarks with anti-aliased OpenCV primitives at 1/16-pixel precision, in versions 3
and 4 they are drawn on a flat texture that a 3D head mesh carries (:mod:`edgelmk.data.head_mesh`);
over random backgrounds, with random lighting, blur, noise and occluders. People are articulated stick figures with
random joint angles and clothing colours.

Samples have the keys of :mod:`edgelmk.data.formats.common`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from edgelmk import geometry, optional
from edgelmk.data.head_extras import draw_behind_head, draw_details, draw_glasses, draw_hand, draw_hat
from edgelmk.data.head_mesh import HeadSurface, Light, from_texture, render_head, to_texture
from edgelmk.data.occluders import add_occluders
from edgelmk.data.skeletons import MPII, W300, skeleton_for
from edgelmk.viz import SUBPIXEL, SUBPIXEL_BITS, to_fixed, write_png


#: the face schemes procedural faces can be labelled in (see :func:`scheme_keypoints`)
FACE_SCHEMES = ("300w", "cofw", "wflw", "aflw")


def _colour(rng: np.random.Generator, low: Sequence[float], high: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in rng.uniform(low, high))


def _skin(rng: np.random.Generator) -> np.ndarray:
    """An RGB skin tone between dark and light, with a little per-channel variation."""
    tone = rng.random()
    return np.array([70, 45, 30]) * (1 - tone) + np.array([245, 210, 185]) * tone + rng.normal(0, 8, 3)


# --- a parametric 3D face in 300W order ----------------------------------------------------------
# Units: half the face width ~ 1; x to the image right, y down, z toward the camera.


def _arc(start: float, stop: float, count: int) -> np.ndarray:
    return np.linspace(start, stop, count)


#: version 1's proportions, kept so that its faces stay the same: (low, high) ranges drawn
#: uniformly per face, other values constants (face units; ``brow_length`` and ``brow_out`` in eye
#: widths, ``eyelid_angle`` in radians round the eye's ellipse)
FIRST = {"face_width": (0.85, 1.12), "chin_narrow": (0.05, 0.3), "jaw_power": 1.0, "jaw_length": 1.15,
         "eye_gap": (0.15, 0.24), "eye_width": (0.3, 0.42), "brow_lift": (0.12, 0.28), "brow_arch": (0.02, 0.12),
         "brow_inner_lift": 0.0, "brow_length": 1.1, "brow_out": 0.1, "brow_arch_start": 0.3,
         "eyelid_angle": np.pi / 3, "jaw_even_spacing": False, "nose_length": (0.38, 0.55), "nose_width": (0.14, 0.26),
         "tip_above_base": 0.04, "alae_above_base": -0.04, "mouth_y": (0.52, 0.68)}
#: version 2's (and 3's): the nose tip about a tenth of the eye-to-chin height above the nose's
#: base and the alae between them; the brows closer to the eyes and level; the mouth about a third
#: of the way from the nose's base to the chin (version 1 put the tip nearly level with the base,
#: the alae below it, the brows high and the mouth low). Checked against the mean shape of
#: helen29's 250 training photos, not its validation photos (README, procedural faces on real photographs).
ANTHROPOMETRIC = {**FIRST, "brow_lift": (0.05, 0.17), "brow_inner_lift": 0.05, "nose_length": (0.29, 0.46),
                  "tip_above_base": 0.13, "alae_above_base": 0.08, "mouth_y": (0.47, 0.63)}
#: version 4's: :data:`ANTHROPOMETRIC` moved to the mean 300W shape that dlib's pretrained 68-point
#: model predicts on helen29's training photos (``benchmarks/face_proportions.py``; not the 68-point
#: evaluation faces): the jaw's points evenly spaced along it, a jaw narrower at the temples and
#: fuller at the cheeks and chin (``jaw_power`` below 1 squares the ellipse), longer and more arched
#: brows reaching nearer the nose's bridge, narrower eyes with the eyelid points nearer the
#: corners, a narrower nose with the alae nearer its base, and the mouth a little lower.
PROPORTIONS_300W = {**ANTHROPOMETRIC, "face_width": (0.78, 1.02), "chin_narrow": (0.0, 0.2), "jaw_power": 0.8,
                    "jaw_length": 1.19, "jaw_even_spacing": True, "eye_gap": (0.165, 0.255), "eye_width": (0.26, 0.36),
                    "eyelid_angle": float(np.arccos(0.37)), "brow_lift": (0.09, 0.21), "brow_arch": (0.04, 0.14),
                    "brow_arch_start": 0.0, "brow_length": 1.8, "brow_out": 0.2,
                    "nose_width": (0.12, 0.21), "alae_above_base": 0.03, "mouth_y": (0.5, 0.66)}


def face_shape_3d(rng: np.random.Generator, proportions: dict = FIRST) -> np.ndarray:
    """A random identity and expression: (68, 3) points in 300W order.

    Args:
        proportions: the ranges and constants of the face (:data:`FIRST`, :data:`ANTHROPOMETRIC`
            or :data:`PROPORTIONS_300W`); every version draws the same random numbers in the same order.
    """
    width, length = rng.uniform(*proportions["face_width"]), rng.uniform(0.9, 1.12)
    chin_narrow = rng.uniform(*proportions["chin_narrow"])
    eye_y, eye_gap = rng.uniform(-0.24, -0.12), rng.uniform(*proportions["eye_gap"])
    eye_width = rng.uniform(*proportions["eye_width"])
    eye_open = rng.uniform(0.02, 0.1)  # half height; near 0 is a blink
    brow_lift, brow_arch = rng.uniform(*proportions["brow_lift"]), rng.uniform(*proportions["brow_arch"])
    nose_length, nose_width = rng.uniform(*proportions["nose_length"]), rng.uniform(*proportions["nose_width"])
    mouth_y, mouth_half_width = rng.uniform(*proportions["mouth_y"]), rng.uniform(0.24, 0.4)
    upper_lip, lower_lip = rng.uniform(0.04, 0.1), rng.uniform(0.05, 0.12)
    mouth_open, smile = rng.uniform(0, 0.22) * (rng.random() < 0.5), rng.uniform(-0.05, 0.1)

    points = np.zeros((68, 3))
    # jaw 0..16: from the subject's right temple, round the chin, to the left temple
    def jaw_at(angle: np.ndarray) -> np.ndarray:
        cos = np.cos(angle)
        x = -np.sign(cos) * np.abs(cos) ** proportions["jaw_power"] * width * (1 - chin_narrow * np.sin(angle) ** 2)
        y = -0.15 + (proportions["jaw_length"] * length + mouth_open * 0.8) * np.sin(angle)
        return np.stack([x, y, -0.55 * np.abs(cos) ** 1.5], axis=-1)

    angle = _arc(0, np.pi, 17)
    if proportions["jaw_even_spacing"]:  # 300W's annotators space the jaw's points evenly along it
        dense = _arc(0, np.pi, 513)
        along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(jaw_at(dense)[:, :2], axis=0), axis=1))])
        angle = np.interp(_arc(0, along[-1], 17), along, dense)
    points[0:17] = jaw_at(angle)
    # brows 17..21 (subject's right, image left, outer to inner) and 22..26 (inner to outer)
    t = _arc(0, 1, 5)
    brow_length = eye_width * proportions["brow_length"]
    brow_x = -(eye_gap + eye_width * (0.5 + proportions["brow_out"])) - brow_length / 2 + t * brow_length
    arch_start = proportions["brow_arch_start"]
    brow_y = eye_y - brow_lift - brow_arch * np.sin(np.pi * (arch_start + (1 - arch_start) * t)) \
        - proportions["brow_inner_lift"] * t
    points[17:22] = np.stack([brow_x, brow_y, 0.08 + 0.12 * t], axis=-1)
    points[22:27] = points[21:16:-1] * [-1, 1, 1]
    # nose bridge 27..30 and base 31..35
    bridge_t = _arc(0, 1, 4)
    points[27:31] = np.stack([np.zeros(4), eye_y + bridge_t * nose_length, 0.2 + 0.35 * bridge_t], axis=-1)
    base_x = _arc(-nose_width, nose_width, 5)
    tip_to_base, tip_to_alae = proportions["tip_above_base"], proportions["tip_above_base"] - proportions["alae_above_base"]
    base_y = eye_y + nose_length + tip_to_alae + (tip_to_base - tip_to_alae) * np.cos(np.pi * (base_x / nose_width) / 2) ** 2
    points[31:36] = np.stack([base_x, base_y, 0.32 + 0.08 * np.cos(np.pi * base_x / nose_width / 2)], axis=-1)
    # eyes: 36..41 (right: outer, top, top, inner, bottom, bottom) and 42..47 (left: inner ... outer ...)
    lid = proportions["eyelid_angle"]
    eye_angles = np.array([np.pi, np.pi - lid, lid, 0.0, -lid, lid - np.pi])
    centre_x = eye_gap + eye_width / 2
    right_eye = np.stack([-centre_x + np.cos(eye_angles) * eye_width / 2,
                          eye_y - np.sin(eye_angles) * eye_open * np.where(np.sin(eye_angles) > 0, 1.0, 0.8),
                          np.full(6, 0.12)], axis=-1)
    points[36:42] = right_eye
    points[42:48] = right_eye[[3, 2, 1, 0, 5, 4]] * [-1, 1, 1]
    # lips: outer 48..59 (right corner, upper lip to the left corner, lower lip back), inner 60..67
    corner_y = mouth_y - smile
    outer_x = mouth_half_width * np.array([-1, -0.62, -0.25, 0, 0.25, 0.62, 1, 0.62, 0.25, 0, -0.25, -0.62])
    upper = mouth_y - upper_lip - 0.02 * np.cos(np.pi * outer_x[1:6] / mouth_half_width / 2)
    lower = mouth_y + mouth_open + lower_lip * np.cos(np.pi * outer_x[7:12] / mouth_half_width / 2) ** 0.5
    outer_y = np.concatenate([[corner_y], upper, [corner_y], lower])
    points[48:60] = np.stack([outer_x, outer_y, 0.22 - 0.15 * (outer_x / mouth_half_width) ** 2], axis=-1)
    inner_x = mouth_half_width * 0.8 * np.array([-1, -0.5, 0, 0.5, 1, 0.5, 0, -0.5])
    inner_y = np.array([corner_y, mouth_y - 0.01, mouth_y - 0.012, mouth_y - 0.01, corner_y,
                        mouth_y + mouth_open + 0.01, mouth_y + mouth_open + 0.012, mouth_y + mouth_open + 0.01])
    points[60:68] = np.stack([inner_x, inner_y, 0.2 - 0.12 * (inner_x / mouth_half_width) ** 2], axis=-1)
    points[:, :2] += rng.normal(0, 0.008, (68, 2))  # individual irregularity
    return points


def forehead_outline_3d(jaw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(P, 3) points closing the head over the forehead, from the left temple back to the right."""
    height = rng.uniform(0.9, 1.2)
    angle = _arc(0, np.pi, 15)
    left, right = jaw[16], jaw[0]
    x = (left[0] + right[0]) / 2 + np.cos(angle) * (left[0] - right[0]) / 2
    y = (left[1] + right[1]) / 2 - height * np.sin(angle)
    z = -0.55 * np.abs(np.cos(angle)) ** 1.5 + 0.1 * np.sin(angle)
    return np.stack([x, y, z], axis=-1)


def rotation_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """3x3 rotation: pitch about x, then yaw about y, then roll about the viewing axis."""
    yaw, pitch, roll = np.deg2rad([yaw_deg, pitch_deg, roll_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    return rz @ ry @ rx


def project(points: np.ndarray, rotation: np.ndarray, scale: float, centre_xy: np.ndarray,
            camera_distance: float = 7.0) -> np.ndarray:
    """Rotate (P, 3) face points and project them with a pinhole camera into (P, 2) image pixels."""
    rotated = points @ rotation.T
    perspective = camera_distance / (camera_distance - rotated[:, 2:3])
    return rotated[:, :2] * perspective * scale + centre_xy


# --- drawing ---------------------------------------------------------------------------------------


def random_background(rng: np.random.Generator, image_hw: tuple[int, int]) -> np.ndarray:
    """A float32 (H, W, 3) image in [0, 255]: gradient, low-frequency noise and random shapes."""
    cv2 = optional.cv2()
    height, width = image_hw
    coarse = rng.uniform(0, 255, (rng.integers(2, 9), rng.integers(2, 9), 3)).astype(np.float32)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(0, 12)):
        colour = _colour(rng, [0] * 3, [255] * 3)
        centre = to_fixed(rng.uniform([0, 0], [width, height]))
        if rng.random() < 0.5:
            axes = to_fixed(rng.uniform(3, max(height, width) / 3, 2))
            cv2.ellipse(image, tuple(centre), tuple(axes), float(rng.uniform(0, 180)), 0, 360, colour, -1,
                        cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            end = to_fixed(rng.uniform([0, 0], [width, height]))
            cv2.line(image, tuple(centre), tuple(end), colour, int(rng.integers(1, 8)), cv2.LINE_AA, SUBPIXEL_BITS)
    return np.clip(image, 0, 255)


def _fill(image: np.ndarray, polygon: np.ndarray, colour: Sequence[float]) -> None:
    optional.cv2().fillPoly(image, [to_fixed(polygon)], tuple(colour), optional.cv2().LINE_AA, SUBPIXEL_BITS)


def _polyline(image: np.ndarray, points: np.ndarray, colour: Sequence[float], thickness: float,
              closed: bool = False) -> None:
    cv2 = optional.cv2()
    cv2.polylines(image, [to_fixed(points)], closed, tuple(colour), max(1, int(round(thickness))), cv2.LINE_AA,
                  SUBPIXEL_BITS)


def _smooth_closed(points: np.ndarray, samples_per_segment: int = 6) -> np.ndarray:
    """A closed polygon through (N, D) ``points`` rounded by Catmull-Rom interpolation (passes through every point)."""
    p = np.asarray(points, dtype=np.float64)
    p0, p1, p2, p3 = np.roll(p, 1, 0), p, np.roll(p, -1, 0), np.roll(p, -2, 0)
    t = np.linspace(0, 1, samples_per_segment, endpoint=False)[:, None, None]
    curve = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                   + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)
    return curve.transpose(1, 0, 2).reshape(-1, p.shape[1])


def draw_face(image: np.ndarray, keypoints: np.ndarray, head_outline: np.ndarray,
              rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw skin, hair, brows, eyes, nose and lips through projected landmarks, in place.

    Returns:
        What the drawing placed beyond the 68 points, in image pixels: ``pupils`` (2, 2), the
        iris centres (subject's right, left), ``brow_half_width``, half the drawn brow
        thickness (pixels, a 0-d array), and the ``skin`` and ``hair`` RGB colours (3,).
    """
    cv2 = optional.cv2()
    face_width = np.linalg.norm(keypoints[16] - keypoints[0])
    skin = _skin(rng)
    hair = _colour(rng, [5, 5, 5], [120, 90, 60]) if rng.random() < 0.8 else _colour(rng, [150, 110, 50], [240, 220, 160])
    head = np.concatenate([keypoints[0:17], head_outline])
    _fill(image, _smooth_closed(head), skin)
    if rng.random() < 0.7:  # hair: a cap cut from the top of the head outline
        start, stop = int(rng.integers(0, 4)), int(rng.integers(len(head_outline) - 3, len(head_outline) + 1))
        _fill(image, _smooth_closed(head_outline[start:stop]), hair)
    shade = skin * rng.uniform(0.55, 0.85)
    _polyline(image, keypoints[27:31], shade, face_width * 0.012)
    _polyline(image, keypoints[31:36], shade, face_width * 0.02)
    for nostril in (keypoints[32], keypoints[34]):
        cv2.ellipse(image, tuple(to_fixed(nostril)), tuple(to_fixed([face_width * 0.02, face_width * 0.012])), 0, 0, 360,
                    tuple(shade * 0.6), -1, cv2.LINE_AA, SUBPIXEL_BITS)
    brow_thickness = face_width * rng.uniform(0.02, 0.05)
    _polyline(image, keypoints[17:22], hair, brow_thickness)
    _polyline(image, keypoints[22:27], hair, brow_thickness)
    iris = _colour(rng, [20, 20, 10], [120, 160, 170])
    gaze = rng.uniform(-0.25, 0.25, 2)
    pupils = []
    for eye in (keypoints[36:42], keypoints[42:48]):
        outline = _smooth_closed(eye)
        _fill(image, outline, _colour(rng, [200, 200, 190], [250, 250, 245]))
        mask = np.zeros(image.shape[:2], np.uint8)
        _fill(mask, outline, (255,))
        centre = eye.mean(axis=0) + gaze * [np.ptp(eye[:, 0]), np.ptp(eye[:, 1])]
        radius = 0.2 * np.ptp(eye[:, 0])
        pupils.append(centre)
        disc = image.copy()
        cv2.circle(disc, tuple(to_fixed(centre)), int(radius * SUBPIXEL), iris, -1, cv2.LINE_AA, SUBPIXEL_BITS)
        cv2.circle(disc, tuple(to_fixed(centre)), int(radius * 0.45 * SUBPIXEL), (10, 10, 10), -1, cv2.LINE_AA,
                   SUBPIXEL_BITS)
        inside = mask[..., None] / 255.0
        image[:] = image * (1 - inside) + disc * inside
        _polyline(image, outline, shade * 0.5, face_width * 0.012, closed=True)
    lips = np.array(_colour(rng, [110, 40, 40], [220, 120, 120]))
    _fill(image, _smooth_closed(keypoints[48:60]), lips)
    _fill(image, _smooth_closed(keypoints[60:68]), lips * 0.35)
    _polyline(image, _smooth_closed(keypoints[60:68]), lips * 0.6, face_width * 0.008, closed=True)
    return {"pupils": np.array(pupils), "brow_half_width": np.asarray(max(1, int(round(brow_thickness))) / 2),
            "skin": np.asarray(skin, np.float64), "hair": np.asarray(hair, np.float64)}


#: texture resolution of versions 3 and 4's flat face (texels over :data:`edgelmk.data.head_mesh.TEXTURE_RANGE`)
TEXTURE_SIZE = 160
#: each generator version's face proportions (:func:`face_shape_3d`)
VERSION_PROPORTIONS = {1: FIRST, 2: ANTHROPOMETRIC, 3: ANTHROPOMETRIC, 4: PROPORTIONS_300W}
#: the generator versions ``synthetic_faces`` offers (its ``version`` key; see :class:`SyntheticFaces`)
VERSIONS = tuple(VERSION_PROPORTIONS)


def _bumps(shape_hw: tuple[int, int], centres: np.ndarray, heights: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """(H, W) float32 sum of Gaussian bumps: ``heights[i] * exp(-|p - centres[i]|^2 / (2 sigmas[i]^2))`` (pixels)."""
    rows, columns = np.mgrid[0:shape_hw[0], 0:shape_hw[1]].astype(np.float32)
    total = np.zeros(shape_hw, np.float32)
    for (x, y), height, sigma in zip(centres, heights, sigmas):
        total += height * np.exp(-((columns - x) ** 2 + (rows - y) ** 2) / (2 * sigma ** 2))
    return total


def head_relief(mask: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(H, W) float32 height toward the camera, pixels, of the head inside ``mask`` (uint8, 255 inside).

    A dome over the silhouette (from its distance transform), the nose ridge and tip, cheekbones,
    brow ridges and chin raised, the eye sockets and the mouth's corners sunk; smoothed.
    """
    cv2 = optional.cv2()
    face_width = float(np.linalg.norm(keypoints[16] - keypoints[0])) + 1e-6
    distance = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 5)
    radius = float(distance.max()) + 1e-6
    inside = np.clip(distance / radius, 0, 1)
    height = np.sqrt(1 - (1 - inside) ** 2) * radius * 0.8
    eyes = np.stack([keypoints[36:42].mean(axis=0), keypoints[42:48].mean(axis=0)])
    features = [(keypoints[30], 0.2, 0.07), (keypoints[29], 0.14, 0.06), (keypoints[28], 0.09, 0.05),
                (keypoints[33], 0.08, 0.06), (keypoints[8], 0.05, 0.1),
                (eyes[0], -0.1, 0.09), (eyes[1], -0.1, 0.09),
                (keypoints[19] - [0, 0.02 * face_width], 0.05, 0.1), (keypoints[24] - [0, 0.02 * face_width], 0.05, 0.1),
                ((keypoints[2] + keypoints[31]) / 2, 0.05, 0.12), ((keypoints[14] + keypoints[35]) / 2, 0.05, 0.12),
                (keypoints[48], -0.03, 0.05), (keypoints[54], -0.03, 0.05)]
    centres = np.array([point for point, _, _ in features])
    heights = np.array([amount for _, amount, _ in features]) * face_width
    sigmas = np.array([width for _, _, width in features]) * face_width
    height += _bumps(mask.shape, centres, heights, sigmas) * (mask > 0)
    return cv2.GaussianBlur(height, (0, 0), max(0.5, 0.02 * face_width))


def shade(image: np.ndarray, mask: np.ndarray, relief: np.ndarray, rng: np.random.Generator) -> None:
    """Light the surface ``relief`` (pixels) inside ``mask``, in place: ambient + Lambertian + Blinn-Phong specular.

    One distant light from a random direction in front of the face (above it more often than
    below), a random ambient share, shininess and specular strength.
    """
    cv2 = optional.cv2()
    normal = np.stack([-cv2.Sobel(relief, cv2.CV_32F, 1, 0, ksize=3) / 8,
                       -cv2.Sobel(relief, cv2.CV_32F, 0, 1, ksize=3) / 8, np.ones_like(relief)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    light = np.array([rng.uniform(-1, 1), rng.uniform(-1, 0.4), rng.uniform(0.3, 1.2)])  # y down: above is negative
    light /= np.linalg.norm(light)
    half_vector = (light + [0, 0, 1]) / np.linalg.norm(light + [0, 0, 1])
    ambient = rng.uniform(0.25, 0.6)
    diffuse = np.clip(normal @ light.astype(np.float32), 0, 1)
    specular = rng.uniform(0, 60) * np.clip(normal @ half_vector.astype(np.float32), 0, 1) ** rng.uniform(8, 40)
    lit = image * (ambient + (1 - ambient) * diffuse)[..., None] * rng.uniform(1.0, 1.4) + specular[..., None]
    weight = (mask.astype(np.float32) / 255)[..., None]
    image[:] = image * (1 - weight) + lit * weight


def skin_texture(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Blotchy low-frequency albedo variation and fine pore noise on the skin inside ``mask``, in place."""
    cv2 = optional.cv2()
    height, width = mask.shape
    coarse = rng.normal(0, 1, (max(2, height // 12), max(2, width // 12))).astype(np.float32)
    blotches = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) * rng.uniform(0.02, 0.08)
    pores = rng.normal(0, rng.uniform(0.005, 0.03), (height, width)).astype(np.float32)
    weight = (mask.astype(np.float32) / 255)[..., None]
    image[:] = image * (1 + (blotches + pores)[..., None] * weight)


def natural_background(rng: np.random.Generator, image_hw: tuple[int, int]) -> np.ndarray:
    """A float32 (H, W, 3) image in [0, 255] that looks like an indoor or outdoor scene, not a cartoon.

    Fractal (1/f) noise between two muted colours, a few blurred flat regions (walls,
    furniture, windows) and, sometimes, one saturated object; no cartoon colour fields.
    """
    cv2 = optional.cv2()
    height, width = image_hw
    fractal = np.zeros((height, width), np.float32)
    for octave in range(1, 7):
        cells = 2 ** octave
        noise = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
        fractal += cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC) * 0.6 ** octave
    fractal = (fractal - fractal.min()) / (np.ptp(fractal) + 1e-6)
    grey = rng.uniform(20, 235)
    colours = [np.clip(grey + rng.normal(0, 25, 3) + rng.uniform(-60, 60), 0, 255) for _ in range(2)]
    image = colours[0] + (colours[1] - colours[0]) * fractal[..., None]
    for _ in range(rng.integers(0, 5)):
        corner = rng.uniform([0, 0], [width, height])
        size = rng.uniform(0.15, 0.8, 2) * [width, height]
        region = np.zeros((height, width), np.float32)
        cv2.rectangle(region, tuple(int(v) for v in corner), tuple(int(v) for v in corner + size), 1.0, -1)
        region = cv2.GaussianBlur(region, (0, 0), float(rng.uniform(0.5, 4)))[..., None]
        image = image * (1 - region) + (np.clip(grey + rng.normal(0, 50, 3), 0, 255) * (0.8 + 0.4 * fractal[..., None])) * region
    if rng.random() < 0.3:
        add_occluders(image, rng, 1)
    return np.clip(image, 0, 255).astype(np.float32)


def camera_effects(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 RGB -> uint8 RGB: sometimes grey, sometimes JPEG-compressed (quality 20 to 90)."""
    cv2 = optional.cv2()
    if rng.random() < 0.15:
        image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    if rng.random() < 0.4:
        encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 91))])[1]
        image = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
        image = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    return image


# --- the 68 drawn points -> the points of another face scheme --------------------------------------


def _spline_midpoints(polygon: np.ndarray, indices: Sequence[int]) -> np.ndarray:
    """(len(indices), 2) points halfway between ``polygon[i]`` and ``polygon[i + 1]`` on the closed
    Catmull-Rom curve that :func:`_smooth_closed` draws through ``polygon``."""
    p, n = np.asarray(polygon, dtype=np.float64), len(polygon)
    return np.array([(-p[(i - 1) % n] + 9 * p[i] + 9 * p[(i + 1) % n] - p[(i + 2) % n]) / 16 for i in indices])


def _brow_edges(brow: np.ndarray, up: np.ndarray, half_width: float) -> tuple[np.ndarray, np.ndarray]:
    """(top, bottom) edges, each (5, 2), of a brow drawn as a polyline of ``2 * half_width`` pixels."""
    tangent = np.gradient(brow, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=-1) / np.linalg.norm(tangent, axis=1, keepdims=True)
    normal *= np.where(normal @ up >= 0, 1.0, -1.0)[:, None]
    return brow + normal * half_width, brow - normal * half_width


def scheme_keypoints(scheme: str, points: np.ndarray, head: np.ndarray, drawn: dict[str, np.ndarray]) -> np.ndarray:
    """A drawn face's landmarks in a face scheme's order, (K, 2) image pixels.

    Args:
        scheme: 300w (68), cofw (29), wflw (98) or aflw (19).
        points: (68, 2) the projected 300W points the face was drawn through.
        head: (P, 2) the closed head outline drawn as the silhouette (jaw points first).
        drawn: what :func:`draw_face` returned (pupils, brow half width).

    Points 300W does not have are placed where the drawing put them: pupils at the iris
    centres, brow tops and bottoms on the drawn brow's edges, eyelid and jaw midpoints on the
    curves drawn through the 68 points.
    """
    if scheme == "300w":
        return points
    up = points[27] - points[8]
    right_top, right_bottom = _brow_edges(points[17:22], up, float(drawn["brow_half_width"]))
    left_top, left_bottom = _brow_edges(points[22:27], up, float(drawn["brow_half_width"]))
    right_eye, left_eye = points[36:42], points[42:48]
    (right_eye_top, right_eye_bottom), (left_eye_top, left_eye_bottom) = (
        _spline_midpoints(right_eye, [1, 4]), _spline_midpoints(left_eye, [1, 4]))
    right_pupil, left_pupil = drawn["pupils"]
    if scheme == "cofw":
        return np.stack([points[17], points[26], points[21], points[22], right_top[2], right_bottom[2], left_top[2],
                         left_bottom[2], points[36], points[45], points[39], points[42], right_eye_top, right_eye_bottom,
                         left_eye_top, left_eye_bottom, right_pupil, left_pupil, points[31], points[35], points[30],
                         points[33], points[48], points[54], points[51], points[62], points[66], points[57], points[8]])
    if scheme == "wflw":
        jaw_midpoints = _spline_midpoints(head, range(16))
        contour = np.insert(points[0:17], range(1, 17), jaw_midpoints, axis=0)
        right_lower = (right_bottom[[4, 3, 2, 1]] + right_bottom[[3, 2, 1, 0]]) / 2  # inner -> outer
        left_lower = (left_bottom[[4, 3, 2, 1]] + left_bottom[[3, 2, 1, 0]]) / 2  # outer -> inner
        right = [right_eye[0], right_eye[1], right_eye_top, right_eye[2], right_eye[3], right_eye[4], right_eye_bottom,
                 right_eye[5]]
        left = [left_eye[0], left_eye[1], left_eye_top, left_eye[2], left_eye[3], left_eye[4], left_eye_bottom,
                left_eye[5]]
        return np.concatenate([contour, right_top, right_lower, left_top, left_lower, points[27:36], np.stack(right),
                               np.stack(left), points[48:68], drawn["pupils"]])
    if scheme == "aflw":
        mouth_centre = (points[62] + points[66]) / 2
        return np.stack([points[17], points[19], points[21], points[22], points[24], points[26], points[36], right_pupil,
                         points[39], points[42], left_pupil, points[45], points[31], points[30], points[35], points[48],
                         mouth_centre, points[54], points[8]])
    raise ValueError(f"synthetic faces come in the face schemes {', '.join(FACE_SCHEMES)}; got {scheme!r}")


def finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting gradient, colour cast, blur and sensor noise; returns uint8 RGB."""
    cv2 = optional.cv2()
    height, width = image.shape[:2]
    direction = rng.normal(size=2)
    ramp = (np.arange(width)[None, :] * direction[0] + np.arange(height)[:, None] * direction[1])
    ramp = (ramp - ramp.mean()) / (np.ptp(ramp) + 1e-6)
    image = image * (1 + rng.uniform(0, 0.8) * ramp[..., None]) * rng.uniform(0.5, 1.3)
    image = image * rng.uniform(0.85, 1.15, 3) + rng.uniform(-20, 20, 3)
    if rng.random() < 0.7:
        image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), float(rng.uniform(0.3, 2.5)))
    image = image + rng.normal(0, rng.uniform(0, 12), image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


# --- datasets ------------------------------------------------------------------------------------------


class _Procedural:
    """A sized, indexable dataset whose i-th sample is drawn from a generator seeded by (seed, i)."""

    def __init__(self, num_samples: int = 1000, image_hw: Sequence[int] = (256, 256), seed: int = 0):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples must be a positive integer, got {num_samples!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.num_samples, self.image_hw, self.seed = num_samples, geometry.as_hw(image_hw, "image_hw"), seed

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> dict:
        if not -self.num_samples <= index < self.num_samples:
            raise IndexError(f"sample {index} out of range for a dataset of {self.num_samples}")
        index %= self.num_samples
        sample = self._draw(np.random.default_rng([self.seed, index]))
        sample["image_path"] = f"{self.name}:{self.seed}:{index}"  # type: ignore[attr-defined]
        return sample

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def _draw(self, rng: np.random.Generator) -> dict:
        raise NotImplementedError


class SyntheticFaces(_Procedural):
    """Procedural faces with exact landmarks in a face scheme: 300W's 68 (default), COFW's 29, WFLW's 98, AFLW's 19.

    The same face is drawn whatever the scheme (a seed and index give the same image); the
    scheme only chooses which points of it are the landmarks (:func:`scheme_keypoints`).

    Args:
        num_samples: dataset length.
        image_hw: (H, W) of each image, pixels.
        seed: base seed; sample i uses the generator seeded by (seed, i).
        max_yaw: largest head yaw in degrees (pitch is at most half of it, roll 25 degrees).
        skeleton: the landmark scheme: 300w, cofw, wflw or aflw.
        version: 1, the first generator (flat-coloured parts over colourful backgrounds; the
            documented procedural numbers use it), or 2: the proportions of
            :data:`ANTHROPOMETRIC`, the head lit as a surface (:func:`head_relief`,
            :func:`shade`), textured skin, natural-looking backgrounds, grey and JPEG-compressed
            images. The same seed and index give the same pose, jaw and eyes in both; the brows,
            nose, mouth, colours and gaze differ. Or 3: version 2's proportions, camera and
            backgrounds, with the face a textured, lit 3D mesh (:mod:`edgelmk.data.head_mesh`:
            landmarks on its surface, the jaw's points on the visible silhouette under yaw), a
            neck, shoulders, the back of the skull with hair, ears, eyelids, teeth, and
            sometimes beards, hats, glasses and hands (:mod:`edgelmk.data.head_extras`).
            Or 4: version 3 with the proportions of :data:`PROPORTIONS_300W` (the jaw's points
            evenly spaced along it, as 300W's annotators place them); the same pose, colours and
            accessories as version 3 for the same seed and index.
            ``benchmarks/synthetic_to_real.py`` compares the versions on real photographs,
            ``benchmarks/face_proportions.py`` their mean shapes with real faces'.
    """

    summary = "procedural faces with exact landmarks in 300W-68 (or skeleton: cofw, wflw, aflw) (pose, clutter)"
    skeleton = W300

    def __init__(self, num_samples: int = 1000, image_hw: Sequence[int] = (256, 256), seed: int = 0,
                 max_yaw: float = 40.0, skeleton: str = "300w", version: int = 1):
        super().__init__(num_samples, image_hw, seed)
        if isinstance(version, bool) or version not in VERSIONS:
            raise ValueError(f"synthetic_faces version must be one of {', '.join(map(str, VERSIONS))}; got {version!r}")
        self.version = version
        if not 0 <= max_yaw <= 60:
            raise ValueError(f"max_yaw must be between 0 and 60 degrees, got {max_yaw!r}")
        if skeleton not in FACE_SCHEMES:
            raise ValueError(f"synthetic_faces draws the face schemes {', '.join(FACE_SCHEMES)}; got skeleton "
                             f"{skeleton!r}")
        self.max_yaw, self.skeleton = float(max_yaw), skeleton_for(skeleton)

    def _draw(self, rng: np.random.Generator) -> dict:
        if self.version >= 3:
            return self._draw_mesh(rng, VERSION_PROPORTIONS[self.version])
        height, width = self.image_hw
        shape = face_shape_3d(rng, VERSION_PROPORTIONS[self.version])
        outline = forehead_outline_3d(shape[0:17], rng)
        rotation = rotation_matrix(rng.uniform(-self.max_yaw, self.max_yaw), rng.uniform(-self.max_yaw, self.max_yaw) / 2,
                                   rng.uniform(-25, 25))
        scale = min(height, width) * rng.uniform(0.2, 0.34)
        centre = np.array([width, height]) / 2 + rng.normal(0, min(height, width) * 0.05, 2)
        keypoints = project(shape, rotation, scale, centre)
        head = np.concatenate([keypoints[0:17], project(outline, rotation, scale, centre)])
        image = (random_background if self.version == 1 else natural_background)(rng, self.image_hw)
        drawn = draw_face(image, keypoints, head[17:], rng)
        if self.version == 2:
            mask = np.zeros(self.image_hw, np.uint8)
            _fill(mask, _smooth_closed(head), (255,))
            skin_texture(image, mask, rng)
            shade(image, mask, head_relief(mask, keypoints), rng)
        if rng.random() < 0.4:
            add_occluders(image, rng, int(rng.integers(1, 3)))
        face_box = geometry.bbox_of(keypoints, np.ones(68))
        keypoints = scheme_keypoints(self.skeleton.name, keypoints, head, drawn).astype(np.float32)
        visible = np.ones(len(keypoints), dtype=np.float32)
        finished = finish(image, rng)
        if self.version == 2:
            finished = camera_effects(finished, rng)
        return {"image": finished, "keypoints": keypoints, "visible": visible,
                "bbox": geometry.bbox_of(keypoints, visible), "box_size": float(np.sqrt(np.prod(face_box[2:] - face_box[:2])))}


    def _pose(self, rng: np.random.Generator) -> tuple[float, np.ndarray, float, np.ndarray]:
        """(yaw degrees, rotation (3, 3), scale px per face unit, (2,) image centre px) of one face.

        Poses as photographs have them: mostly near frontal, large ones in the tails (normal
        yaw of deviation ``max_yaw / 2`` up to ``max_yaw``, pitch half of that, roll of
        deviation 10 degrees up to 25).
        """
        height, width = self.image_hw
        yaw = float(np.clip(rng.normal(0, self.max_yaw / 2), -self.max_yaw, self.max_yaw))
        pitch = float(np.clip(rng.normal(0, self.max_yaw / 4), -self.max_yaw / 2, self.max_yaw / 2))
        rotation = rotation_matrix(yaw, pitch, float(np.clip(rng.normal(0, 10), -25, 25)))
        scale = min(height, width) * rng.uniform(0.2, 0.34)
        return yaw, rotation, scale, np.array([width, height]) / 2 + rng.normal(0, min(height, width) * 0.05, 2)

    def _draw_mesh(self, rng: np.random.Generator, proportions: dict) -> dict:
        """Versions 3 and 4: the textured, lit 3D head of :mod:`edgelmk.data.head_mesh`, with neck, hair, ears, accessories."""
        shape = face_shape_3d(rng, proportions)
        forehead_3d = forehead_outline_3d(shape[0:17], rng)
        forehead = forehead_3d[:, :2]
        yaw, rotation, scale, centre = self._pose(rng)

        def to_image(points: np.ndarray) -> np.ndarray:
            return project(points, rotation, scale, centre)

        surface = HeadSurface.of_face(shape, _smooth_closed(np.concatenate([shape[0:17], forehead_3d])), rng)
        texture = np.zeros((TEXTURE_SIZE, TEXTURE_SIZE, 3), np.float32)
        drawn = draw_face(texture, to_texture(shape[:, :2], TEXTURE_SIZE), to_texture(forehead, TEXTURE_SIZE), rng)
        head_mask = np.zeros(texture.shape[:2], np.uint8)
        _fill(head_mask, _smooth_closed(to_texture(np.concatenate([shape[0:17, :2], forehead]), TEXTURE_SIZE)), (255,))
        texture[head_mask == 0] = drawn["skin"]  # the mesh's edge samples skin, not black
        draw_details(texture, to_texture(shape[:, :2], TEXTURE_SIZE), drawn["skin"], drawn["hair"], rng)
        skin_texture(texture, np.full(texture.shape[:2], 255, np.uint8), rng)

        image = natural_background(rng, self.image_hw)
        bald = rng.random() < 0.1
        draw_behind_head(image, shape, float(forehead[:, 1].min()), to_image, yaw, drawn["skin"],
                         None if bald else drawn["hair"], rng)
        render_head(image, surface, texture, rotation, to_image, Light.random(rng))

        canonical = shape[:, :2].copy()
        canonical[0:17] = surface.silhouette_jaw(canonical[0:17], to_image)
        face_68 = to_image(surface.lift(canonical))
        if rng.random() < 0.1:
            draw_hat(image, shape, float(forehead[:, 1].min()), to_image, rng)
        if rng.random() < 0.2:
            draw_glasses(image, (face_68[36:42], face_68[42:48]), face_68[[0, 16]], rng)
        if rng.random() < 0.15:
            draw_hand(image, face_68.mean(axis=0), float(np.ptp(face_68[:, 0])), drawn["skin"], rng)
        if rng.random() < 0.25:
            add_occluders(image, rng, 1)
        in_texture = scheme_keypoints(self.skeleton.name, to_texture(canonical, TEXTURE_SIZE),
                                      to_texture(np.concatenate([canonical[0:17], forehead]), TEXTURE_SIZE), drawn)
        keypoints = to_image(surface.lift(from_texture(in_texture, TEXTURE_SIZE))).astype(np.float32)
        visible = np.ones(len(keypoints), dtype=np.float32)
        face_box = geometry.bbox_of(face_68, np.ones(68))
        return {"image": camera_effects(finish(image, rng), rng), "keypoints": keypoints, "visible": visible,
                "bbox": geometry.bbox_of(keypoints, visible),
                "box_size": float(np.sqrt(np.prod(face_box[2:] - face_box[:2])))}


class SyntheticPose(_Procedural):
    """Procedural articulated figures with the 16 MPII joints.

    Args:
        num_samples: dataset length.
        image_hw: (H, W) of each image, pixels.
        seed: base seed; sample i uses the generator seeded by (seed, i).
    """

    summary = "procedural stick people with exact 16-joint MPII keypoints (random poses and clothing)"
    skeleton = MPII

    def _draw(self, rng: np.random.Generator) -> dict:
        height, width = self.image_hw
        size = min(height, width) * rng.uniform(0.55, 0.8)  # person height, pixels
        joints = self._pose(rng, size)
        joints = geometry.apply_affine(joints, geometry.similarity_matrix(
            joints[6], 1.0, rng.uniform(-30, 30), np.array([width, height]) / 2 + rng.normal(0, size * 0.05, 2)))
        image = random_background(rng, self.image_hw)
        self._paint(image, joints, size, rng)
        if rng.random() < 0.3:
            add_occluders(image, rng, 1)
        visible = np.ones(16, dtype=np.float32)
        keypoints = joints.astype(np.float32)
        return {"image": finish(image, rng), "keypoints": keypoints, "visible": visible,
                "bbox": geometry.bbox_of(keypoints, visible)}

    @staticmethod
    def _pose(rng: np.random.Generator, size: float) -> np.ndarray:
        """(16, 2) joints, pelvis at the origin, y down; angles in radians from straight down."""
        joints = np.zeros((16, 2))
        unit = size / 7.5

        def limb(start: np.ndarray, angle: float, length: float) -> np.ndarray:
            return start + length * np.array([np.sin(angle), np.cos(angle)])

        lean = rng.normal(0, 0.15)
        joints[7] = limb(joints[6], np.pi + lean, 2.6 * unit)   # thorax
        joints[8] = limb(joints[7], np.pi + lean + rng.normal(0, 0.15), 0.5 * unit)  # upper neck
        joints[9] = limb(joints[8], np.pi + lean + rng.normal(0, 0.2), 1.1 * unit)   # head top
        for side, (hip, knee, ankle, shoulder, elbow, wrist) in ((-1, (2, 1, 0, 12, 11, 10)),
                                                                  (1, (3, 4, 5, 13, 14, 15))):
            joints[hip] = joints[6] + [side * 0.55 * unit, 0.15 * unit]
            thigh = side * rng.uniform(0, 0.4) + rng.normal(0, 0.35)  # spread plus a swing
            joints[knee] = limb(joints[hip], thigh, 1.9 * unit)
            joints[ankle] = limb(joints[knee], thigh + rng.uniform(-1.2, 0.3), 1.8 * unit)
            joints[shoulder] = joints[7] + [side * 0.8 * unit, 0.1 * unit]
            upper_arm = side * rng.uniform(-0.2, 2.8)
            joints[elbow] = limb(joints[shoulder], upper_arm, 1.3 * unit)
            joints[wrist] = limb(joints[elbow], upper_arm + side * rng.uniform(-0.5, 2.2), 1.2 * unit)
        return joints

    @staticmethod
    def _paint(image: np.ndarray, joints: np.ndarray, size: float, rng: np.random.Generator) -> None:
        cv2 = optional.cv2()
        shirt, trousers = _colour(rng, [0] * 3, [255] * 3), _colour(rng, [0] * 3, [255] * 3)
        skin = tuple(_skin(rng))
        width = size * rng.uniform(0.05, 0.08)
        torso = joints[[12, 13, 3, 2]]
        _fill(image, torso, shirt)
        parts = [((2, 1), trousers), ((1, 0), trousers), ((3, 4), trousers), ((4, 5), trousers),
                 ((12, 11), shirt), ((11, 10), skin), ((13, 14), shirt), ((14, 15), skin), ((7, 8), skin)]
        for index in rng.permutation(len(parts)):
            (a, b), colour = parts[index]
            cv2.line(image, tuple(to_fixed(joints[a])), tuple(to_fixed(joints[b])), colour, int(width), cv2.LINE_AA,
                     SUBPIXEL_BITS)
        head_centre = (joints[8] + joints[9]) / 2
        radius = np.linalg.norm(joints[9] - joints[8]) / 2
        cv2.circle(image, tuple(to_fixed(head_centre)), int(radius * SUBPIXEL), skin, -1, cv2.LINE_AA, SUBPIXEL_BITS)


def write_300w_layout(dataset: SyntheticFaces, out_dir: str | Path, count: int,
                      progress: Callable[[int], None] | None = None) -> Path:
    """Write ``count`` samples as PNG images with 1-based ``.pts`` files (300W's native layout).

    Returns:
        The folder written (``out_dir``), readable by the ``300w`` reader with ``split: all``.
    """
    from edgelmk.data.formats.w300 import write_pts

    out_dir = Path(out_dir)
    for index in range(count):
        sample = dataset[index]
        stem = out_dir / f"synthetic_{index:06d}"
        write_png(stem.with_suffix(".png"), sample["image"])
        write_pts(stem.with_suffix(".pts"), sample["keypoints"])
        if progress:
            progress(1)
    return out_dir
