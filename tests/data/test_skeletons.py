import json

import numpy as np
import pytest

from edgelmk.data.skeletons import (SKELETONS, skeleton_for, skeleton_from, skeleton_of_sidecar,
                                    skeleton_with_keypoints)

FACE_FIXTURES = {"300w": "300w/test_300w.json", "wflw": "wflw/test_wflw.json", "cofw": "cofw/test_cofw.json",
                 "aflw": "aflw/test_aflw.json"}


@pytest.mark.parametrize("name", SKELETONS)
def test_flip_index_is_an_involution_and_lines_are_in_range(name):
    skeleton = SKELETONS[name]
    index = skeleton.flip_index
    assert sorted(index) == list(range(skeleton.num_keypoints))
    np.testing.assert_array_equal(index[index], np.arange(skeleton.num_keypoints))
    assert len(set(skeleton.keypoint_names)) == skeleton.num_keypoints
    assert all(0 <= a < skeleton.num_keypoints and 0 <= b < skeleton.num_keypoints for a, b in skeleton.lines)


@pytest.mark.parametrize("name, count", [("300w", 68), ("wflw", 98), ("cofw", 29), ("aflw", 19), ("mpii", 16),
                                         ("coco", 17)])
def test_keypoint_counts(name, count):
    assert skeleton_for(name).num_keypoints == count


def similarity_residual(source, target):
    """Mean distance left after the best rotation + scale + shift of source onto target, over target size."""
    a, b = source - source.mean(axis=0), target - target.mean(axis=0)
    u, singular, vt = np.linalg.svd(a.T @ b)
    if np.linalg.det(u @ vt) < 0:  # a rotation, not a reflection
        u[:, -1] *= -1
        singular[-1] *= -1
    scale = singular.sum() / (a ** 2).sum()
    return np.linalg.norm(scale * a @ u @ vt - b, axis=1).mean() / np.ptp(target, axis=0).max()


@pytest.mark.parametrize("name", FACE_FIXTURES)
def test_flip_pairs_match_real_faces(fixtures_dir, name):
    # A mirrored face with its keypoints swapped by the flip permutation is again a face of the
    # same layout: after aligning it by a similarity, only the face's own asymmetry is left.
    # With the keypoints not swapped, left and right features sit on the wrong sides.
    skeleton = SKELETONS[name]
    annotations = json.loads((fixtures_dir / "mmpose" / FACE_FIXTURES[name]).read_text())["annotations"]
    for annotation in annotations:
        points = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
        mirrored = points * [-1, 1]
        permuted = similarity_residual(mirrored[skeleton.flip_index], points)
        assert permuted < 0.1 and permuted < similarity_residual(mirrored, points) / 2  # 0.1: yawed faces


@pytest.mark.parametrize("name, pair", [("300w", (36, 45)), ("wflw", (60, 72)), ("cofw", (16, 17))])
def test_nme_normalizers_are_outer_eye_corners_or_pupils(name, pair):
    assert skeleton_for(name).normalizer == ("keypoints", pair)
    assert skeleton_for("aflw").normalizer == "box_size" and skeleton_for("mpii").normalizer == "head"


def test_lookup_errors():
    with pytest.raises(KeyError, match="no skeleton named 'lfpw'"):
        skeleton_for("lfpw")
    with pytest.raises(ValueError, match="no face layout has 5 keypoints"):
        skeleton_with_keypoints(5)
    assert skeleton_with_keypoints(98).name == "wflw"


# --- declared schemes (a user's own points) ------------------------------------------------------------


def test_a_declared_scheme_builds_a_skeleton():
    skeleton = skeleton_from({"name": "leaf", "keypoints": ["tip", "left", "right", "stem"],
                              "flip_pairs": [[1, 2]], "normalizer": [0, 3], "lines": [[0, 1], [0, 2]]})
    assert skeleton.num_keypoints == 4 and skeleton.name == "leaf" and skeleton.normalizer == ("keypoints", (0, 3))
    np.testing.assert_array_equal(skeleton.flip_index, [0, 2, 1, 3])
    assert skeleton_from({"keypoints": 3}).keypoint_names == ("point_0", "point_1", "point_2")
    assert skeleton_from("cofw") is SKELETONS["cofw"]
    assert skeleton.flip_declared and skeleton_from({"keypoints": 3, "flip_pairs": []}).flip_declared
    assert not skeleton_from({"keypoints": 3}).flip_declared


