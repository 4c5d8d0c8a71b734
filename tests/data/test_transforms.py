import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgelmk.data.skeletons import W300
from edgelmk.data.transforms import (
    AffineCrop,
    Blur,
    ColourJitter,
    Compose,
    Occluders,
    to_original,
)
from tests.helpers import optional_import

cv2 = optional_import("cv2")


def dotted_sample(keypoints, image_hw=(300, 400)):
    """A black image with a bright Gaussian dot centred (sub-pixel) on each keypoint."""
    height, width = image_hw
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.zeros(image_hw, np.float64)
    for x, y in keypoints:
        image += np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 2.0 ** 2))
    image = np.clip(image * 255, 0, 255).astype(np.uint8)
    return {"image": np.repeat(image[..., None], 3, axis=2), "keypoints": np.asarray(keypoints, np.float32),
            "visible": np.ones(len(keypoints), np.float32),
            "bbox": np.array([*np.min(keypoints, 0), *np.max(keypoints, 0)], np.float32)}


def dot_centroid(image, around, radius=6):
    """Intensity centroid of the dot near ``around`` (pixel centres at integers)."""
    x0, y0 = np.round(around).astype(int)
    patch = image[y0 - radius:y0 + radius + 1, x0 - radius:x0 + radius + 1, 0].astype(np.float64)
    ys, xs = np.mgrid[y0 - radius:y0 + radius + 1, x0 - radius:x0 + radius + 1]
    return np.array([(patch * xs).sum(), (patch * ys).sum()]) / patch.sum()


KEYPOINTS = [[120.3, 100.7], [260.8, 110.2], [190.5, 180.25], [150.1, 220.9], [240.6, 215.4]]


@pytest.mark.parametrize("seed", range(6))
def test_each_dot_lands_under_its_transformed_keypoint(seed):
    transform = AffineCrop((128, 128), margin=0.6, scale_jitter=0.3, rotation_deg=40, shift=0.05, flip_prob=0.5,
                           flip_index=np.arange(5))
    out = transform(dotted_sample(KEYPOINTS), np.random.default_rng(seed))
    inside = [k for k in out["keypoints"] if (k >= 7).all() and (k <= 128 - 8).all()]  # the dot's window fits
    assert len(inside) >= 3
    for keypoint in inside:
        # bilinear resampling of a smooth dot: its centroid stays within a few hundredths of a pixel
        assert np.linalg.norm(dot_centroid(out["image"], keypoint) - keypoint) < 0.1


def test_flip_mirrors_the_crop_and_swaps_left_and_right():
    keypoints = np.random.default_rng(0).uniform(50, 250, (68, 2)).astype(np.float32)
    sample = dotted_sample(keypoints[:3])
    sample["keypoints"], sample["visible"] = keypoints, np.ones(68, np.float32)
    sample["visible"][36] = 0
    plain = AffineCrop((64, 64))(sample, np.random.default_rng(0))
    flipped = AffineCrop((64, 64), flip_prob=1.0, flip_index=W300.flip_index)(sample, np.random.default_rng(0))
    assert flipped["flipped"] and not plain["flipped"]
    # keypoint i of the flipped crop is the mirror of keypoint flip_index[i] of the plain crop
    mirrored = plain["keypoints"][W300.flip_index] * [-1, 1] + [63, 0]
    np.testing.assert_allclose(flipped["keypoints"], mirrored, atol=1e-4)
    assert flipped["visible"][45] == 0 and flipped["visible"][36] == 1  # 36 <-> 45 swapped
    np.testing.assert_array_equal(flipped["image"], plain["image"][:, ::-1])


@settings(max_examples=50)
@given(st.integers(0, 10_000), st.booleans())
def test_inverse_recovers_original_keypoints(seed, flip):
    rng = np.random.default_rng(seed)
    keypoints = rng.uniform(0, 400, (68, 2)).astype(np.float32)
    sample = {"image": np.zeros((300, 400, 3), np.uint8), "keypoints": keypoints, "visible": np.ones(68, np.float32),
              "bbox": np.array([50, 40, 350, 260], np.float32)}
    transform = AffineCrop((96, 96), scale_jitter=0.5, rotation_deg=180, shift=0.2, flip_prob=float(flip),
                           flip_index=W300.flip_index)
    out = transform(sample, rng)
    back = to_original(out["keypoints"], out["matrix"])
    if out["flipped"]:
        back = back[W300.flip_index]
    np.testing.assert_allclose(back, keypoints, atol=1e-3)


def test_two_crops_compose_their_matrices():
    sample = dotted_sample(KEYPOINTS)
    first = AffineCrop((200, 200), rotation_deg=20)(sample, np.random.default_rng(1))
    second = AffineCrop((64, 64), rotation_deg=20)(first, np.random.default_rng(2))
    np.testing.assert_allclose(to_original(second["keypoints"], second["matrix"]), KEYPOINTS, atol=1e-3)


def test_photometric_transforms_keep_shape_dtype_and_keypoints():
    sample = dotted_sample(KEYPOINTS)
    sample["image"] = np.random.default_rng(0).integers(0, 256, sample["image"].shape, dtype=np.uint8)
    pipeline = Compose([ColourJitter(0.4, 0.4, 0.4), Blur(prob=1.0), Occluders(prob=1.0, max_count=3)])
    out = pipeline(sample, np.random.default_rng(3))
    assert out["image"].shape == sample["image"].shape and out["image"].dtype == np.uint8
    assert not np.array_equal(out["image"], sample["image"])
    np.testing.assert_array_equal(out["keypoints"], sample["keypoints"])


def test_colour_jitter_of_zero_is_the_identity():
    image = np.random.default_rng(0).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    out = ColourJitter(0, 0, 0)({"image": image}, np.random.default_rng(0))
    np.testing.assert_array_equal(out["image"], image)


@pytest.mark.parametrize("build, match", [
    (lambda: AffineCrop((64, 64), flip_prob=0.5), "flip_index"),
    (lambda: AffineCrop((64, 64), rotation_deg=-1), "rotation_deg"),
    (lambda: AffineCrop((0, 64)), "output_hw"),
    (lambda: Blur(prob=2), "prob"),
    (lambda: Occluders(max_count=0), "max_count"),
    (lambda: ColourJitter(brightness=-1), ">= 0"),
])
def test_bad_parameters(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_occluder_bars_on_tiny_crops_are_at_least_one_pixel_thick():
    """OpenCV refuses a line of thickness 0, which a bar's width share rounds to below 13 pixels."""
    image = np.zeros((8, 8, 3), np.uint8)
    for seed in range(200):
        out = Occluders(prob=1.0, max_count=2)({"image": image}, np.random.default_rng(seed))
        assert out["image"].shape == (8, 8, 3)
