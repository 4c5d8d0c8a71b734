"""edgelmk data check / show / synth, run through click."""

import numpy as np
import pytest
from click.testing import CliRunner

from edgelmk.cli import main
from edgelmk.data.formats.w300 import write_pts
from tests.helpers import optional_import

cv2 = optional_import("cv2")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name, folder", [("coco_face", "300w"), ("coco_face", "wflw"), ("coco", "coco"),
                                          ("mpii", "mpii")])
def test_check_real_fixtures_is_clean(fixtures_dir, name, folder):
    root = fixtures_dir / "mmpose" / folder
    result = run("data", "check", name, "--ann", root / f"test_{folder}.json", "--root", root)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output and "keypoints each" in result.output


def test_check_lists_every_problem_with_its_file_and_exits_1(tmp_path):
    result = run("data", "synth", "--out", tmp_path, "--n", 3, "--size", 64)
    assert result.exit_code == 0, result.output
    (tmp_path / "broken.pts").write_text("version: 1\nn_points: 68\n{\n1 2\n}\n")
    write_pts(tmp_path / "no_image.pts", np.zeros((68, 2)))
    write_pts(tmp_path / "far.pts", np.full((68, 2), 500.0))
    cv2.imwrite(str(tmp_path / "far.png"), np.zeros((64, 64, 3), np.uint8))
    (tmp_path / "corrupt.png").write_bytes(b"not a png")
    write_pts(tmp_path / "corrupt.pts", np.zeros((68, 2)))
    result = run("data", "check", "300w", "--root", tmp_path)
    assert result.exit_code == 1
    assert "4 problem(s)" in result.output and "5 samples" in result.output and "4 loaded" in result.output
    for expected in ("broken.pts: n_points says 68 but the list holds 1", "no_image.pts: no image beside it",
                     "far.pts: 68 visible keypoint(s) (0, 1, 2, 3, 4, ...) lie far outside the 64x64 image", "corrupt.png: not a readable image"):
        assert expected in result.output, result.output


def test_show_writes_a_png_grid(tmp_path):
    result = run("data", "show", "synthetic_faces", "--out", tmp_path / "grid.png", "--n", 6)
    assert result.exit_code == 0, result.output
    grid = cv2.imread(str(tmp_path / "grid.png"))
    assert grid.shape == (2 * 256, 4 * 256, 3)


def test_errors_are_messages_not_tracebacks(tmp_path):
    result = run("data", "check", "300w", "--root", tmp_path / "missing")
    assert result.exit_code == 1 and "dataset problem" in result.output and "is not a folder" in result.output
    result = run("data", "check", "300W", "--root", tmp_path)
    assert result.exit_code == 2 and "Did you mean '300w'" in result.output
    result = run("data", "check", "wflw", "--root", tmp_path, "--split", "val")
    assert result.exit_code == 1 and "unknown wflw split 'val'" in result.output
    result = run("data", "synth", "--out", tmp_path, "--n", 0)
    assert result.exit_code == 2


def test_synth_writes_the_chosen_generator_version(tmp_path):
    from edgelmk.data import DATASETS
    from edgelmk.data.synthetic import SyntheticFaces

    result = run("data", "synth", "--out", tmp_path, "--n", 1, "--size", 64, "--generator", 2)
    assert result.exit_code == 0, result.output
    (sample,) = DATASETS.build({"name": "300w", "root": str(tmp_path)})
    np.testing.assert_array_equal(sample["image"], SyntheticFaces(1, (64, 64), version=2)[0]["image"])
