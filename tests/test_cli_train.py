"""edgelmk train / eval / predict / info on a tiny recipe file."""

import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from edgelmk.cli import main
from tests.helpers import optional_import
from tests.helpers import TINY

cv2 = optional_import("cv2")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def tiny_recipe(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture
def trained(tmp_path, tiny_recipe):
    result = run("train", tiny_recipe, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    return tmp_path / "run", result.output


def test_train_prints_nme_each_epoch_and_a_final_table_with_the_baseline(trained):
    out_dir, output = trained
    assert output.count("epoch ") >= 2 and "NME" in output
    assert "final model" in output and "mean-shape baseline" in output
    assert (out_dir / "best.pt").exists() and (out_dir / "last.pt").exists()


def test_train_refuses_to_overwrite_a_run_and_resume_of_a_finished_run_is_a_no_op(trained, tiny_recipe):
    out_dir, _ = trained
    result = run("train", tiny_recipe, "--out", out_dir)
    assert result.exit_code == 1 and "already holds a run; add --resume" in result.output
    result = run("train", tiny_recipe, "--out", out_dir, "--resume")
    assert result.exit_code == 0 and "resumed from" in result.output
    assert "final model" in result.output and "NME" in result.output.split("final model")[0]


def test_eval_prints_the_metric_table(trained):
    out_dir, _ = trained
    result = run("eval", out_dir / "best.pt")
    assert result.exit_code == 0, result.output
    assert "NME" in result.output and "8 samples of synthetic_faces" in result.output


def test_eval_reports_a_corrupt_validation_image_as_a_message(trained, tmp_path):
    from edgelmk.data.formats.w300 import write_pts

    out_dir, _ = trained
    folder = tmp_path / "broken_val"
    folder.mkdir()
    write_pts(folder / "face.pts", np.full((68, 2), 10.0))
    (folder / "face.png").write_bytes(b"not a png")
    result = run("eval", out_dir / "best.pt", "--set", f"data.val={{name: 300w, root: {folder}}}")
    assert result.exit_code == 1 and "face.png: not a readable image" in result.output


def test_predict_draws_and_prints_keypoints(trained, tmp_path):
    out_dir, _ = trained
    image = np.full((50, 40, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / "face.png"), image)
    result = run("predict", out_dir / "best.pt", tmp_path / "face.png", "--out", tmp_path / "drawn.png",
                 "--box", "2,3,38,45")
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(tmp_path / "drawn.png")).shape == (50, 40, 3)
    assert len([line for line in result.output.splitlines() if "score" in line]) == 68
    result = run("predict", out_dir / "best.pt", tmp_path / "face.png", "--out", tmp_path / "x.png", "--box", "5,5,1")
    assert result.exit_code == 2 and "--box" in result.output
    result = run("predict", out_dir / "best.pt", tmp_path / "nope.png", "--out", tmp_path / "x.png")
    assert result.exit_code == 1 and "no such image, video or folder" in result.output


def test_info_splits_compute_by_arithmetic(tiny_recipe):
    result = run("info", tiny_recipe)
    assert result.exit_code == 0, result.output
    assert "binary conv" in result.output and "float conv" in result.output and "KiB" in result.output
    result = run("info", tiny_recipe, "--set", "model.precision=fp32")
    binary_line = next(line for line in result.output.splitlines() if line.startswith("binary conv"))
    assert binary_line.split()[2:] == ["0", "0"]


def test_a_recipe_whose_dataset_is_absent_fails_at_once(tmp_path):
    import time

    recipes = __import__("pathlib").Path(__file__).resolve().parent.parent / "recipes"
    started = time.perf_counter()
    result = run("train", recipes / "binary_hg_300w.yaml", "--out", tmp_path / "x")
    assert result.exit_code == 1 and time.perf_counter() - started < 1.0
    assert "data.train.root: data/300W does not exist" in result.output and "header" in result.output


def test_recipe_and_checkpoint_errors_are_messages(tmp_path, tiny_recipe):
    result = run("train", tiny_recipe, "--set", "optim.lr=fast", "--out", tmp_path / "x")
    assert result.exit_code == 1 and "'optim.lr' must be a number" in result.output
    (tmp_path / "broken.pt").write_bytes(b"PK\x03\x04 broken zip")
    result = run("eval", tmp_path / "broken.pt")
    assert result.exit_code == 1 and "not a readable checkpoint" in result.output
    result = run("train", tiny_recipe, "--set", "model.backend=larq", "--set", "model.precision=w8a8", "--out",
                 tmp_path / "y")
    assert result.exit_code == 1 and "w8a8 (Brevitas int8) needs model.backend=torch" in result.output


def test_train_with_a_teacher_distils_and_records_it_in_the_run_recipe(trained, tiny_recipe, tmp_path):
    out_dir, _ = trained
    result = run("train", tiny_recipe, "--teacher", out_dir / "best.pt", "--out", tmp_path / "student",
                 "--set", "optim.epochs=1")
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((tmp_path / "student" / "recipe.yaml").read_text())
    assert saved["distill"] == {"teacher": str(out_dir / "best.pt"), "weight": 0.5, "attention": 0.0}
    result = run("train", tiny_recipe, "--teacher", tmp_path / "nothing.pt", "--out", tmp_path / "none")
    assert result.exit_code == 1 and "distill.teacher: checkpoint" in result.output and "does not exist" in result.output


def test_predict_with_a_checkpoint_finds_the_face_of_a_grey_16_bit_photo(trained, fixtures_dir, tmp_path):
    out_dir, _ = trained
    photo = sorted((fixtures_dir / "helen29" / "val").glob("*.jpg"))[0]
    grey = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "grey16.png"), grey)
    result = run("predict", out_dir / "best.pt", tmp_path / "grey16.png", "--out", tmp_path / "drawn.png",
                 "--detector", "haar")
    assert result.exit_code == 0, result.output
    (face,) = json.loads((tmp_path / "drawn.json").read_text())["faces"]
    assert len(face["keypoints"]) == 68 and face["detector"]["score"] > 0
