"""Keypoint layouts of the supported datasets: names, flip pairs, drawing lines, NME normaliser.

Flip pairs are the keypoints that swap under a horizontal flip; a keypoint on the symmetry
axis maps to itself. Facts are cited per dataset; the flip correspondences agree with
mmpose's dataset metadata (configs/_base_/datasets/*.py), checked when this was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from edgelmk.flip import flip_permutation, sidecar_declares_flips


def chain(indices: Iterable[int], closed: bool = False) -> list[tuple[int, int]]:
    """Lines joining consecutive keypoints (and the last to the first when ``closed``)."""
    indices = list(indices)
    lines = list(zip(indices[:-1], indices[1:]))
    return lines + [(indices[-1], indices[0])] if closed else lines


def mirrored(left: Iterable[int], right: Iterable[int]) -> list[tuple[int, int]]:
    """Flip pairs from two index runs that mirror each other element by element."""
    return list(zip(left, right))


@dataclass(frozen=True)
class Skeleton:
    """One dataset's keypoint layout.

    Attributes:
        name: dataset name (the key of :data:`SKELETONS`).
        keypoint_names: K names, index order of the annotations.
        flip_pairs: (i, j) pairs swapped by a horizontal flip.
        flip_declared: whether the scheme says which points a flip swaps (every built-in one does; a
            declared scheme without ``flip_pairs`` does not, and gets no flips or flip test).
        lines: (i, j) pairs drawn as lines in visualisations.
        normalizer: how NME is normalised: ``("keypoints", (i, j))`` for the distance between
            two keypoints, ``"box_size"`` for the face box size, ``"head"`` for PCKh's head box,
            ``None`` where NME is not the metric (COCO uses OKS).
    """

    name: str
    keypoint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    lines: tuple[tuple[int, int], ...]
    normalizer: object = None
    flip_declared: bool = True
    flip_index: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "flip_index", flip_permutation(self.flip_pairs, len(self.keypoint_names)))

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoint_names)


def _numbered(prefix: str, count: int) -> list[str]:
    return [f"{prefix}_{i}" for i in range(count)]


# 300W, 68 points (Sagonas et al., "300 Faces In-the-Wild Challenge", ICCV-W 2013; Multi-PIE
# markup, https://ibug.doc.ic.ac.uk/resources/300-W/). "right" is the subject's right (image left).
# NME normaliser: outer eye corners 36 and 45 ("inter-ocular", as in the 300-W challenge).
W300 = Skeleton(
    name="300w",
    keypoint_names=tuple(
        _numbered("jaw", 17) + _numbered("right_brow", 5) + _numbered("left_brow", 5) + _numbered("nose_bridge", 4)
        + _numbered("nose_base", 5) + _numbered("right_eye", 6) + _numbered("left_eye", 6)
        + _numbered("outer_lip", 12) + _numbered("inner_lip", 8)
    ),
    flip_pairs=tuple(
        mirrored(range(0, 8), range(16, 8, -1)) + mirrored(range(17, 22), range(26, 21, -1))
        + mirrored([31, 32], [35, 34]) + mirrored([36, 37, 38, 39, 40, 41], [45, 44, 43, 42, 47, 46])
        + mirrored([48, 49, 50, 55, 56, 60, 61, 65], [54, 53, 52, 59, 58, 64, 63, 67])
    ),
    lines=tuple(
        chain(range(0, 17)) + chain(range(17, 22)) + chain(range(22, 27)) + chain(range(27, 31))
        + chain(range(31, 36)) + chain(range(36, 42), closed=True) + chain(range(42, 48), closed=True)
        + chain(range(48, 60), closed=True) + chain(range(60, 68), closed=True)
    ),
    normalizer=("keypoints", (36, 45)),
)

# WFLW, 98 points (Wu et al., "Look at Boundary", CVPR 2018, https://wywu.github.io/projects/LAB/WFLW.html).
# NME normaliser: outer eye corners 60 and 72 (the paper's inter-ocular distance).
WFLW = Skeleton(
    name="wflw",
    keypoint_names=tuple(
        _numbered("contour", 33) + _numbered("right_brow", 9) + _numbered("left_brow", 9)
        + _numbered("nose_bridge", 4) + _numbered("nose_base", 5) + _numbered("right_eye", 8)
        + _numbered("left_eye", 8) + _numbered("outer_lip", 12) + _numbered("inner_lip", 8)
        + ["right_pupil", "left_pupil"]
    ),
    flip_pairs=tuple(
        mirrored(range(0, 16), range(32, 16, -1)) + mirrored(range(33, 38), range(46, 41, -1))
        + mirrored(range(38, 42), range(50, 46, -1)) + mirrored([55, 56], [59, 58])
        + mirrored(range(60, 65), range(72, 67, -1)) + mirrored([65, 66, 67], [75, 74, 73])
        + mirrored([76, 77, 78, 83, 84, 88, 89, 93, 96], [82, 81, 80, 87, 86, 92, 91, 95, 97])
    ),
    lines=tuple(
        chain(range(0, 33)) + chain(range(33, 42), closed=True) + chain(range(42, 51), closed=True)
        + chain(range(51, 55)) + chain(range(55, 60)) + chain(range(60, 68), closed=True)
        + chain(range(68, 76), closed=True) + chain(range(76, 88), closed=True) + chain(range(88, 96), closed=True)
    ),
    normalizer=("keypoints", (60, 72)),
)

# COFW, 29 points (Burgos-Artizzu et al., "Robust face landmark estimation under occlusion", ICCV 2013,
# the LFPW 29-point markup). NME normaliser: the two pupils, 16 and 17 (inter-pupil distance).
COFW = Skeleton(
    name="cofw",
    keypoint_names=(
        "right_brow_outer", "left_brow_outer", "right_brow_inner", "left_brow_inner",
        "right_brow_top", "right_brow_bottom", "left_brow_top", "left_brow_bottom",
        "right_eye_outer", "left_eye_outer", "right_eye_inner", "left_eye_inner",
        "right_eye_top", "right_eye_bottom", "left_eye_top", "left_eye_bottom",
        "right_pupil", "left_pupil", "right_nostril", "left_nostril", "nose_top", "nose_bottom",
        "right_mouth_corner", "left_mouth_corner", "upper_lip_top", "upper_lip_bottom",
        "lower_lip_top", "lower_lip_bottom", "chin",
    ),
    flip_pairs=tuple(mirrored([0, 2, 4, 5, 8, 10, 12, 13, 16, 18, 22], [1, 3, 6, 7, 9, 11, 14, 15, 17, 19, 23])),
    lines=((0, 4), (4, 2), (2, 5), (5, 0), (1, 6), (6, 3), (3, 7), (7, 1), (8, 12), (12, 10), (10, 13), (13, 8),
           (9, 14), (14, 11), (11, 15), (15, 9), (20, 21), (18, 21), (21, 19), (22, 24), (24, 23), (23, 27),
           (27, 22), (25, 26)),
    normalizer=("keypoints", (16, 17)),
)

# AFLW, 19 points (Koestinger et al., AFLW, ICCV-W 2011; the 19-point release of Zhu et al.,
# "Unconstrained Face Alignment via Cascaded Compositional Learning" (CFSS), CVPR 2016).
# NME normaliser: the face box size (as in CFSS, SAN, HRNet).
AFLW = Skeleton(
    name="aflw",
    keypoint_names=(
        "right_brow_outer", "right_brow_centre", "right_brow_inner", "left_brow_inner", "left_brow_centre",
        "left_brow_outer", "right_eye_outer", "right_eye_centre", "right_eye_inner", "left_eye_inner",
        "left_eye_centre", "left_eye_outer", "right_nose", "nose_tip", "left_nose", "right_mouth_corner",
        "mouth_centre", "left_mouth_corner", "chin",
    ),
    flip_pairs=tuple(mirrored([0, 1, 2, 6, 7, 8, 12, 15], [5, 4, 3, 11, 10, 9, 14, 17])),
    lines=tuple(chain(range(0, 3)) + chain(range(3, 6)) + chain(range(6, 9)) + chain(range(9, 12))
                + chain(range(12, 15)) + chain(range(15, 18))),
    normalizer="box_size",
)

# MPII Human Pose, 16 joints (Andriluka et al., CVPR 2014, http://human-pose.mpi-inf.mpg.de/).
# PCKh: head size = 0.6 x head-box diagonal; the total leaves out pelvis (6) and thorax (7).
MPII = Skeleton(
    name="mpii",
    keypoint_names=(
        "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis", "thorax",
        "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder",
        "left_elbow", "left_wrist",
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)),
    lines=((0, 1), (1, 2), (2, 6), (6, 3), (3, 4), (4, 5), (6, 7), (7, 8), (8, 9), (10, 11), (11, 12), (12, 7),
           (7, 13), (13, 14), (14, 15)),
    normalizer="head",
)

# COCO person keypoints, 17 (Lin et al., ECCV 2014, https://cocodataset.org/#keypoints-2017);
# the lines are the skeleton of the annotation files' "person" category (1-based there).
COCO = Skeleton(
    name="coco",
    keypoint_names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
        "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
        "left_ankle", "right_ankle",
    ),
    flip_pairs=tuple((i, i + 1) for i in range(1, 17, 2)),
    lines=tuple((a - 1, b - 1) for a, b in (
        (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9), (8, 10),
        (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7))),
    normalizer=None,
)

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (W300, WFLW, COFW, AFLW, MPII, COCO)}

#: for each of 300W's 68 points, the WFLW point annotated at the same place (the usual correspondence):
#: every other contour point, the upper brow edges, the nose, the eyes without WFLW's lid midpoints, the lips
WFLW_TO_300W = (tuple(range(0, 33, 2)) + tuple(range(33, 38)) + tuple(range(42, 47)) + tuple(range(51, 60))
                + (60, 61, 63, 64, 65, 67, 68, 69, 71, 72, 73, 75) + tuple(range(76, 96)))

#: (COFW point, 300W point) pairs that the two schemes annotate at the same place: the brow tops, eye corners,
#: nose tip and base, mouth corners, lip midpoints and chin. Left out: the brow ends and nostrils, which
#: LFPW's markup places differently (dlib's pretrained 300W model on helen29's photos lands 0.04 to 0.07
#: inter-ocular off them on average against 0.03 to 0.05 on these, chin 0.07).
COFW_SHARED_WITH_300W = ((4, 19), (6, 24), (8, 36), (9, 45), (10, 39), (11, 42), (20, 30), (21, 33), (22, 48),
                         (23, 54), (24, 51), (25, 62), (26, 66), (27, 57), (28, 8))


def skeleton_for(name: str) -> Skeleton:
    """The skeleton of a dataset name; a KeyError listing the known names otherwise."""
    if name not in SKELETONS:
        raise KeyError(f"no skeleton named {name!r}; known: {', '.join(SKELETONS)}")
    return SKELETONS[name]


def skeleton_with_keypoints(count: int) -> Skeleton:
    """The face skeleton with ``count`` keypoints (68, 98, 29, 19), for files that do not name theirs."""
    faces = [s for s in (W300, WFLW, COFW, AFLW) if s.num_keypoints == count]
    if not faces:
        raise ValueError(f"no face layout has {count} keypoints; known: 68 (300w), 98 (wflw), 29 (cofw), 19 (aflw)")
    return faces[0]


SCHEME_KEYS = ("name", "keypoints", "flip_pairs", "normalizer", "lines")


def _index_pairs(value: object, key: str, count: int) -> list[tuple[int, int]]:
    """``[[i, j], ...]`` checked against ``count`` keypoints; ValueError naming the bad entry."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{key} must be a list of [i, j] index pairs, got {value!r}")
    pairs = []
    for number, pair in enumerate(value):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in pair)):
            raise ValueError(f"{key}[{number}] must be a pair of keypoint indices like [0, 1], got {pair!r}")
        missing = [i for i in pair if not 0 <= i < count]
        if missing:
            raise ValueError(f"{key}[{number}] = {list(pair)} refers to keypoint {missing[0]}, which the scheme "
                             f"does not have (it has {count}: indices 0..{count - 1})")
        pairs.append((int(pair[0]), int(pair[1])))
    return pairs


