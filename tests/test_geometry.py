import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgelmk import geometry
from tests.helpers import optional_import

sizes = st.integers(1, 512)
coords = st.floats(-1000, 1000, allow_nan=False)


def test_image_to_heatmap_maps_pixel_areas_onto_each_other():
    # input 256 wide, heatmap 16 wide: stride 16. The image's left edge -0.5 maps to the
    # heatmap's left edge -0.5; the centre of input pixels 0..15 (7.5) to heatmap pixel 0.
    xy = np.array([[-0.5, -0.5], [7.5, 7.5], [255.5, 255.5], [127.5, 7.5]])
    out = geometry.image_to_heatmap(xy, (256, 256), (16, 16))
    np.testing.assert_allclose(out, [[-0.5, -0.5], [0, 0], [15.5, 15.5], [7.5, 0]])


def test_image_to_heatmap_uses_separate_strides_per_axis():
    out = geometry.image_to_heatmap(np.array([[3.5, 1.5]]), (64, 128), (16, 16))  # stride x 8, y 4
    np.testing.assert_allclose(out, [[0.0, 0.0]])


@given(coords, coords, sizes, sizes, sizes, sizes)
def test_heatmap_round_trip(x, y, h_in, w_in, h_hm, w_hm):
    xy = np.array([x, y])
    back = geometry.heatmap_to_image(geometry.image_to_heatmap(xy, (h_in, w_in), (h_hm, w_hm)), (h_in, w_in),
                                     (h_hm, w_hm))
    np.testing.assert_allclose(back, xy, atol=1e-9)


def test_normalized_matches_the_dsnt_formula_and_pixel_centres():
    np.testing.assert_allclose(geometry.pixel_to_normalized(np.array([[0.0, 0.0], [3.0, 1.0]]), (2, 4)),
                               [[-0.75, -0.5], [0.75, 0.5]])
    np.testing.assert_allclose(geometry.pixel_to_normalized(np.array([-0.5, 3.5]), (4, 4)), [-1, 1])


@given(coords, coords, sizes, sizes)
def test_normalized_round_trip(x, y, h, w):
    xy = np.array([x, y])
    np.testing.assert_allclose(geometry.normalized_to_pixel(geometry.pixel_to_normalized(xy, (h, w)), (h, w)), xy,
                               atol=1e-9)


@given(st.floats(-0.9, 0.9), sizes, sizes)
def test_normalized_is_the_same_in_image_and_heatmap_pixels(u, w_in, w_hm):
    x_image = geometry.normalized_to_pixel(np.array([u, u]), (w_in, w_in))
    x_heatmap = geometry.image_to_heatmap(x_image, (w_in, w_in), (w_hm, w_hm))
    np.testing.assert_allclose(geometry.pixel_to_normalized(x_heatmap, (w_hm, w_hm)), [u, u], atol=1e-9)


def test_inside_image_includes_the_border_half_pixel_and_rejects_nan():
    xy = np.array([[-0.5, 0], [-0.51, 0], [9.5, 4.5], [9.5, 4.6], [np.nan, 1]])
    assert geometry.inside_image(xy, (5, 10)).tolist() == [True, False, True, False, False]


@pytest.mark.parametrize("bad", [(0, 4), (4,), (4, 4, 4), (2.5, 4), ("a", 4), (True, 4), 7, None])
def test_as_hw_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="pair \\[H, W\\] of positive integers"):
        geometry.as_hw(bad, "size_hw")


def test_as_hw_accepts_integer_like_values():
    assert geometry.as_hw([np.int64(3), 4.0]) == (3, 4)


def test_similarity_matrix_matches_opencv():
    cv2 = optional_import("cv2")
    ours = geometry.similarity_matrix((30.0, 40.0), 1.7, 25.0, (30.0, 40.0))
    theirs = cv2.getRotationMatrix2D((30.0, 40.0), 25.0, 1.7)
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_similarity_matrix_maps_centre_to_output_centre():
    matrix = geometry.similarity_matrix((10.0, 20.0), 2.0, 90.0, (64.0, 64.0))
    np.testing.assert_allclose(geometry.apply_affine(np.array([[10.0, 20.0], [11.0, 20.0]]), matrix),
                               [[64, 64], [64, 62]], atol=1e-12)  # +x turns to -y (counter-clockwise)


def test_similarity_matrix_rejects_non_positive_scale():
    with pytest.raises(ValueError, match="scale"):
        geometry.similarity_matrix((0, 0), 0.0, 0.0, (0, 0))


def test_apply_affine_per_sample_matrices():
    keypoints = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    shift = np.zeros((2, 2, 3))
    shift[:, :, :2] = np.eye(2)
    shift[0, :, 2] = [1, 2]
    shift[1, :, 2] = [-1, -2]
    out = geometry.apply_affine(keypoints, shift)
    np.testing.assert_allclose(out[0], keypoints[0] + [1, 2])
    np.testing.assert_allclose(out[1], keypoints[1] - [1, 2])


def test_apply_affine_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="per-sample matrices"):
        geometry.apply_affine(np.zeros((3, 5, 2)), np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="affine matrix must have shape"):
        geometry.apply_affine(np.zeros((3, 5, 2)), np.eye(3))


@given(st.floats(0.1, 10), st.floats(-180, 180), coords, coords)
def test_invert_and_compose_affine(scale, angle, x, y):
    matrix = geometry.similarity_matrix((x, y), scale, angle, (5.0, -7.0))
    identity = geometry.compose_affine(matrix, geometry.invert_affine(matrix))
    np.testing.assert_allclose(identity, [[1, 0, 0], [0, 1, 0]], atol=1e-6)
    points = np.array([[[x, y], [1.0, 2.0]]])
    np.testing.assert_allclose(geometry.apply_affine(geometry.apply_affine(points, matrix),
                                                     geometry.invert_affine(matrix)), points, atol=1e-6)


def test_invert_affine_rejects_singular_matrix():
    with pytest.raises(ValueError, match="singular"):
        geometry.invert_affine(np.zeros((2, 3)))
