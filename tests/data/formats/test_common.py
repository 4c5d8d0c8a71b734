import numpy as np
import pytest

from edgelmk import optional
from edgelmk.data.formats.common import DatasetError, load_image, to_rgb_uint8
from tests.conftest import optional_import

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


def test_a_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"plotting needs no_such_module: pip install 'edgelmk\[data\]'"):
        optional.require("no_such_module.sub", "data", "plotting")
