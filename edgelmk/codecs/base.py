"""The codec contract shared by every heatmap codec, and its input checks.

A codec turns keypoints into training targets (``encode``) and network output back into
keypoints (``decode``). All coordinates crossing this interface are in input-image pixels
with the convention of :mod:`edgelmk.geometry`.

Keypoints outside the image: a visible keypoint whose heatmap coordinate falls outside the
heatmap area ``[-0.5, W - 0.5] x [-0.5, H - 0.5]`` (the same area as the input image) gets
weight 0 and an all-zero target map; it is not an error. Invisible keypoints may hold any
value, NaN included; they also get weight 0 and an all-zero map.
"""

from __future__ import annotations

import abc
import functools
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from edgelmk import geometry
from edgelmk.codecs.integer import check_quantized


def check_keypoints(keypoints: Any, visible: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``keypoints (N, K, 2)`` and ``visible (N, K)``.

    Returns:
        keypoints as float64 ``(N, K, 2)`` and visible as bool ``(N, K)`` (all True when None).

    Raises:
        ValueError / TypeError: naming the received shape or dtype and the expected one, or
            the first visible keypoint that is not finite.
    """
    keypoints = np.asarray(keypoints)
    if keypoints.dtype.kind not in "iuf":
        raise TypeError(f"keypoints must be a real number array (float32 pixels), got dtype {keypoints.dtype}")
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        hint = " Add the batch axis: keypoints[None]." if keypoints.ndim == 2 else ""
        raise ValueError(f"keypoints must have shape (N, K, 2) in x, y order, got {keypoints.shape}.{hint}")
    n, k = keypoints.shape[:2]
    if visible is None:
        visible = np.ones((n, k), dtype=bool)
    else:
        visible = np.asarray(visible)
        if visible.shape != (n, k):
            raise ValueError(f"visible must have shape (N, K) = ({n}, {k}) to match keypoints, got {visible.shape}")
        if visible.dtype.kind not in "biuf" or not np.isin(visible, (0, 1)).all():
            raise ValueError(
                "visible must hold only 0 and 1 (COCO's v=2 'visible' flags: pass (v > 0) instead), "
                f"got values {np.unique(visible)[:5].tolist()}"
            )
        visible = visible.astype(bool)
    keypoints = keypoints.astype(np.float64)
    bad = visible & ~np.isfinite(keypoints).all(axis=-1)
    if bad.any():
        sample, point = np.argwhere(bad)[0]
        raise ValueError(
            f"keypoint {point} of sample {sample} is visible but not finite: {keypoints[sample, point].tolist()}; "
            "mark it invisible (visible = 0) or give finite pixel coordinates"
        )
    return keypoints, visible


#: what ``decode`` says of maps with NaN or inf
NOT_FINITE = "heatmaps contain NaN or inf; the network output is broken (diverged training?)"


class Codec(abc.ABC):
    """Base class: keypoints <-> heatmaps for one input size and one heatmap size.

    Args:
        input_hw: (H, W) of the network input, in pixels.
        heatmap_hw: (H, W) of the heatmaps, in heatmap pixels.

    Shapes:
        keypoints: (N, K, 2) float32, x, y in input-image pixels.
        visible: (N, K) in {0, 1}.
        heatmaps: (N, K, H, W), H, W = heatmap_hw.
        weights, scores: (N, K) float32.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    #: the activation a network's raw maps go through before ``decode`` (and that exported models end with)
    output_activation: ClassVar[str] = "none"
    #: the loss (:data:`edgelmk.losses.LOSSES`) that trains a network for this codec's targets
    default_loss: ClassVar[str]
    #: whether ``_locate`` is integer-safe, so that ``decode_int8`` works
    decodes_int8: ClassVar[bool] = True

    def __init__(self, input_hw: Sequence[int], heatmap_hw: Sequence[int]):
        self.input_hw = geometry.as_hw(input_hw, "input_hw")
        self.heatmap_hw = geometry.as_hw(heatmap_hw, "heatmap_hw")

    # --- public contract ------------------------------------------------------------------

    def encode(self, keypoints: Any, visible: Any = None, rng: np.random.Generator | None = None
               ) -> dict[str, np.ndarray]:
        """Training targets for keypoints.

        Args:
            keypoints: (N, K, 2) x, y in input-image pixels.
            visible: (N, K) in {0, 1}; None means all visible.
            rng: generator for randomized targets (h3r's stochastic rounding); None uses the
                codec's own. Data loaders pass one seeded per sample so that draws are fresh
                every epoch and reproducible.

        Returns:
            ``{"heatmaps": (N, K, H, W) float32, "weights": (N, K) float32}``; some codecs add
            keys (documented on the codec). Weight 0 marks invisible or out-of-image keypoints.
        """
        keypoints, visible = check_keypoints(keypoints, visible)
        xy_heatmap = geometry.image_to_heatmap(keypoints, self.input_hw, self.heatmap_hw)
        active = visible & geometry.inside_image(xy_heatmap, self.heatmap_hw)
        xy_heatmap = np.where(active[..., None], xy_heatmap, 0.0)
        target = self._encode(xy_heatmap, active, rng)
        target["heatmaps"] = (target["heatmaps"] * active[..., None, None]).astype(np.float32)
        target["weights"] = active.astype(np.float32)
        return target

    def decode(self, heatmaps: Any) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints from network output.

        Args:
            heatmaps: (N, K, H, W) network output, H, W = heatmap_hw.

        Returns:
            keypoints (N, K, 2) float32 in input-image pixels, scores (N, K) float32.
        """
        return self._decode_checked(self.check_heatmaps(heatmaps), 1.0, 0)

    def decode_int8(self, heatmaps_q: Any, scale: Any, zero_point: Any) -> tuple[np.ndarray, np.ndarray]:
        """Decode quantized heatmaps without dequantizing them (see :mod:`edgelmk.codecs.integer`).

        Args:
            heatmaps_q: (N, K, H, W) int8 or uint8, H, W = heatmap_hw.
            scale: per-tensor output scale (real = scale * (q - zero_point)).
            zero_point: per-tensor integer zero point.

        Returns:
            keypoints (N, K, 2) float32 in input-image pixels, scores (N, K) float32
            (the dequantized peak value).

        Raises:
            NotImplementedError: for codecs whose decode is not integer-safe.
        """
        self._require_int8_decode()
        heatmaps_q, scale_value, zero_point_value = check_quantized(heatmaps_q, scale, zero_point)
        self._check_heatmap_shape(heatmaps_q.shape)
        return self._decode_checked(heatmaps_q, scale_value, zero_point_value)

    def prepared_decoder(self, dtype: Any, scale: Any = None, zero_point: Any = None
                         ) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], str]:
        """:meth:`decode` (float maps) or :meth:`decode_int8` (int8 / uint8 maps with their ``scale`` and
        ``zero_point``) prepared once for every output of one model: the runtime's decode.

        Args:
            dtype: the dtype of the maps to come.
            scale, zero_point: for int8 / uint8 maps, as for :meth:`decode_int8`, checked here, once;
                None for float maps.

        Returns:
            (decode, backend): ``decode(maps)`` returns what ``decode`` / ``decode_int8`` return for
            them (bit for bit for integer maps); ``backend`` says where it runs, ``"compiled"`` (a numba
            kernel, chosen now by :func:`edgelmk.codecs.peaks.decode_backend`) or ``"numpy"``.

        Raises:
            NotImplementedError / TypeError / ValueError: as ``decode`` / ``decode_int8`` do, and
            ValueError for a scale or zero point given with float maps.
        """
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            if scale is not None or zero_point is not None:
                raise ValueError(f"{dtype} maps are not quantized: give no scale or zero_point")
            return self.decode, "numpy"
        scale_value, zero_point_value = self._check_int8_output(dtype, scale, zero_point)
        return functools.partial(self.decode_int8, scale=scale_value, zero_point=zero_point_value), "numpy"

    def _require_int8_decode(self) -> None:
        if not self.decodes_int8:
            raise NotImplementedError(
                f"the {self.name!r} codec has no integer decode; dequantize its output and call decode(), "
                "or use a codec with an integer decode (gaussian, h3r)"
            )

    def _check_int8_output(self, dtype: Any, scale: Any, zero_point: Any) -> tuple[float, int]:
        """The scale and zero point of ``dtype`` maps as Python numbers, checked as :meth:`decode_int8` checks them."""
        self._require_int8_decode()
        _, scale_value, zero_point_value = check_quantized(np.zeros(0, dtype), scale, zero_point)
        return scale_value, zero_point_value

    def _decode_checked(self, heatmaps: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, np.ndarray]:
        """``decode`` (float maps, scale 1, zero point 0) or ``decode_int8`` (raw integers) after their
        checks: float maps with NaN or inf refused, ``_locate``, then image pixels and ``scale * peak`` scores."""
        if heatmaps.dtype.kind == "f" and not np.isfinite(heatmaps).all():
            raise ValueError(NOT_FINITE)
        xy_heatmap, peaks = self._locate(heatmaps, zero_point)
        return self.heatmap_to_image(xy_heatmap), (scale * peaks).astype(np.float32)

    def to_config(self) -> dict[str, Any]:
        """A plain dict that ``CODECS.build`` turns back into an equal codec."""
        return {"name": self.name, "input_hw": list(self.input_hw), "heatmap_hw": list(self.heatmap_hw),
                **self._options()}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.to_config().items() if key != "name")
        return f"{type(self).__name__}({options})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codec) and self.to_config() == other.to_config()

    # --- helpers for subclasses -----------------------------------------------------------

    def check_heatmaps(self, heatmaps: Any) -> np.ndarray:
        """Validate ``(N, K, H, W)`` real heatmaps of this codec's size; floats pass as they are, integers
        become float32. NaN and inf are refused where the decode reads the maps (``_decode_checked``)."""
        heatmaps = np.asarray(heatmaps)
        if heatmaps.dtype.kind not in "iuf":
            raise TypeError(f"heatmaps must be a real number array, got dtype {heatmaps.dtype}")
        self._check_heatmap_shape(heatmaps.shape)
        if heatmaps.dtype.kind != "f":
            heatmaps = heatmaps.astype(np.float32)
        return heatmaps

    def _check_heatmap_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 4:
            raise ValueError(f"heatmaps must have shape (N, K, H, W), got {shape}")
        if tuple(shape[2:]) != self.heatmap_hw:
            raise ValueError(
                f"heatmaps of size {tuple(shape[2:])} do not match this codec's heatmap_hw {self.heatmap_hw}; "
                "was the model built with another codec config?"
            )

    def heatmap_to_image(self, xy_heatmap: np.ndarray) -> np.ndarray:
        """(N, K, 2) heatmap pixels -> float32 input-image pixels."""
        return geometry.heatmap_to_image(xy_heatmap, self.input_hw, self.heatmap_hw).astype(np.float32)

    def _options(self) -> dict[str, Any]:
        """Codec-specific config keys (beyond name, input_hw, heatmap_hw)."""
        return {}

    @abc.abstractmethod
    def _encode(self, xy_heatmap: np.ndarray, active: np.ndarray, rng: np.random.Generator | None
                ) -> dict[str, np.ndarray]:
        """Targets for (N, K, 2) heatmap coordinates; inactive entries are 0 and get zeroed after."""

    @abc.abstractmethod
    def _locate(self, heatmaps: np.ndarray, zero_point: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(N, K, H, W) -> heatmap-pixel coordinates (N, K, 2) float64 and scores (N, K).

        Codecs with ``decodes_int8`` must also accept raw int8 / uint8 maps with their
        ``zero_point`` (0 for float maps), keep integer arithmetic (see
        :mod:`edgelmk.codecs.peaks`) and return the integer activation ``q - zero_point`` of
        the peak as score.
        """
