"""Keypoints of every face in an image, a folder of images, a video or a camera: drawn overlays plus one JSON.

Used by ``edgelmk predict`` for checkpoints and exported models alike, through a
:class:`edgelmk.runtime.Pipeline` (detector, tracker, smoothing) or, with a fixed box, the
model alone.

JSON written (coordinates in image pixels, boxes x0, y0, x1, y1):

- one image, ``--out X.png``: ``X.json`` = ``{"keypoint_names", "source", "faces": [face, ...]}``
- a folder, a video or a camera, ``--out DIR``: ``DIR/keypoints.json`` =
  ``{"keypoint_names", "items": [{"source", "frame", "faces": [face, ...]}, ...]}``, one item
  per image or frame (``frame`` is None for images)

where a face is :meth:`edgelmk.runtime.pipeline.Face.to_json`: ``id`` (the track id on video),
``box``, ``keypoints``, ``scores`` and ``detector`` (the detector's own box, score, keypoints).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from edgelmk import optional
from edgelmk.preprocess import IMAGE_SUFFIXES, load_image
from edgelmk.viz import draw_keypoints, write_png

if TYPE_CHECKING:  # only the names and edges of a layout are used
    from edgelmk.data.skeletons import Skeleton
    from edgelmk.runtime.pipeline import Face, Pipeline

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
MAX_PIXELS = 100_000_000  # larger images are refused: downscale them first
MAX_UNREADABLE = 25  # a video stops after this many unreadable frames in a row
BOX_COLOUR = (255, 200, 0)


def source_kind(source: Path | int) -> str:
    """``image``, ``dir``, ``video`` or ``camera`` (an int); a ValueError for anything else."""
    if isinstance(source, int):
        return "camera"
    if source.is_dir():
        return "dir"
    if not source.is_file():
        raise ValueError(f"{source}: no such image, video or folder")
    if source.suffix.lower() in IMAGE_SUFFIXES:
        return "image"
    if source.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    raise ValueError(f"{source}: unknown file type {source.suffix!r}; give an image ({', '.join(IMAGE_SUFFIXES)}), "
                     f"a video ({', '.join(VIDEO_SUFFIXES)}) or a folder of images")


def _checked(image: np.ndarray, name: str) -> np.ndarray:
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ValueError(f"{name}: {image.shape[1]}x{image.shape[0]} pixels is more than {MAX_PIXELS:,}; downscale it "
                         "first (landmark crops are small: nothing is gained from such a size)")
    return image


def open_video(source: Path | int):
    """An opened ``cv2.VideoCapture`` of a video file or a camera index; a ValueError when it cannot be opened."""
    cv2 = optional.cv2()
    video = cv2.VideoCapture(source if isinstance(source, int) else str(source))
    if not video.isOpened():
        what = f"camera {source} cannot be opened (is it connected, and free?)" if isinstance(source, int) else \
            f"{source}: OpenCV cannot open this video"
        raise ValueError(what)
    return video


def frame_rate(video) -> float:
    """The frame rate a capture reports (25 when it does not say)."""
    fps = video.get(optional.cv2().CAP_PROP_FPS)
    return fps if fps and 0 < fps < 1000 else 25.0


def video_frames(video, name: str, log: Callable[[str], Any] = print, limit: int | None = None
                 ) -> Iterator[tuple[str, int, np.ndarray | None]]:
    """(name, frame index, RGB image or None) for each frame; None for a frame that cannot be decoded
    (said in the log), and the video ends after :data:`MAX_UNREADABLE` such frames in a row."""
    cv2 = optional.cv2()
    index, unreadable = 0, 0
    try:
        while limit is None or index < limit:
            ok = video.grab()
            frame = video.retrieve()[1] if ok else None
            if frame is None:
                total = int(video.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
                if index >= total - 1 or unreadable >= MAX_UNREADABLE:
                    break
                log(f"{name} frame {index}: unreadable, skipped")
                unreadable += 1
                yield name, index, None
            else:
                unreadable = 0
                yield name, index, _checked(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), f"{name} frame {index}")
            index += 1
    finally:
        video.release()
    if index == 0:
        raise ValueError(f"{name}: the video has no readable frames")


def images(source: Path) -> Iterator[tuple[str, None, np.ndarray]]:
    """(file name, None, RGB uint8 image, EXIF orientation applied) for an image or each image of a folder."""
    paths = [source] if source.is_file() else sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise ValueError(f"{source}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
    for path in paths:
        yield path.name, None, _checked(load_image(path, exif_orientation=True), str(path))


def draw_faces(image: np.ndarray, faces: Sequence[Face], skeleton: Skeleton) -> np.ndarray:
    """The image with each face's box, track id and keypoints drawn."""
    cv2 = optional.cv2()
    height, width = image.shape[:2]
    drawn = image.copy()
    thickness = max(1, round(max(height, width) / 400))
    for face in faces:
        x0, y0, x1, y1 = (int(round(v)) for v in face.box)
        cv2.rectangle(drawn, (x0, y0), (x1, y1), BOX_COLOUR, thickness, cv2.LINE_AA)
        if face.id is not None:
            cv2.putText(drawn, str(face.id), (x0, max(y0 - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, thickness * 0.5,
                        BOX_COLOUR, thickness, cv2.LINE_AA)
        drawn = draw_keypoints(drawn, face.keypoints, np.ones(len(face.keypoints)), skeleton,
                               radius=max(1.0, (face.box[2] - face.box[0]) / 60))
    return drawn


def has_display() -> bool:
    """Whether a window can be shown (a desktop session; never under CI)."""
    if os.environ.get("CI"):
        return False
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Window:
    """A live OpenCV window, or a message saying why there is none."""

    def __init__(self, wanted: bool, log):
        self.open = False
        if not wanted:
            return
        if not has_display():
            log("no display here: the live window is off (the overlays and JSON are still written)")
            return
        self.open, self.log = True, log

    def show(self, image: np.ndarray) -> bool:
        """Show a frame; False once the user pressed q or Esc."""
        if not self.open:
            return True
        cv2 = optional.cv2()
        try:
            cv2.imshow("edgelmk", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)
        except cv2.error:
            self.log("this OpenCV has no GUI (opencv-python-headless): the live window is off; "
                     "pip install opencv-python for one")
            self.open = False
            return True


def annotate(pipeline: Pipeline, source: str | Path | int, out: str | Path, skeleton: Skeleton,
             box: Sequence[float] | None = None, show: bool = False, max_frames: int | None = None,
             log: Callable[[str], Any] = print) -> dict:
    """Find and predict every face of ``source``, draw them, write the JSON (module docstring).

    Args:
        pipeline: the detector + model + tracker (its ``tracking`` and ``smoothing`` apply to videos).
        source: an image, a folder of images, a video file, or a camera index (int).
        out: the drawn PNG for one image (``.png`` / ``.jpg``; the JSON gets the same stem),
            otherwise a folder (one PNG per image, or ``<video stem>.mp4``, and ``keypoints.json``).
        box: a fixed box for every image (no detector).
        show: also show a live window where a display exists.
        max_frames: stop a video or camera after this many frames.

    Returns:
        The JSON content.
    """
    source = source if isinstance(source, int) else Path(source)
    out = Path(out)
    kind = source_kind(source)
    single = kind == "image" and out.suffix.lower() in IMAGE_SUFFIXES
    json_path = out.with_suffix(".json") if single else out / "keypoints.json"
    items, writer, window = [], None, _Window(show, log)
    is_video = kind in ("video", "camera")
    video = open_video(source) if is_video else None
    name = f"camera{source}" if kind == "camera" else source.name
    frames = video_frames(video, name, log, max_frames) if is_video else images(source)

    def faces_of() -> Iterator[tuple[str, int | None, np.ndarray | None, list[Face]]]:
        if box is not None:
            for file, frame, image in frames:
                yield file, frame, image, [] if image is None else [pipeline.in_box(image, box)]
        elif is_video:
            held: list = []

            def remembered():
                for entry in frames:
                    held.append(entry)
                    yield entry[2]
            for faces in pipeline.stream(remembered(), fps=frame_rate(video)):
                file, frame, image = held.pop(0)
                yield file, frame, image, faces
        else:
            for file, frame, image in frames:
                found = pipeline.process(image)
                if not found:
                    log(f"{file}: no {pipeline.kind} found by {pipeline.detector.name} (it misses {pipeline.kind}s "
                        f"under {pipeline.detector.min_size} px; give a --box, or try another --detector)")
                yield file, frame, image, found

    try:
        for file, frame, image, faces in faces_of():
            items.append({"source": file, "frame": frame, "faces": [face.to_json() for face in faces]})
            if image is None:
                continue
            drawn = draw_faces(image, faces, skeleton)
            if is_video:
                height, width = image.shape[:2]
                writer = writer or _video_writer(out / f"{Path(name).stem}.mp4", width, height, frame_rate(video))
                writer.write(optional.cv2().cvtColor(drawn, optional.cv2().COLOR_RGB2BGR))
                if not window.show(drawn):
                    break
            else:
                write_png(out if single else out / f"{Path(file).stem}.png", drawn)
    finally:
        if writer is not None:
            writer.release()
    names = list(skeleton.keypoint_names)
    content = ({"keypoint_names": names, "source": items[0]["source"], "faces": items[0]["faces"]} if single
               else {"keypoint_names": names, "items": items})
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(content) + "\n")
    count = sum(len(item["faces"]) for item in items)
    log(f"wrote {count} face(s) in {len(items)} image(s)/frame(s) to {json_path}")
    return content


def _video_writer(path: Path, width: int, height: int, fps: float):
    cv2 = optional.cv2()
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"could not write the video {path}")
    return writer
