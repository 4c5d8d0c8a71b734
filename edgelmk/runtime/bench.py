"""``edgelmk bench``: latency of an exported model by stage, throughput, peak memory, file size.

Each run is the whole deployed path on one 640x480 frame: crop the box and quantize the input
(preprocess), the interpreter (inference), the codec (decode). ``--pipeline`` times
:meth:`edgelmk.runtime.Pipeline.process` on a photo instead (detect, crop, inference, decode).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from edgelmk.runtime.model import LandmarkModel

STAGES = ("preprocess", "inference", "decode", "total")
FRAME_HW = (480, 640)


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _check_counts(runs: int, warmup: int, threads: int) -> None:
    if runs < 1 or warmup < 0 or threads < 1:
        raise ValueError(f"need runs >= 1, warmup >= 0 and threads >= 1 (got runs={runs}, warmup={warmup}, "
                         f"threads={threads})")


def bench(model_path: str | Path, threads: int = 1, runs: int = 100, warmup: int = 10,
          progress=None) -> dict[str, Any]:
    """Time ``runs`` predictions after ``warmup`` untimed ones.

    Returns:
        model, interpreter, threads, runs, file size (bytes), peak memory (MiB), per stage
        p50/p90/p99/mean in milliseconds, throughput (predictions per second), and where the
        decode ran (``decode_backend``: :attr:`LandmarkModel.decode_backend`).
    """
    _check_counts(runs, warmup, threads)
    model = LandmarkModel(model_path, threads)
    frame = np.random.default_rng(0).integers(0, 256, (*FRAME_HW, 3), dtype=np.uint8)
    box = (160.0, 80.0, 480.0, 400.0)
    for _ in range(warmup):
        model.predict(frame, box)
    samples = {stage: [] for stage in STAGES}
    started = time.perf_counter()
    for _ in range(runs):
        model.predict(frame, box)
        for stage in STAGES[:-1]:
            samples[stage].append(model.timings[stage] * 1000)
        samples["total"].append(sum(model.timings.values()) * 1000)
        if progress:
            progress(1)
    elapsed = time.perf_counter() - started
    latency = _percentiles(samples)
    return {"decode_backend": model.decode_backend,
            "model": str(model_path), "target": model.sidecar["target"], "interpreter": model.interpreter.name,
            "threads": threads, "runs": runs, "warmup": warmup, "file_bytes": Path(model_path).stat().st_size,
            "peak_memory_mib": peak_memory_mib(), "latency_ms": latency, "throughput_per_s": runs / elapsed}


def _stage_rows(latency: dict[str, dict[str, float]]) -> list[str]:
    """The header and one line per stage of a latency table (p50, p90, p99, mean in ms)."""
    return [f"{'stage':<12}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'mean ms':>10}",
            *(f"{stage:<12}" + "".join(f"{values[key]:>10.3f}" for key in ("p50", "p90", "p99", "mean"))
              for stage, values in latency.items())]


def format_report(report: dict[str, Any]) -> str:
    """The bench report as a small text table."""
    lines = [f"{report['model']} ({report['target']}, {report['interpreter']}, {report['threads']} thread(s), "
             f"{report['runs']} runs after {report['warmup']} warm-up, {report['decode_backend']} decode)",
             *_stage_rows(report["latency_ms"]),
             f"throughput {report['throughput_per_s']:.1f}/s, peak memory {report['peak_memory_mib']:.0f} MiB, "
             f"file {report['file_bytes'] / 1024:,.0f} KiB"]
    return "\n".join(lines)


PIPELINE_STAGES = ("detect", "crop", "inference", "decode", "total")


def bench_pipeline(model_path: str | Path, image: np.ndarray, detector: str = "auto", threads: int = 1,
                   runs: int = 100, warmup: int = 10, progress=None, log=None) -> dict[str, Any]:
    """End-to-end latency of :meth:`edgelmk.runtime.Pipeline.process` on one image, per stage.

    Returns:
        model, detector, threads, runs, faces found, and per stage (detect, crop, inference,
        decode, total) p50/p90/p99/mean in milliseconds.
    """
    from edgelmk.runtime.pipeline import Pipeline

    _check_counts(runs, warmup, threads)
    pipeline = Pipeline(model_path, detector, tracking=False, smoothing="off", threads=threads, log=log)
    for _ in range(warmup):
        pipeline.process(image)
    samples = {stage: [] for stage in PIPELINE_STAGES}
    for _ in range(runs):
        started = time.perf_counter()
        faces = pipeline.process(image)
        samples["total"].append((time.perf_counter() - started) * 1000)
        for stage in PIPELINE_STAGES[:-1]:
            samples[stage].append(pipeline.timings.get(stage, 0.0) * 1000)
        if progress:
            progress(1)
    return {"model": str(model_path), "detector": pipeline.detector.name, "threads": threads, "runs": runs,
            "warmup": warmup, "faces": len(faces), "image_hw": list(image.shape[:2]),
            "latency_ms": _percentiles(samples), "peak_memory_mib": peak_memory_mib()}


def _percentiles(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {stage: {"p50": float(np.percentile(values, 50)), "p90": float(np.percentile(values, 90)),
                    "p99": float(np.percentile(values, 99)), "mean": float(np.mean(values))}
            for stage, values in samples.items()}


def format_pipeline_report(report: dict[str, Any]) -> str:
    """The pipeline bench report as a small text table."""
    height, width = report["image_hw"]
    lines = [f"{report['model']} + {report['detector']} on a {width}x{height} image ({report['faces']} face(s), "
             f"{report['threads']} thread(s), {report['runs']} runs after {report['warmup']} warm-up)",
             *_stage_rows(report["latency_ms"])]
    return "\n".join(lines)
