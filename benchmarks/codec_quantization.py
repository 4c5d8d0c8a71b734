"""Round-trip error and decode speed of every heatmap codec (a table, not a test).

For a 256x256 input and heatmaps of 8, 16, 32 and 64 pixels, each codec encodes random
sub-pixel keypoints and decodes its own ideal output; the table gives the error in input
pixels next to the theory for vanilla rounding (uniform error per axis: mean 0.3826 s,
max s / sqrt(2) for stride s), and decode speed in keypoints per second for the float path
(``decode`` on float32 maps) and the integer path (``decode_int8`` on int8 maps). h3r's window
decode runs compiled when numba is installed; the "numpy" columns time the numpy path of the same
decode in the same run.

Keypoints are drawn inside the hull of the heatmap pixel centres ([s/2 - 0.5, 256 - s/2 - 0.5]
per axis), where the quantization theory applies; in the band of s/2 pixels along the
border every grid codec clamps to the outermost pixel.

"Ideal output" per codec: the target itself (gaussian, h3r); for DSNT, whose decode takes
logits, the log of its regularizers' Gaussian target. One h3r row uses a single stochastic
target per keypoint, i.e. one training draw, not the network's expected output.

Usage: python benchmarks/codec_quantization.py [--keypoints 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from edgelmk.codecs import CODECS
from edgelmk.codecs.integer import quantize_per_tensor
from edgelmk.codecs.peaks import using_decode_backend

INPUT_SIZE = 256
HEATMAP_SIZES = (8, 16, 32, 64)
KEYPOINTS_PER_SAMPLE = 10
MEAN_ROUNDING_ERROR = (np.sqrt(2) + np.arcsinh(1)) / 6  # mean distance to a uniform point of a unit square

ROWS = [
    ("gaussian (sigma 1)", {"name": "gaussian", "sigma": 1.0}),
    ("h3r expected, one-hot", {"name": "h3r", "target": "expected"}),
    ("h3r stochastic draw, one-hot", {"name": "h3r", "target": "stochastic", "seed": 0}),
    ("h3r expected, gaussian kernel", {"name": "h3r", "target": "expected", "kernel": "gaussian"}),
    ("dsnt (sigma 1)", {"name": "dsnt", "sigma": 1.0}),
]


def best_time(function, repeats: int = 3) -> float:
    """Fastest of a few runs, in seconds (least disturbed by other load)."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def measure(config: dict, heatmap_size: int, keypoints: np.ndarray) -> dict:
    codec = CODECS.build({**config, "input_hw": [INPUT_SIZE] * 2, "heatmap_hw": [heatmap_size] * 2})
    heatmaps = codec.encode(keypoints)["heatmaps"]
    if config["name"] == "dsnt":
        heatmaps = np.log(heatmaps + 1e-30)
    decoded, _ = codec.decode(heatmaps)
    errors = np.linalg.norm(decoded - keypoints, axis=-1)
    count = keypoints.shape[0] * keypoints.shape[1]
    result = {"mean": errors.mean(), "max": errors.max(), "float_kps": count / best_time(lambda: codec.decode(heatmaps))}
    if codec.prepared_decoder(heatmaps.dtype)[1] == "compiled":
        with using_decode_backend("numpy"):
            result["float_numpy_kps"] = count / best_time(lambda: codec.decode(heatmaps))
    if codec.decodes_int8:
        q, scale, zero_point = quantize_per_tensor(heatmaps)
        result["int8_kps"] = count / best_time(lambda: codec.decode_int8(q, scale, zero_point))
        if codec.prepared_decoder(q.dtype, scale, zero_point)[1] == "compiled":
            with using_decode_backend("numpy"):
                result["int8_numpy_kps"] = count / best_time(lambda: codec.decode_int8(q, scale, zero_point))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keypoints", type=int, default=10_000, help="random keypoints per heatmap size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    samples = max(1, args.keypoints // KEYPOINTS_PER_SAMPLE)
    print(f"input {INPUT_SIZE}x{INPUT_SIZE}, {samples * KEYPOINTS_PER_SAMPLE} keypoints per heatmap size, "
          f"errors in input pixels, speed in keypoints/s (batches of {samples}x{KEYPOINTS_PER_SAMPLE})\n")
    print("| heatmap | codec | mean error | max error | vanilla theory mean / max | float decode kp/s "
          "| float numpy decode kp/s | int8 decode kp/s | int8 numpy decode kp/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for heatmap_size in HEATMAP_SIZES:
        stride = INPUT_SIZE / heatmap_size
        low, high = stride / 2 - 0.5, INPUT_SIZE - stride / 2 - 0.5
        keypoints = rng.uniform(low, high, (samples, KEYPOINTS_PER_SAMPLE, 2)).astype(np.float32)
        theory = f"{MEAN_ROUNDING_ERROR * stride:.3f} / {stride / np.sqrt(2):.3f}"
        for label, config in ROWS:
            result = measure(config, heatmap_size, keypoints)
            int8 = f"{result['int8_kps']:,.0f}" if "int8_kps" in result else "n/a (softmax)"
            float_numpy, int8_numpy = (f"{result[key]:,.0f}" if key in result else "(the same path)"
                                       for key in ("float_numpy_kps", "int8_numpy_kps"))
            print(f"| {heatmap_size}x{heatmap_size} | {label} | {result['mean']:.4f} | {result['max']:.4f} | {theory} "
                  f"| {result['float_kps']:,.0f} | {float_numpy} | {int8} | {int8_numpy} |")


if __name__ == "__main__":
    main()
