"""Keypoints for an image, a folder of images or a video: drawn overlays plus one JSON of coordinates.

Used by ``edgelmk predict`` for checkpoints and exported models alike: it only needs a function
``predict(image, box) -> (keypoints (K, 2) in image pixels, scores (K,))``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from edgelmk import optional
from edgelmk.preprocess import IMAGE_SUFFIXES, load_image
from edgelmk.viz import draw_keypoints, write_png

if TYPE_CHECKING:  # only the names and edges of a layout are used
    from edgelmk.data.skeletons import Skeleton

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
MAX_PIXELS = 100_000_000  # larger images are refused: downscale them first

Predict = Callable[[np.ndarray, Sequence[float] | None], tuple[np.ndarray, np.ndarray]]


def source_kind(source: Path) -> str:
    """``image``, ``dir`` or ``video``; a ValueError for anything else."""
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


def frames(source: Path) -> Iterator[tuple[str, int | None, np.ndarray]]:
    """(file name, frame index or None, RGB uint8 image) for an image, each image of a folder, or each video frame."""
    kind = source_kind(source)
    if kind == "image":
        yield source.name, None, _checked(load_image(source), str(source))
    elif kind == "dir":
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{source}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        for path in files:
            yield path.name, None, _checked(load_image(path), str(path))
    else:
        cv2 = optional.cv2()
        video = cv2.VideoCapture(str(source))
        if not video.isOpened():
            raise ValueError(f"{source}: OpenCV cannot open this video")
        index = 0
        try:
            while True:
                ok, frame = video.read()
                if not ok:
                    break
                yield source.name, index, _checked(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), f"{source} frame {index}")
                index += 1
        finally:
            video.release()
        if index == 0:
            raise ValueError(f"{source}: the video has no readable frames")


def annotate(predict: Predict, source: str | Path, out: str | Path, skeleton: Skeleton,
             box: Sequence[float] | None = None, log: Callable[[str], Any] = print) -> dict:
    """Predict every image or frame of ``source``, draw the keypoints, write them to JSON.

    Output: for one image, ``out`` is the drawn PNG (``.png`` / ``.jpg``) and the JSON is written
    beside it with the same stem; otherwise ``out`` is a folder receiving one drawn PNG per
    image (or ``<video stem>.mp4`` for a video) and ``keypoints.json``.

    Returns:
        The JSON content: ``keypoint_names`` and ``items`` (source, frame, box, keypoints in
        image pixels, scores).
    """
    source, out = Path(source), Path(out)
    kind = source_kind(source)
    single = kind == "image" and out.suffix.lower() in IMAGE_SUFFIXES
    json_path = out.with_suffix(".json") if single else out / "keypoints.json"
    items, writer = [], None
    try:
        for name, frame, image in frames(source):
            height, width = image.shape[:2]
            frame_box = list(box) if box else [0.0, 0.0, width - 1.0, height - 1.0]
            keypoints, scores = predict(image, frame_box)
            drawn = draw_keypoints(image, keypoints, np.ones(len(keypoints)), skeleton,
                                   radius=max(1.0, max(height, width) / 300))
            if kind == "video":
                writer = writer or _video_writer(out / f"{Path(name).stem}.mp4", width, height, _fps(source))
                writer.write(optional.cv2().cvtColor(drawn, optional.cv2().COLOR_RGB2BGR))
            else:
                write_png(out if single else out / f"{Path(name).stem}.png", drawn)
            items.append({"source": name, "frame": frame, "box": [float(v) for v in frame_box],
                          "keypoints": np.round(keypoints, 3).tolist(), "scores": np.round(scores, 4).tolist()})
    finally:
        if writer is not None:
            writer.release()
    content = {"keypoint_names": list(skeleton.keypoint_names), "items": items}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(content) + "\n")
    log(f"wrote {len(items)} prediction(s) to {json_path}")
    return content


def _fps(video_path: Path) -> float:
    """The frame rate of a video (25 when the file does not say)."""
    cv2 = optional.cv2()
    video = cv2.VideoCapture(str(video_path))
    fps = video.get(cv2.CAP_PROP_FPS)
    video.release()
    return fps if fps and fps > 0 else 25.0


def _video_writer(path: Path, width: int, height: int, fps: float):
    cv2 = optional.cv2()
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"could not write the video {path}")
    return writer
