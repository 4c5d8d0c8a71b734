"""The pipeline with a stand-in model and detector: every face, tracking, re-detection, ids, smoothing."""

import numpy as np
import pytest

from edgelmk.runtime import Pipeline
from edgelmk.runtime.detectors import Detection, Detector


class Boxes(Detector):
    """Finds the boxes it is told, per call; counts its calls."""

    name = "stand_in"

    def __init__(self, *boxes_per_call):
        self.boxes_per_call, self.calls = list(boxes_per_call), 0

    def detect(self, image):
        boxes = self.boxes_per_call[min(self.calls, len(self.boxes_per_call) - 1)]
        self.calls += 1
        return [Detection(np.asarray(b, np.float32), 1.0 - 0.1 * i) for i, b in enumerate(boxes)]


class Corners:
    """A 'model' whose keypoints are the corners of the face drawn in the image (bright pixels) inside
    the box plus a quarter margin (as a real model's crop has); its score is the fraction of that crop that
    is bright."""

    scheme = "cofw"

    def predict(self, image, box):
        margin = 0.25 * max(box[2] - box[0], box[3] - box[1])
        x0, y0, x1, y1 = (int(round(v)) for v in (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin))
        window = image[max(y0, 0):y1 + 1, max(x0, 0):x1 + 1, 0] > 0
        ys, xs = np.nonzero(window)
        if not len(xs):
            return np.array([[x0, y0], [x1, y1]], np.float32), np.zeros(2, np.float32)
        points = np.array([[xs.min(), ys.min()], [xs.max(), ys.max()]], np.float32) + [max(x0, 0), max(y0, 0)]
        return points, np.full(2, window.mean(), np.float32)


def frame_with(*squares, size=200):
    image = np.zeros((size, size, 3), np.uint8)
    for x0, y0, x1, y1 in squares:
        image[y0:y1 + 1, x0:x1 + 1] = 255
    return image


def test_process_returns_every_face_in_its_calibrated_box():
    detector = Boxes([[8, 8, 52, 52], [108, 98, 152, 142]])
    pipeline = Pipeline(Corners(), detector, log=None)
    faces = pipeline.process(frame_with((10, 10, 50, 50), (110, 100, 150, 140)))
    assert len(faces) == 2 and all(f.id is None for f in faces)
    np.testing.assert_allclose(faces[1].keypoints, [[110, 100], [150, 140]])
    assert faces[0].detection.score == 1.0 and set(pipeline.timings) == {"detect", "landmarks"}
    assert Pipeline(Corners(), Boxes([[8, 8, 52, 52], [108, 98, 152, 142]]), max_faces=1, log=None) \
        .process(frame_with((10, 10, 50, 50))).__len__() == 1
    assert Pipeline(Corners(), Boxes([]), log=None).process(np.zeros((50, 60), np.uint16)) == []


def test_tracking_follows_the_landmarks_and_detects_only_every_n_frames():
    detector = Boxes([[18, 18, 62, 62]])
    pipeline = Pipeline(Corners(), detector, smoothing="off", redetect_every=5, log=None)
    frames = [frame_with((20 + 2 * t, 20, 60 + 2 * t, 60)) for t in range(12)]
    results = list(pipeline.stream(frames, fps=30))
    assert detector.calls == 3  # frames 0, 5, 10
    assert [faces[0].id for faces in results] == [0] * 12
    np.testing.assert_allclose(results[11][0].keypoints, [[42, 20], [82, 60]])
    assert results[3][0].detection is None and results[5][0].detection is not None
    # the box of frame t is the landmark box of frame t - 1 moved by the face's velocity (2 px a frame)
    np.testing.assert_allclose(results[4][0].box, [28, 20, 68, 60])
    still = list(Pipeline(Corners(), Boxes([[18, 18, 62, 62]]), smoothing="off", redetect_every=5, box_motion=0,
                          log=None).stream(frames, fps=30))
    np.testing.assert_allclose(still[4][0].box, [26, 20, 66, 60])  # without box motion: the landmark box itself


def test_box_motion_averages_the_steps_and_eases_off_when_the_face_stops():
    frames = [frame_with((20 + 2 * min(t, 5), 20, 60 + 2 * min(t, 5), 60)) for t in range(10)]  # stops at frame 5
    pipeline = Pipeline(Corners(), Boxes([[18, 18, 62, 62]]), smoothing="off", redetect_every=100, box_motion=0.5,
                        log=None)
    results = list(pipeline.stream(frames, fps=25))
    assert [float(faces[0].box[0]) for faces in results] == [18, 20, 24, 26, 28, 30, 32, 31, 30.5, 30.25]
    assert all(np.allclose(faces[0].keypoints[0], [20 + 2 * min(t, 5), 20]) for t, faces in enumerate(results))


def test_detect_every_frame_without_tracking():
    detector = Boxes([[18, 18, 62, 62]])
    list(Pipeline(Corners(), detector, tracking=False, smoothing="off", log=None).stream([frame_with((20, 20, 60, 60))] * 4))
    assert detector.calls == 4


