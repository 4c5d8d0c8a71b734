"""The export targets: one row per target, read by ``edgelmk export``, the runtime and the CLI.

Each row says which file a target writes (suffix), which function writes it (``exporter``, a
``module:function`` of :mod:`edgelmk.export`, imported only when exporting), which interpreter
runs it (``interpreter``, a name in :data:`edgelmk.runtime.interpreters.INTERPRETERS`), the
precisions it can express, its int8 rule and the training backends whose checkpoints it takes.

Adding a target is adding a row here, an exporter and, for a new kind of file, an interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgelmk.architecture import KERAS_PRECISIONS, PRECISIONS
from edgelmk.errors import EdgelmkError


@dataclass(frozen=True)
class ExportTarget:
    """One export target.

    Attributes:
        name: the ``--target`` value.
        suffix: suffix of the model file (``model<suffix>``).
        exporter: ``module:function`` writing the file: ``(model, codec, path, int8, calibration crops)
            -> sidecar tensor entries``.
        interpreter: the runtime interpreter that runs the file.
        precisions: model precisions the target can express.
        runs: those precisions in words, for messages.
        int8: whether ``--int8`` (full-integer quantization) is possible.
        int8_only: precisions that export to this target only with ``--int8``.
        backends: training backends whose checkpoints export to this target.
        help: one line for ``edgelmk export --help``.
    """

    name: str
    suffix: str
    exporter: str
    interpreter: str
    precisions: tuple[str, ...]
    runs: str
    int8: bool
    int8_only: tuple[str, ...]
    backends: tuple[str, ...]
    help: str


TARGETS: dict[str, ExportTarget] = {target.name: target for target in (
    ExportTarget("onnx", ".onnx", "edgelmk.export.to_onnx:export_onnx", "onnxruntime", tuple(PRECISIONS),
                 "fp32, w8a8 and w1a1", int8=True, int8_only=("w8a8",), backends=("torch",),
                 help="onnx (onnxruntime; float, or int8 QDQ / Brevitas QCDQ with --int8)"),
    ExportTarget("tflite", ".tflite", "edgelmk.export.to_tflite:export_tflite", "litert", KERAS_PRECISIONS,
                 "fp32 and w1a1 (through the Keras mirror)", int8=True, int8_only=(), backends=("torch", "larq"),
                 help="tflite (LiteRT; float, or full-integer int8 with --int8)"),
    ExportTarget("lce", ".tflite", "edgelmk.export.to_tflite:export_lce", "lce", ("w1a1",), "binarized (w1a1)",
                 int8=False, int8_only=(), backends=("torch", "larq"),
                 help="lce (Larq Compute Engine binary kernels, w1a1 only)"),
)}


def target_named(name: str) -> ExportTarget:
    """The row of a target name.

    Raises:
        EdgelmkError: for an unknown name, listing the known ones.
    """
    if name not in TARGETS:
        raise EdgelmkError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    return TARGETS[name]


def _alternatives(precision: str, int8: bool = False) -> str:
    """'--target X [--int8]' for every target that can export ``precision`` (as int8 when ``int8``)."""
    return " or ".join(f"--target {target.name}" + (" --int8" if int8 or precision in target.int8_only else "")
                       for target in TARGETS.values() if precision in target.precisions and (target.int8 or not int8))


def check_target(precision: str, target_name: str, int8: bool, backend: str = "torch",
                 backend_label: str = "PyTorch") -> ExportTarget:
    """The row of ``target_name`` if it can export this checkpoint, else an error naming what would work.

    Args:
        precision: the checkpoint's precision (fp32, w8a8, w1a1).
        target_name: the ``--target`` value.
        int8: whether ``--int8`` was asked for.
        backend, backend_label: the training backend of the checkpoint and its name in words.

    Raises:
        EdgelmkError: before any data is loaded.
    """
    target = target_named(target_name)
    if backend not in target.backends:
        usable = " or ".join(t.name for t in TARGETS.values() if backend in t.backends)
        raise EdgelmkError(f"a {backend_label} checkpoint exports to --target {usable}; for --target {target.name} "
                           f"train with model.backend={' or '.join(target.backends)}")
    if precision not in target.precisions:
        raise EdgelmkError(f"target {target.name} runs {target.runs} models; this checkpoint is {precision}: use "
                           f"{_alternatives(precision)}")
    if int8 and not target.int8:
        raise EdgelmkError(f"target {target.name} keeps float input and output: drop --int8, or use "
                           f"{_alternatives(precision, int8=True)} for a full-integer model")
    if precision in target.int8_only and not int8:
        raise EdgelmkError(f"a {precision} checkpoint exports to {target.name} as int8 only: add --int8")
    return target
