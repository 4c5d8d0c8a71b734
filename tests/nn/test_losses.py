import numpy as np
import pytest
import torch

from edgelmk.codecs import CODECS
from edgelmk.nn.decoders import output_activation, soft_argmax, spatial_softmax
from edgelmk.nn.losses import build_loss


def batch_for(codec_name, n=2, k=3, seed=0):
    codec = CODECS.build({"name": codec_name, "input_hw": [32, 32], "heatmap_hw": [8, 8]})
    keypoints = np.random.default_rng(seed).uniform(6, 26, (n, k, 2))
    visible = np.ones((n, k))
    visible[0, 1] = 0
    target = codec.encode(keypoints, visible, rng=np.random.default_rng(seed))
    return codec, {key: torch.from_numpy(value) for key, value in target.items()}


@pytest.mark.parametrize("codec_name", ["gaussian", "h3r", "dsnt"])
def test_losses_ignore_keypoints_with_zero_weight(codec_name):
    _, batch = batch_for(codec_name)
    loss = build_loss({"name": CODECS.get(codec_name).default_loss})
    output = torch.randn(2, 3, 8, 8)
    changed = output.clone()
    changed[0, 1] += 100 * torch.randn(8, 8)  # the invisible keypoint
    torch.testing.assert_close(loss([output], batch), loss([changed], batch))
    changed[1, 1, 2, 3] += 1.0  # one pixel (a constant shift would leave a softmax unchanged)
    assert not torch.allclose(loss([output], batch), loss([changed], batch))


@pytest.mark.parametrize("codec_name", ["gaussian", "h3r", "dsnt"])
def test_stacks_are_averaged(codec_name):
    _, batch = batch_for(codec_name)
    loss = build_loss({"name": CODECS.get(codec_name).default_loss})
    a, b = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(loss([a, b], batch), (loss([a], batch) + loss([b], batch)) / 2)


def test_h3r_cross_entropy_is_minimal_at_the_expected_target():
    # Cross-entropy is a proper scoring rule: over the random draws, the best softmax is the
    # expected (bilinear) target, which decodes to the keypoint exactly.
    codec = CODECS.build({"name": "h3r", "input_hw": [32, 32], "heatmap_hw": [8, 8], "target": "expected"})
    keypoints = np.array([[[13.3, 18.9]]])
    expected = torch.from_numpy(codec.encode(keypoints)["heatmaps"])
    stochastic = CODECS.build({"name": "h3r", "input_hw": [32, 32], "heatmap_hw": [8, 8]})
    draws = [torch.from_numpy(stochastic.encode(keypoints, rng=np.random.default_rng(i))["heatmaps"])
             for i in range(400)]
    loss = build_loss({"name": "h3r_cross_entropy"})
    weights = torch.ones(1, 1)

    def mean_loss(logits):
        return torch.stack([loss([logits], {"heatmaps": d, "weights": weights}) for d in draws]).mean()

    best = torch.log(expected.clamp(min=1e-9))
    shifted = torch.log(torch.roll(expected, 1, dims=-1).clamp(min=1e-9))
    assert mean_loss(best) < mean_loss(shifted)
    decoded, _ = codec.decode(output_activation("h3r", best).numpy())
    np.testing.assert_allclose(decoded, keypoints, atol=1e-3)


def test_torch_soft_argmax_matches_the_numpy_dsnt_codec():
    codec = CODECS.build({"name": "dsnt", "input_hw": [64, 48], "heatmap_hw": [16, 12]})
    logits = torch.randn(2, 4, 16, 12, dtype=torch.float64) * 3
    normalized = soft_argmax(spatial_softmax(logits)).numpy()
    keypoints, _ = codec.decode(logits.numpy())
    np.testing.assert_allclose((2 * keypoints.astype(np.float64) + 1) / [48, 64] - 1, normalized, atol=1e-6)


def test_dsnt_loss_is_small_when_the_prediction_is_the_target():
    _, batch = batch_for("dsnt")
    loss = build_loss({"name": "dsnt"})
    perfect = torch.log(batch["heatmaps"].clamp(min=1e-30))
    # not exactly 0: the 8x8 map truncates the Gaussian of keypoints near its border
    assert loss([perfect], batch) < 0.05 and loss([perfect], batch) < loss([torch.zeros_like(perfect)], batch) / 5


def test_bad_loss_options():
    with pytest.raises(ValueError, match="regularization must be >= 0"):
        build_loss({"name": "dsnt", "regularization": -1})