def test_a_lost_face_is_detected_again_and_a_new_face_gets_a_new_id():
    detector = Boxes([[18, 18, 62, 62]], [[118, 118, 162, 162]])
    pipeline = Pipeline(Corners(), detector, smoothing="off", redetect_every=100, log=None)
    frames = [frame_with((20, 20, 60, 60))] * 3 + [frame_with((120, 120, 160, 160))] * 3
    results = list(pipeline.stream(frames))
    assert [len(faces) for faces in results] == [1, 1, 1, 0, 1, 1]  # lost on frame 3: its box went dark
    assert results[4][0].id == 1 and results[4][0].detection is not None and detector.calls == 2


def test_landmarks_spreading_onto_the_background_send_the_face_back_to_the_detector():
    # a bright bar beside the face: each frame's landmark box reaches a margin further along it
    frames = [frame_with((20, 20, 60, 60), (60, 35, 199, 45))] * 8
    shown, widths = {}, {}
    for max_resize in (0.25, 1e9):
        detector = Boxes([[20, 20, 60, 60]])
        results = list(Pipeline(Corners(), detector, smoothing="off", redetect_every=100, max_resize=max_resize,
                                log=None).stream(frames))
        shown[max_resize] = [[f.id for f in faces] for faces in results]
        widths[max_resize] = [float(f.box[2] - f.box[0]) for faces in results for f in faces]
    assert shown[0.25] == [[0]] * 8 and max(widths[0.25]) <= 40 * 1.25  # re-detected as soon as it widened
    # without the test the box spreads until the landmark score gives up: a frame without the face
    assert [] in shown[1e9] and max(widths[1e9]) > 40 * 1.5


def test_unreadable_frames_yield_nothing_and_tracks_carry_on():
    pipeline = Pipeline(Corners(), Boxes([[18, 18, 62, 62]]), log=None)
    results = list(pipeline.stream([frame_with((20, 20, 60, 60)), None, frame_with((20, 20, 60, 60))]))
    assert results[1] == [] and results[2][0].id == 0


def test_two_tracks_on_one_face_become_one():
    pipeline = Pipeline(Corners(), Boxes([[15, 15, 65, 65], [22, 22, 58, 58]]), smoothing="off", log=None)
    results = list(pipeline.stream([frame_with((20, 20, 60, 60))] * 3))
    assert [len(faces) for faces in results] == [1, 1, 1]


def test_smoothing_holds_still_points_and_smooths_noise():
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(40):
        dx, dy = rng.integers(-1, 2, 2)
        frames.append(frame_with((40 + dx, 40 + dy, 100 + dx, 100 + dy)))
    raw = [f[0].keypoints for f in Pipeline(Corners(), Boxes([[38, 38, 102, 102]]), smoothing="off", log=None)
           .stream(frames)]
    pipeline = Pipeline(Corners(), Boxes([[38, 38, 102, 102]]), log=None)
    smooth = [f[0].keypoints for f in pipeline.stream(frames)]
    assert np.std(np.diff(smooth[10:], axis=0)) < np.std(np.diff(raw[10:], axis=0)) / 2
    assert "filter" in pipeline.timings


def test_a_missing_calibration_is_said_and_bad_options_refused(tmp_path):
    notes = []
    Pipeline(Corners(), Boxes([]), log=notes.append)
    assert "no box calibration of detector 'stand_in' for scheme 'cofw'" in notes[0]
    with pytest.raises(ValueError, match="smoothing must be one of one-euro, off"):
        Pipeline(Corners(), Boxes([]), smoothing="kalman", log=None)
    with pytest.raises(ValueError, match="max_resize > 0"):
        Pipeline(Corners(), Boxes([]), max_resize=0, log=None)
    with pytest.raises(ValueError, match="0 <= box_motion <= 1"):
        Pipeline(Corners(), Boxes([]), box_motion=1.5, log=None)
    with pytest.raises(ValueError, match="redetect_every >= 1"):
        Pipeline(Corners(), Boxes([]), redetect_every=0, log=None)
    (tmp_path / "c.json").write_text('{"calibrations": []}')
    with pytest.raises(ValueError, match="no calibration of detector 'stand_in' for scheme 'cofw'"):
        Pipeline(Corners(), Boxes([]), calibration=tmp_path / "c.json", log=None)


def test_a_followed_face_survives_a_detector_that_misses_it_twice_not_three_times():
    detector = Boxes([[18, 18, 62, 62]], [], [], [])
    pipeline = Pipeline(Corners(), detector, smoothing="off", redetect_every=2, log=None)
    results = list(pipeline.stream([frame_with((20, 20, 60, 60))] * 8))
    assert detector.calls == 5  # frames 0, 2, 4, 6 (the third miss: it ends), then 7 (nothing followed)
    assert [[f.id for f in faces] for faces in results] == [[0]] * 6 + [[], []]
