"""The One Euro filter (still points stay, hand-computed steps, less jitter, speed lowers the lag) and FaceSmoother."""

import math

import numpy as np
import pytest

from edgelmk.runtime.smoothing import ONE_EURO_DEFAULTS, FaceSmoother, OneEuroFilter, smoothing_factor


def test_a_still_point_is_left_where_it_is():
    smoother = OneEuroFilter()
    points = np.array([[10.0, 20.0], [30.0, 40.0]])
    for _ in range(5):
        np.testing.assert_allclose(smoother(points, 1 / 30, 100.0), points)


def test_one_step_by_hand():
    smoother = OneEuroFilter(min_cutoff=1.0, beta=2.0, d_cutoff=1.0)
    smoother(np.array([[0.0, 0.0]]), 0.1, 10.0)
    dt = 0.1
    speed = 3.0 / dt / 10.0  # 3 px in 0.1 s, face 10 px: 3 face sizes per second
    speed_alpha = 1 / (1 + 1 / (2 * math.pi * 1.0) / dt)
    cutoff = 1.0 + 2.0 * speed_alpha * speed
    alpha = 1 / (1 + 1 / (2 * math.pi * cutoff) / dt)
    np.testing.assert_allclose(smoother(np.array([[3.0, 0.0]]), dt, 10.0), [[3.0 * alpha, 0.0]], rtol=1e-6)
    assert smoothing_factor(1.0, dt) == pytest.approx(speed_alpha)


def test_noise_on_a_still_face_shrinks():
    rng = np.random.default_rng(0)
    noisy = 100 + rng.normal(0, 1.0, (300, 5, 2))
    smoother = OneEuroFilter()
    filtered = np.stack([smoother(frame, 1 / 30, 120.0) for frame in noisy])
    assert filtered[30:].std(axis=0).mean() < noisy[30:].std(axis=0).mean() / 2


def test_a_point_shaken_back_and_forth_is_smoothed_as_if_it_were_still():
    """The velocity is low-passed before its magnitude raises the cutoff, so alternating noise
    averages out (the magnitude of each frame's velocity would always be positive)."""
    shaken = np.stack([np.array([[100.0 + (-1) ** t, 50.0]]) for t in range(120)])  # +-1 px every frame
    settings = {"min_cutoff": 0.5, "d_cutoff": 1.0}
    residual = []
    for beta in (5.0, 0.0):  # beta 0: a plain low-pass at min_cutoff, the least a still face can get
        smoother = OneEuroFilter(beta=beta, **settings)
        filtered = np.stack([smoother(frame, 1 / 30, 100.0) for frame in shaken])
        residual.append(float(np.ptp(filtered[60:, 0, 0])))
    assert residual[0] < 1.5 * residual[1]
    # low-passing the speed instead: each frame lies ~1 px (0.3 face sizes / s) from the filtered
    # point, so the cutoff would stay open at min_cutoff + beta * 0.3 and a +-1 px input at
    # smoothing factor a keeps a peak-to-peak of 2 a / (2 - a)
    opened = smoothing_factor(settings["min_cutoff"] + 5.0 * 0.3, 1 / 30)
    assert residual[0] < 0.5 * 2 * opened / (2 - opened)


def test_a_larger_beta_follows_a_moving_point_more_closely():
    path = np.stack([np.array([[t * 4.0, 0.0]]) for t in range(60)])  # 4 px per frame, face 100 px
    errors = []
    for beta in (0.0, 4.0, 20.0):
        smoother = OneEuroFilter(min_cutoff=0.5, beta=beta)
        filtered = np.stack([smoother(frame, 1 / 30, 100.0) for frame in path])
        errors.append(float(np.abs(filtered[-1] - path[-1]).max()))
    assert errors[0] > errors[1] > errors[2]


def test_bad_parameters_and_time_are_refused():
    with pytest.raises(ValueError, match="min_cutoff > 0"):
        OneEuroFilter(min_cutoff=0)
    smoother = OneEuroFilter()
    smoother(np.zeros((1, 2)), 0.1, 1.0)
    with pytest.raises(ValueError, match="frames must move forward in time"):
        smoother(np.zeros((1, 2)), 0.0, 1.0)


def test_face_smoother_is_the_position_filter_on_the_mean_plus_the_shape_filter_on_the_offsets():
    rng = np.random.default_rng(1)
    frames = 50 + np.cumsum(rng.normal(0, 2.0, (20, 1, 2)), axis=0) + rng.normal(0, 5.0, (1, 6, 2))
    frames = frames + rng.normal(0, 0.5, frames.shape)
    face = FaceSmoother(min_cutoff=0.4, beta=10.0, d_cutoff=1.0, shape_beta=0.5)
    position, shape = OneEuroFilter(0.4, 10.0, 1.0), OneEuroFilter(0.4, 0.5, 1.0)
    for frame in frames:
        centre = frame.mean(axis=0, keepdims=True)
        expected = position(centre, 1 / 30, 80.0).astype(np.float64) + shape(frame - centre, 1 / 30, 80.0)
        np.testing.assert_allclose(face(frame, 1 / 30, 80.0), expected, atol=1e-4)
    # one point: its offset is always 0, so it is the position filter alone
    single, alone = FaceSmoother(), OneEuroFilter(**{k: v for k, v in ONE_EURO_DEFAULTS.items() if k != "shape_beta"})
    for frame in frames[:, :1]:
        np.testing.assert_allclose(single(frame, 1 / 30, 80.0), alone(frame, 1 / 30, 80.0), atol=1e-4)


def test_a_moving_face_shakes_less_split_than_filtered_point_by_point_and_lags_no_more():
    rng = np.random.default_rng(2)
    t = np.arange(150)[:, None, None]
    shape = rng.normal(0, 30.0, (1, 29, 2))
    truth = 200 + 3.0 * t * np.array([1.0, 0.5]) + shape  # 3 px a frame, face 120 px
    noisy = truth + rng.normal(0, 1.0, truth.shape)
    results = {}
    for name, smoother in (("split", FaceSmoother()), ("per point", OneEuroFilter(0.3, 12.0, 0.85))):
        error = np.stack([smoother(frame, 1 / 30, 120.0) for frame in noisy])[30:] - truth[30:]
        jitter = np.sqrt(np.mean(np.sum((error[2:] - 2 * error[1:-1] + error[:-2]) ** 2, axis=2)))
        results[name] = (jitter, float(np.linalg.norm(error.mean(axis=(0, 1)))))  # shake, steady lag (px)
    assert results["split"][0] < results["per point"][0] / 2
    assert results["split"][1] <= results["per point"][1] * 1.1
