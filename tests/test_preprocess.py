"""edgelmk.preprocess: images to RGB uint8, the crop of a box (shared by training and the runtime), the way back."""

import numpy as np
import pytest

from edgelmk.data.transforms import AffineCrop
from edgelmk.errors import DatasetError
from edgelmk.preprocess import crop_matrix, load_image, to_original, to_rgb_uint8, warp
from tests.helpers import optional_import

cv2 = optional_import("cv2")


def test_grey_16_bit_and_alpha_images_become_rgb_uint8(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    np.testing.assert_array_equal(load_image(tmp_path / "grey.png"), np.repeat(grey[..., None], 3, axis=2))
    deep = np.full((2, 2, 3), 0x1234, np.uint16)
    deep[0, 0] = [0xFF00, 0x0100, 0x00FF]  # BGR on disk
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    image = load_image(tmp_path / "deep.png")
    assert image.dtype == np.uint8 and image[0, 0].tolist() == [0x00, 0x01, 0xFF] and image[1, 1, 0] == 0x12
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10  # blue in BGRA, almost transparent
    cv2.imwrite(str(tmp_path / "alpha.png"), rgba)
    assert load_image(tmp_path / "alpha.png")[0, 0].tolist() == [0, 0, 200]


def test_float_images_and_bad_shapes():
    np.testing.assert_array_equal(to_rgb_uint8(np.full((1, 1, 3), 0.5), "x")[0, 0], [128, 128, 128])
    with pytest.raises(DatasetError, match=r"x: unsupported image shape \(2, 2, 2\)"):
        to_rgb_uint8(np.zeros((2, 2, 2), np.uint8), "x")
    with pytest.raises(DatasetError, match="unsupported image dtype int32"):
        to_rgb_uint8(np.zeros((2, 2), np.int32), "x")


def test_missing_and_corrupt_images_are_named(tmp_path):
    with pytest.raises(DatasetError, match="nope.jpg: image file not found"):
        load_image(tmp_path / "nope.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(DatasetError, match="bad.jpg: not a readable image"):
        load_image(tmp_path / "bad.jpg")


def test_the_crop_matrix_puts_the_box_centre_at_the_crop_centre_and_scales_its_side():
    matrix = crop_matrix((10, 20, 50, 40), (64, 64), margin=0.25)
    np.testing.assert_allclose(matrix @ [30, 30, 1], [31.5, 31.5])  # box centre -> crop centre
    side = 40 * 1.25  # the larger box side with the margin
    np.testing.assert_allclose(np.linalg.det(matrix[:, :2]), (64 / side) ** 2)
    np.testing.assert_allclose(to_original(np.array([[31.5, 31.5]]), matrix), [[30, 30]], atol=1e-5)


def test_training_crops_are_the_runtime_crops():
    """AffineCrop without jitter (evaluation) crops with exactly crop_matrix and warp."""
    image = np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    box = np.array([12.3, 5.5, 61.2, 50.1], np.float32)
    sample = {"image": image, "keypoints": np.zeros((0, 2), np.float32), "visible": np.zeros(0, np.float32),
              "bbox": box}
    cropped = AffineCrop((32, 32), margin=0.3)(sample, np.random.default_rng(5))
    matrix = crop_matrix(box, (32, 32), 0.3)
    np.testing.assert_array_equal(cropped["matrix"], matrix)
    np.testing.assert_array_equal(cropped["image"], warp(image, matrix, (32, 32)))


def test_exif_orientation_is_applied_only_when_asked(tmp_path):
    image_module = optional_import("PIL.Image")
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10] = 255  # a bright left edge
    photo = image_module.fromarray(pixels)
    exif = photo.getexif()
    exif[0x0112] = 6  # orientation: the viewer turns it 90 degrees clockwise
    photo.save(tmp_path / "turned.jpg", exif=exif.tobytes(), quality=95)
    stored = load_image(tmp_path / "turned.jpg")
    upright = load_image(tmp_path / "turned.jpg", exif_orientation=True)
    assert stored.shape == (20, 40, 3) and upright.shape == (40, 20, 3)
    assert upright[:10].mean() > 200 and upright[-10:].mean() < 50  # the bright edge is now on top
