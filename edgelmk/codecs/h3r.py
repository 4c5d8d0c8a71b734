"""Heatmap regression via randomized rounding (H3R).

Yu & Tao, "Heatmap Regression via Randomized Rounding", TPAMI 2021
(https://arxiv.org/abs/2009.00225). A keypoint at heatmap coordinate ``x = x0 + f``
(``x0 = floor(x)``, ``0 <= f < 1``) is rounded *at random*: to ``x0 + 1`` with probability
``f``, else to ``x0``, independently per axis. The rounded point is unbiased
(``E[round(x)] = x``), and the expected target is the bilinear mix of the kernels at the four
grid neighbours. Decoding takes the activation-weighted mean of the activation points
around the maximum, which recovers ``x`` exactly from the expected one-hot target
(lossless), so low-resolution heatmaps keep sub-pixel accuracy.

The reference implementation weighs its top-k points by a softmax of their activations;
edgelmk weighs them by the activations themselves (negatives clamped to 0), which is what
makes the expected target lossless and the decode integer-friendly.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from edgelmk import geometry
from edgelmk.codecs.base import NOT_FINITE, Codec
from edgelmk.codecs.peaks import (compiled_window_decode, peak_activation, peak_windows, topk_sums, weighted_position,
                                  window_means)
from edgelmk.codecs.render import check_sigma, mixed_profile, outer_maps

TARGETS = ("stochastic", "expected")
KERNELS = ("onehot", "gaussian")
DECODES = ("window", "topk")


def _choice(key: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"h3r {key} must be one of {', '.join(options)}; got {value!r}")
    return value


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"h3r {key} must be a positive integer, got {value!r}")
    return int(value)


class H3RCodec(Codec):
    """Randomized-rounding target; activation-point decode.

    Args:
        input_hw: (H, W) of the network input, pixels.
        heatmap_hw: (H, W) of the heatmaps.
        target: ``"stochastic"`` samples floor/ceil per axis with probability given by the
            fractional part, fresh on every ``encode`` call (the training target of the paper);
            ``"expected"`` gives its expectation, bilinear weights on the 4 neighbours.
        kernel: ``"onehot"`` (a single pixel per rounded point) or ``"gaussian"``.
        sigma: Gaussian kernel width in heatmap pixels (``kernel="gaussian"`` only).
        decode: ``"window"``: the ``window x window`` neighbourhood of the maximum;
            ``"topk"``: the ``topk`` largest activations of the map.
        window: odd side of the decode window, heatmap pixels.
        topk: number of activation points for ``decode="topk"``.
        seed: seed of the stochastic rounding; None draws a fresh one.

    Keypoints in the border half-pixel of the heatmap are clamped to the outermost pixel
    centre first (their sub-pixel offset toward the border is lost).
    """

    summary = "randomized rounding (Yu & Tao, TPAMI 2021): sub-pixel accuracy on low-res heatmaps"
    #: trained with spatial cross-entropy, so its maps are spatial-softmax probabilities
    output_activation = "spatial_softmax"
    default_loss = "h3r_cross_entropy"

    def __init__(self, input_hw: Sequence[int], heatmap_hw: Sequence[int], target: str = "stochastic",
                 kernel: str = "onehot", sigma: float = 1.0, decode: str = "window", window: int = 3,
                 topk: int = 4, seed: int | None = None):
        super().__init__(input_hw, heatmap_hw)
        self.target = _choice("target", target, TARGETS)
        self.kernel = _choice("kernel", kernel, KERNELS)
        self.sigma = check_sigma(sigma)
        self.decode_mode = _choice("decode", decode, DECODES)
        self.window = _positive_int("window", window)
        if self.window % 2 == 0:
            raise ValueError(f"h3r window must be odd (centred on the maximum), got {window}")
        self.topk = _positive_int("topk", topk)
        if self.topk > self.heatmap_hw[0] * self.heatmap_hw[1]:
            raise ValueError(f"h3r topk={topk} exceeds the {self.heatmap_hw} heatmap's pixel count")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"h3r seed must be an integer or null, got {seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _options(self) -> dict[str, Any]:
        return {"target": self.target, "kernel": self.kernel, "sigma": self.sigma, "decode": self.decode_mode,
                "window": self.window, "topk": self.topk, "seed": self.seed}

    def _encode(self, xy_heatmap: np.ndarray, active: np.ndarray, rng: np.random.Generator | None
                ) -> dict[str, np.ndarray]:
        height, width = self.heatmap_hw
        xy = np.clip(xy_heatmap, 0, [width - 1, height - 1])
        low = np.floor(xy)
        fraction = xy - low
        if self.target == "stochastic":
            fraction = ((rng or self._rng).random(fraction.shape) < fraction).astype(np.float64)
        high = np.minimum(low + 1, [width - 1, height - 1])
        corners = np.stack([low, high], axis=-1)  # (N, K, 2 axes, 2 corners)
        corner_weights = np.stack([1.0 - fraction, fraction], axis=-1)
        sigma = self.sigma if self.kernel == "gaussian" else None
        profile_x = mixed_profile(corners[..., 0, :], corner_weights[..., 0, :], width, sigma)
        profile_y = mixed_profile(corners[..., 1, :], corner_weights[..., 1, :], height, sigma)
        return {"heatmaps": outer_maps(profile_x, profile_y)}

    def prepared_decoder(self, dtype: Any, scale: Any = None, zero_point: Any = None
                         ) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], str]:
        dtype = np.dtype(dtype)
        kernel = self._window_kernel(dtype)
        checked, backend = super().prepared_decoder(dtype, scale, zero_point)
        if kernel is None:
            return checked, backend
        settings = self._kernel_settings(*((1.0, 0) if dtype.kind == "f" else self._check_int8_output(
            dtype, scale, zero_point)))

        def decode(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if (not isinstance(maps, np.ndarray) or maps.dtype != dtype or maps.ndim != 4
                    or maps.shape[2:] != self.heatmap_hw or not maps.flags.c_contiguous):
                return checked(maps)  # checks them and says what is wrong, or copies
            return self._decode_compiled(kernel, maps, settings)

        return decode, "compiled"

    def _decode_checked(self, heatmaps: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
        """The window decode in one compiled pass where :func:`compiled_window_decode` gives one, else numpy's."""
        kernel = self._window_kernel(heatmaps.dtype)
        if kernel is None:
            return super()._decode_checked(heatmaps, scale, zero_point)
        return self._decode_compiled(kernel, heatmaps, self._kernel_settings(scale, zero_point))

    def _window_kernel(self, dtype: np.dtype):
        """The compiled kernel for maps of ``dtype`` (:func:`compiled_window_decode`) in window mode, else None."""
        return compiled_window_decode(dtype, self.heatmap_hw) if self.decode_mode == "window" else None

    def _decode_compiled(self, kernel, heatmaps: np.ndarray, settings: tuple[np.ndarray, np.ndarray]
                         ) -> tuple[np.ndarray, np.ndarray]:
        """The window decode of checked (N, K, H, W) maps in one call of the compiled ``kernel``."""
        n, k = heatmaps.shape[:2]
        keypoints, scores = np.empty((n, k, 2), np.float32), np.empty((n, k), np.float32)
        if not kernel(np.ascontiguousarray(heatmaps), *settings, keypoints, scores):
            raise ValueError(NOT_FINITE)
        return keypoints, scores

    def _kernel_settings(self, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
        """The compiled kernel's settings arrays: int64 [radius, zero_point], float64 [stride_x, stride_y, scale]."""
        return (np.array([self.window // 2, zero_point], np.int64),
                np.array([*geometry.stride_xy(self.input_hw, self.heatmap_hw), scale], np.float64))

    def _locate(self, heatmaps: np.ndarray, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
        shape = heatmaps.shape[:2]
        if self.decode_mode == "window":
            xy, peak = window_means(heatmaps, self.window // 2, zero_point)
        else:
            windows = peak_windows(heatmaps, 0)
            xy = weighted_position(*topk_sums(heatmaps, self.topk, zero_point), lambda: windows.xy)
            peak = peak_activation(windows, zero_point)
        return xy.reshape(*shape, 2), peak.reshape(shape)