def skeleton_from(spec: object) -> Skeleton:
    """A built-in skeleton by name, or a landmark scheme declared in a recipe.

    A declared scheme is a mapping::

        keypoints: 12                     # how many points, or their names: [left_tip, right_tip, ...]
        flip_pairs: [[0, 1], [2, 3]]      # the points a horizontal flip swaps ([]: each point is its own
                                          #   mirror image; a recipe that flips must say so)
        normalizer: [0, 1]                # NME divides by the distance of these two points; or box_size
                                          #   (the samples' box_size), or omit it: the diagonal of the
                                          #   landmarks' box
        lines: [[0, 2], [2, 1]]           # drawn by predict (default: none)
        name: my_points                   # shown in messages and the export sidecar (default: custom)

    Raises:
        ValueError: naming the key that is wrong (a flip pair with a missing point, a count
            that is not positive, ...).
    """
    if isinstance(spec, str):
        try:
            return skeleton_for(spec)
        except KeyError as error:
            raise ValueError(str(error).strip("'\"") + ", or declare your own scheme as a mapping with keypoints, "
                             "flip_pairs and normalizer") from None
    if not isinstance(spec, dict):
        raise ValueError(f"a landmark scheme is a built-in name ({', '.join(SKELETONS)}) or a mapping with "
                         f"keypoints, flip_pairs and normalizer; got {spec!r}")
    unknown = [key for key in spec if key not in SCHEME_KEYS]
    if unknown:
        raise ValueError(f"unknown scheme key {unknown[0]!r}; known: {', '.join(SCHEME_KEYS)}")
    if "keypoints" not in spec:
        raise ValueError("a declared scheme needs 'keypoints': the number of points or the list of their names")
    names = spec["keypoints"]
    if isinstance(names, int) and not isinstance(names, bool):
        if names < 1:
            raise ValueError(f"keypoints must be at least 1, got {names}")
        names = _numbered("point", names)
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"keypoints must be a positive count or a list of names, got {spec['keypoints']!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"keypoint names must be distinct; repeated: {sorted({n for n in names if names.count(n) > 1})}")
    count = len(names)
    flip_pairs = _index_pairs(spec.get("flip_pairs", []), "flip_pairs", count)
    flipped = [i for pair in flip_pairs for i in pair]
    if len(set(flipped)) != len(flipped):
        raise ValueError("flip_pairs: a keypoint appears in two pairs; each point swaps with at most one other")
    normalizer = spec.get("normalizer")
    if isinstance(normalizer, (list, tuple)):
        first, second = _index_pairs([normalizer], "normalizer", count)[0]
        if first == second:
            raise ValueError("normalizer must name two different keypoints")
        normalizer = ("keypoints", (first, second))
    elif normalizer not in (None, "box_size"):
        raise ValueError(f"normalizer must be [i, j] (two keypoint indices), box_size, or left out; got {normalizer!r}")
    name = spec.get("name", "custom")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    return Skeleton(name=name, keypoint_names=tuple(names), flip_pairs=tuple(flip_pairs),
                    lines=tuple(_index_pairs(spec.get("lines", []), "lines", count)), normalizer=normalizer,
                    flip_declared="flip_pairs" in spec)


def skeleton_of_sidecar(keypoints: dict) -> Skeleton:
    """The skeleton an exported model's sidecar ``keypoints`` section describes (built in or declared)."""
    built_in = SKELETONS.get(keypoints["skeleton"])
    if built_in is not None and list(built_in.keypoint_names) == list(keypoints["names"]):
        return built_in
    flips = {"flip_pairs": keypoints["flip_pairs"]} if sidecar_declares_flips(keypoints) else {}
    return skeleton_from({"name": keypoints["skeleton"], "keypoints": list(keypoints["names"]),
                          "lines": keypoints.get("lines", []), **flips})
