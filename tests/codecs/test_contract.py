"""The contract every registered codec keeps (shapes, dtypes, config round trip, bad input)."""

import numpy as np
import pytest

from edgelmk.codecs import CODECS

INPUT_HW, HEATMAP_HW = (64, 48), (16, 12)  # stride 4 on both axes, non-square on purpose


@pytest.fixture(params=CODECS.names())
def codec(request):
    return CODECS.build({"name": request.param, "input_hw": list(INPUT_HW), "heatmap_hw": list(HEATMAP_HW)})


def random_keypoints(n=3, k=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([4, 4], [INPUT_HW[1] - 5, INPUT_HW[0] - 5], (n, k, 2)).astype(np.float32)


def test_encode_shapes_and_dtypes(codec):
    target = codec.encode(random_keypoints())
    assert target["heatmaps"].shape == (3, 5, *HEATMAP_HW) and target["heatmaps"].dtype == np.float32
    assert target["weights"].shape == (3, 5) and target["weights"].dtype == np.float32
    np.testing.assert_array_equal(target["weights"], 1)


def test_decode_shapes_and_dtypes(codec):
    heatmaps = np.random.default_rng(1).normal(size=(2, 7, *HEATMAP_HW)).astype(np.float32)
    keypoints, scores = codec.decode(heatmaps)
    assert keypoints.shape == (2, 7, 2) and keypoints.dtype == np.float32
    assert scores.shape == (2, 7) and scores.dtype == np.float32


def test_decoded_keypoints_stay_in_the_image(codec):
    heatmaps = np.random.default_rng(2).normal(size=(4, 9, *HEATMAP_HW)) * 5
    keypoints, _ = codec.decode(heatmaps)
    assert (keypoints >= -0.5).all() and (keypoints[..., 0] <= INPUT_HW[1] - 0.5).all()
    assert (keypoints[..., 1] <= INPUT_HW[0] - 0.5).all()


def test_config_round_trip(codec):
    config = codec.to_config()
    assert config["input_hw"] == list(INPUT_HW) and config["heatmap_hw"] == list(HEATMAP_HW)
    rebuilt = CODECS.build(config)
    assert rebuilt == codec and rebuilt.to_config() == config


def test_invisible_keypoints_get_zero_weight_and_empty_maps(codec):
    keypoints = random_keypoints()
    keypoints[0, 1] = np.nan  # allowed: invisible keypoints may hold anything
    visible = np.ones((3, 5))
    visible[0, 1] = visible[2, 4] = 0
    target = codec.encode(keypoints, visible)
    assert target["weights"][0, 1] == 0 and target["weights"][2, 4] == 0
    assert not target["heatmaps"][0, 1].any() and not target["heatmaps"][2, 4].any()
    assert target["heatmaps"][1, 1].max() > 0


def test_keypoints_outside_the_image_get_zero_weight(codec):
    keypoints = random_keypoints(n=1, k=4)
    keypoints[0, 0] = [-0.6, 10]  # just left of the image area
    keypoints[0, 1] = [10, INPUT_HW[0] + 100]  # far below
    keypoints[0, 2] = [-0.5, -0.5]  # the image corner itself is inside
    target = codec.encode(keypoints)
    np.testing.assert_array_equal(target["weights"], [[0, 0, 1, 1]])
    assert not target["heatmaps"][0, :2].any()
    assert np.isfinite(target["heatmaps"]).all()


def test_encode_accepts_lists_and_integer_pixels(codec):
    target = codec.encode([[[10, 20], [30, 40]]], [[1, 0]])
    np.testing.assert_array_equal(target["weights"], [[1, 0]])


@pytest.mark.parametrize(
    "keypoints, visible, error, match",
    [
        (np.zeros((5, 2)), None, ValueError, r"shape \(N, K, 2\).*Add the batch axis"),
        (np.zeros((1, 5, 3)), None, ValueError, r"shape \(N, K, 2\)"),
        (np.zeros((1, 5, 2), dtype=complex), None, TypeError, "real number"),
        (np.array([[["a", "b"]]]), None, TypeError, "real number"),
        (np.zeros((1, 5, 2)), np.ones((1, 4)), ValueError, r"visible must have shape \(N, K\) = \(1, 5\)"),
        (np.zeros((1, 2, 2)), np.array([[2, 1]]), ValueError, "only 0 and 1"),
        (np.array([[[np.nan, 1.0]]]), None, ValueError, "keypoint 0 of sample 0 is visible but not finite"),
        (np.array([[[1.0, 1.0], [np.inf, 1.0]]]), np.array([[1, 1]]), ValueError, "keypoint 1 of sample 0"),
    ],
)
def test_encode_rejects_bad_input(codec, keypoints, visible, error, match):
    with pytest.raises(error, match=match):
        codec.encode(keypoints, visible)


def test_decode_rejects_heatmaps_of_another_size(codec):
    with pytest.raises(ValueError, match=r"size \(8, 8\) do not match this codec's heatmap_hw \(16, 12\)"):
        codec.decode(np.zeros((1, 5, 8, 8), dtype=np.float32))


def test_decode_rejects_missing_batch_axis(codec):
    with pytest.raises(ValueError, match=r"shape \(N, K, H, W\)"):
        codec.decode(np.zeros((5, *HEATMAP_HW), dtype=np.float32))


def test_decode_rejects_nan_heatmaps(codec):
    heatmaps = np.zeros((1, 2, *HEATMAP_HW), dtype=np.float32)
    heatmaps[0, 1, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        codec.decode(heatmaps)


def test_unknown_codec_name_suggests_close_matches():
    with pytest.raises(KeyError, match="unknown codec 'gausian'.*Did you mean 'gaussian'"):
        CODECS.build({"name": "gausian", "input_hw": [8, 8], "heatmap_hw": [8, 8]})


def test_unknown_codec_key_suggests_close_matches():
    with pytest.raises(ValueError, match="unknown key 'sigm'.*Did you mean 'sigma'"):
        CODECS.build({"name": "gaussian", "input_hw": [8, 8], "heatmap_hw": [8, 8], "sigm": 2})


@pytest.mark.parametrize("name", CODECS.names())
@pytest.mark.parametrize("bad", [{"input_hw": [0, 8]}, {"heatmap_hw": "16"}, {"sigma": -1.0}, {"sigma": "1"}])
def test_bad_codec_options_are_value_errors(name, bad):
    config = {"name": name, "input_hw": [8, 8], "heatmap_hw": [4, 4], **bad}
    with pytest.raises(ValueError, match="input_hw|heatmap_hw|sigma"):
        CODECS.build(config)


def test_every_codec_has_a_summary():
    for name, summary in CODECS.summaries().items():
        assert summary and "\n" not in summary, name
