import numpy as np
import pytest

from edgelmk.data.head_mesh import SPOKES, HeadSurface, Light, from_texture, render_head, texture_grid, to_texture
from edgelmk.data.synthetic import _smooth_closed, face_shape_3d, forehead_outline_3d, project, rotation_matrix
from tests.helpers import optional_import

optional_import("cv2")


def head(seed: int = 0):
    rng = np.random.default_rng(seed)
    shape = face_shape_3d(rng)
    outline = _smooth_closed(np.concatenate([shape[0:17], forehead_outline_3d(shape[0:17], rng)]))
    return shape, HeadSurface.of_face(shape, outline, rng)


def camera(yaw: float):
    rotation = rotation_matrix(yaw, 0, 0)
    return rotation, (lambda points: project(points, rotation, 40.0, np.array([64.0, 64.0])))


def flat_light():
    return Light(np.array([0.0, 0.0, 1.0]), ambient=1.0, gain=1.0, specular=0.0, shininess=1.0)


def test_the_surface_falls_to_its_edge_at_the_outline_and_the_mesh_edge_is_the_outline():
    shape, surface = head()
    np.testing.assert_allclose(surface.height(surface.outline), surface.edge_z, atol=1e-9)
    assert surface.height(shape[30:31, :2])[0] > surface.height(shape[2:3, :2] * 0.6)[0] > surface.edge_z[2]
    assert surface.height(shape[8:9, :2])[0] > surface.height(shape[0:1, :2])[0] + 0.3  # chin forward, temples back
    vertices, triangles = surface.mesh
    assert triangles.min() == 0 and triangles.max() == len(vertices) - 1
    np.testing.assert_allclose(surface.radius(vertices[-SPOKES:]), 1.0, atol=1e-3)
    # lifted points lie on the mesh: its vertices exactly on the surface, other points near it
    np.testing.assert_allclose(surface.lift(vertices)[:, 2], surface.height(vertices), atol=1e-9)
    assert np.abs(surface.lift(shape[:, :2])[:, 2] - surface.height(shape[:, :2])).max() < 0.08


def test_texture_coordinates_round_trip():
    points = np.random.default_rng(1).uniform(-1, 1, (20, 2))
    np.testing.assert_allclose(from_texture(to_texture(points, 160), 160), points)
    np.testing.assert_allclose(to_texture(texture_grid(8), 8)[2, 5], [5, 2])


def render(surface, texture, yaw):
    rotation, to_image = camera(yaw)
    image = np.zeros((128, 128, 3), np.float32)
    render_head(image, surface, texture, rotation, to_image, flat_light())
    return image, to_image


def test_a_landmark_lands_on_its_own_texel():
    # a red dot painted in the texture at the nose tip and at an eye corner is rendered where those
    # landmarks project: the landmarks move with the skin
    import cv2

    shape, surface = head(2)
    texture = np.full((160, 160, 3), 200, np.float32)
    for point in shape[[30, 36]]:
        cv2.circle(texture, tuple(int(v) for v in np.round(to_texture(point[:2], 160))), 3, (255, 0, 0), -1)
    for yaw in (0, 30):
        image, to_image = render(surface, texture, yaw)
        for point in to_image(surface.lift(shape[[30, 36], :2])):
            x, y = np.round(point).astype(int)
            assert image[y, x, 0] > 240 and image[y, x, 1] < 40, (yaw, point)


def test_jaw_points_slide_to_the_silhouette_under_yaw_and_stay_put_when_frontal():
    shape, surface = head(3)
    jaw = shape[0:17, :2]
    _, frontal = camera(0)
    # frontal, the outline is the silhouette (up to the camera's perspective: nearer points look larger)
    assert np.abs(surface.silhouette_jaw(jaw, frontal) - jaw).max() < 0.04
    texture = np.full((160, 160, 3), 255, np.float32)
    for yaw in (35, -35):
        image, to_image = render(surface, texture, yaw)
        moved = surface.silhouette_jaw(jaw, to_image)
        shifted = np.linalg.norm(moved - jaw, axis=1) > 0.04
        assert 2 <= shifted.sum() <= 12  # the far side's points, not the near side's
        centre = to_image(surface.lift(surface.centre[None]))[0]
        for point in to_image(surface.lift(moved)):  # every jaw point on the drawn face's edge
            outward = (point - centre) / np.linalg.norm(point - centre)
            inside, outside = np.round(point - 2 * outward).astype(int), np.round(point + 2 * outward).astype(int)
            assert image[inside[1], inside[0], 0] > 200 and image[outside[1], outside[0], 0] < 128


@pytest.mark.parametrize("scheme", ["300w", "cofw", "wflw", "aflw"])
def test_version_3_is_deterministic_and_its_points_lie_on_the_drawn_face(scheme):
    from edgelmk.data import DATASETS

    config = {"name": "synthetic_faces", "num_samples": 4, "image_hw": [96, 96], "seed": 6, "version": 3,
              "skeleton": scheme}
    faces, again = DATASETS.build(config), DATASETS.build({**config, "num_samples": 40})
    for index in range(4):
        sample = faces[index]
        np.testing.assert_array_equal(sample["image"], again[index]["image"])
        np.testing.assert_array_equal(sample["keypoints"], again[index]["keypoints"])
        assert sample["image"].shape == (96, 96, 3) and sample["image"].dtype == np.uint8
        assert sample["keypoints"].shape == (faces.skeleton.num_keypoints, 2)
        assert (sample["keypoints"] > 0).all() and (sample["keypoints"] < 96).all()