def test_a_scheme_round_trips_through_the_export_sidecar():
    declared = skeleton_from({"name": "leaf", "keypoints": 4, "flip_pairs": [[1, 2]], "normalizer": "box_size"})
    sidecar = {"skeleton": "leaf", "names": list(declared.keypoint_names), "flip_pairs": [[1, 2]], "lines": []}
    assert skeleton_of_sidecar(sidecar).flip_pairs == declared.flip_pairs
    for flip_declared in (True, False):
        unswapped = {**sidecar, "flip_pairs": [], "flip_declared": flip_declared}
        assert skeleton_of_sidecar(unswapped).flip_declared is flip_declared
    assert skeleton_of_sidecar({"skeleton": "cofw", "names": list(SKELETONS["cofw"].keypoint_names),
                                "flip_pairs": []}) is SKELETONS["cofw"]


@pytest.mark.parametrize("spec, match", [
    ({"keypoints": 5, "flip_pairs": [[0, 7]]}, r"flip_pairs\[0\] = \[0, 7\] refers to keypoint 7.*has 5: indices 0..4"),
    ({"keypoints": 5, "flip_pairs": [[0, 1], [1, 2]]}, "a keypoint appears in two pairs"),
    ({"keypoints": 5, "flip_pairs": [0, 1]}, r"flip_pairs\[0\] must be a pair"),
    ({"keypoints": 5, "normalizer": [2, 2]}, "two different keypoints"),
    ({"keypoints": 5, "normalizer": "eyes"}, r"normalizer must be \[i, j\]"),
    ({"keypoints": 0}, "at least 1"),
    ({"keypoints": ["a", "a"]}, "distinct; repeated: \\['a'\\]"),
    ({"flip_pairs": []}, "needs 'keypoints'"),
    ({"keypoints": 3, "flips": []}, "unknown scheme key 'flips'"),
    ("lfpw", "no skeleton named 'lfpw'.*declare your own scheme"),
    (29, "a built-in name .* or a mapping"),
])
def test_declared_scheme_errors_name_the_key_and_the_fix(spec, match):
    with pytest.raises(ValueError, match=match):
        skeleton_from(spec)


def test_wflw_to_300w_picks_the_points_a_face_drawn_in_both_schemes_shares():
    from edgelmk.data import DATASETS
    from edgelmk.data.skeletons import WFLW_TO_300W

    config = {"name": "synthetic_faces", "num_samples": 2, "image_hw": [96, 96], "seed": 4}
    w300, wflw = DATASETS.build(config)[1], DATASETS.build({**config, "skeleton": "wflw"})[1]
    distance = np.linalg.norm(wflw["keypoints"][list(WFLW_TO_300W)] - w300["keypoints"], axis=1)
    brows = np.arange(17, 27)
    np.testing.assert_array_equal(np.delete(distance, brows), 0)  # jaw, nose, eyes, lips: the same points
    assert (distance[brows] < 3).all()  # the generator draws 300W's brow points mid-brow, WFLW's on its edge


@pytest.mark.parametrize("version", [1, 4])
def test_cofw_shared_with_300w_pairs_points_a_face_drawn_in_both_schemes_places_alike(version):
    from edgelmk.data import DATASETS
    from edgelmk.data.skeletons import COFW_SHARED_WITH_300W

    config = {"name": "synthetic_faces", "num_samples": 2, "image_hw": [96, 96], "seed": 4, "version": version}
    w300, cofw = DATASETS.build(config)[1], DATASETS.build({**config, "skeleton": "cofw"})[1]
    cofw_index, w300_index = (list(side) for side in zip(*COFW_SHARED_WITH_300W))
    distance = np.linalg.norm(cofw["keypoints"][cofw_index] - w300["keypoints"][w300_index], axis=1)
    np.testing.assert_array_equal(distance[2:], 0)  # eyes, nose, lips, chin: the same points
    assert (distance[:2] < 3).all()  # brow tops: COFW's on the brow's edge, 300W's mid-brow
