"""The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) on keypoints: less jitter, little lag.

A low-pass filter whose cutoff rises with speed: still keypoints are smoothed hard (cutoff
``min_cutoff``), moving ones follow quickly (cutoff ``min_cutoff + beta * speed``). Here the
velocity of a keypoint is its 2-D velocity in *face sizes per second* (pixels per second divided
by the side of the face box), so the defaults hold for a face of any size in the frame. As in
the paper, the velocity itself is low-passed (at ``d_cutoff``) *before* its magnitude sets the
cutoff: noise that shakes a still point back and forth averages out there, whereas the
magnitude of a noisy velocity is always positive and would open the filter on a still face
(low-passing the magnitude instead left 0.52 of the unfiltered jitter at 0.92 frames of lag on
the real-photo clips of ``benchmarks/tracking.py`` with the hourglass COFW model, against 0.36
at 0.95 frames).

A face's keypoints move together: :class:`FaceSmoother` filters where the face is (the mean of
its keypoints, which averages the keypoints' noise out) apart from its shape (each keypoint's
offset from that mean, which changes slowly even while the face moves fast), so the position can
follow a moving face closely (``beta``) while the shape is smoothed hard (``shape_beta``). One
filter per keypoint (one ``beta``, 4.5) left 0.35 of the unfiltered jitter at 1.0 frame of lag on
the real-photo clips of ``benchmarks/tracking.py`` with the mobile COFW model; the split at the
defaults leaves 0.19 at 0.56 frames (README table).

Defaults (chosen with a sweep of ``benchmarks/tracking.py --sweep`` on the real-photo clips with
the hourglass and the mobile COFW models: README table): ``min_cutoff`` 0.3 Hz, ``beta`` 12 Hz per
(face size / s) for the position, ``shape_beta`` 1 for the shape, ``d_cutoff`` 0.85 Hz; the time
step comes from the video's frame rate. The Android core's ``OneEuroFilter.java`` and
``FaceSmoother.java`` are the same filters, tested against these.
"""

from __future__ import annotations

import math

import numpy as np

ONE_EURO_DEFAULTS = {"min_cutoff": 0.3, "beta": 12.0, "d_cutoff": 0.85, "shape_beta": 1.0}


def smoothing_factor(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    """The exponential smoothing factor alpha of a first-order low-pass at ``cutoff_hz`` for a step of ``dt`` s."""
    tau = 1.0 / (2 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over (K, 2) keypoints (every keypoint filtered on its own, x and y together).

    Args:
        min_cutoff: cutoff frequency at rest, Hz (lower: smoother when still, more lag).
        beta: how much the cutoff rises with speed, Hz per (face size / s) (higher: less lag when moving).
        d_cutoff: cutoff of the velocity estimate, Hz.
    """

    def __init__(self, min_cutoff: float = ONE_EURO_DEFAULTS["min_cutoff"], beta: float = ONE_EURO_DEFAULTS["beta"],
                 d_cutoff: float = ONE_EURO_DEFAULTS["d_cutoff"]):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError(f"One Euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0 (got {min_cutoff}, "
                             f"{d_cutoff}, {beta})")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.previous: np.ndarray | None = None
        self.velocity: np.ndarray | None = None  # (K, 2) low-passed, face sizes per second

    def __call__(self, keypoints: np.ndarray, dt: float, face_size: float) -> np.ndarray:
        """Filtered (K, 2) float32 keypoints, pixels.

        Args:
            keypoints: (K, 2) this frame's keypoints, pixels.
            dt: seconds since the previous frame (1 / frame rate).
            face_size: side of the face box, pixels (speed unit).
        """
        return self.step(np.asarray(keypoints, np.float64), dt, face_size).astype(np.float32)

    def step(self, keypoints: np.ndarray, dt: float, face_size: float) -> np.ndarray:
        """:meth:`__call__` in float64 throughout: (K, 2) float64 in and out."""
        if self.previous is None:
            self.previous, self.velocity = keypoints, np.zeros_like(keypoints)
            return keypoints
        if dt <= 0:
            raise ValueError(f"frames must move forward in time (dt = {dt} s)")
        velocity = (keypoints - self.previous) / dt / max(face_size, 1e-6)
        self.velocity = self.velocity + smoothing_factor(self.d_cutoff, dt) * (velocity - self.velocity)
        alpha = smoothing_factor(self.min_cutoff + self.beta * np.linalg.norm(self.velocity, axis=1), dt)[:, None]
        self.previous = self.previous + alpha * (keypoints - self.previous)
        return self.previous


class FaceSmoother:
    """A face's (K, 2) keypoints filtered as position + shape: a One Euro filter on the mean of the
    keypoints (``beta``) and one on each keypoint's offset from that mean (``shape_beta``), with the
    same ``min_cutoff`` and ``d_cutoff`` (see the module docstring). Speeds are in face sizes per second.

    Args:
        min_cutoff: cutoff frequency at rest, Hz.
        beta: how much the position's cutoff rises with its speed, Hz per (face size / s).
        d_cutoff: cutoff of the velocity estimates, Hz.
        shape_beta: how much each offset's cutoff rises with its speed (lower: a steadier shape).
    """

    def __init__(self, min_cutoff: float = ONE_EURO_DEFAULTS["min_cutoff"], beta: float = ONE_EURO_DEFAULTS["beta"],
                 d_cutoff: float = ONE_EURO_DEFAULTS["d_cutoff"], shape_beta: float = ONE_EURO_DEFAULTS["shape_beta"]):
        self.position = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self.shape = OneEuroFilter(min_cutoff, shape_beta, d_cutoff)

    def __call__(self, keypoints: np.ndarray, dt: float, face_size: float) -> np.ndarray:
        """Filtered (K, 2) float32 keypoints, pixels (arguments as :meth:`OneEuroFilter.__call__`)."""
        keypoints = np.asarray(keypoints, np.float64)
        centre = keypoints.mean(axis=0, keepdims=True)
        position = self.position.step(centre, dt, face_size)
        return (position + self.shape.step(keypoints - centre, dt, face_size)).astype(np.float32)

