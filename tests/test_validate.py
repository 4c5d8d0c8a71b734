"""edgelmk validate: every shipped recipe passes; every problem of a broken one is listed at once, fast."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from edgelmk import recipe, validate
from edgelmk.cli import main
from tests.helpers import REPO_ROOT, TINY

RECIPES = sorted((REPO_ROOT / "recipes").glob("*.yaml"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_every_shipped_recipe_is_valid(path):
    result = run("validate", path)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_three_mistakes_in_three_sections_are_all_reported_with_suggestions_in_under_a_second(tmp_path):
    broken = {**TINY, "optim": {"epochs": 2, "lr": 0.001, "shedule": "cosine"},
              "codec": {"name": "h3r", "heatmap_hw": [8, 8], "windw": 3},
              "model": {**TINY["model"], "widht": 32}}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "edgelmk", "validate", str(path)], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=60)
    seconds = time.perf_counter() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 problem(s)" in result.stderr
    assert "'optim.shedule'" in result.stderr and "Did you mean 'schedule'" in result.stderr
    assert "codec: codec 'h3r' got an unknown key 'windw'" in result.stderr and "Did you mean 'window'" in result.stderr
    assert "model: model 'hourglass' got an unknown key 'widht'" in result.stderr
    assert "Did you mean 'width'" in result.stderr
    assert seconds < 1.0, f"validate took {seconds:.2f} s"


def test_value_problems_of_the_codec_model_loss_and_data_are_found_without_building_anything():
    config, problems = validate.problems({**TINY, "codec": {"name": "h3r", "heatmap_hw": [7, 7], "window": 2},
                                          "loss": {"regularization": 2.0},
                                          "data": {**TINY["data"], "val": {"name": "300w"}}})
    text = "\n".join(problems)
    assert "codec: h3r window must be odd" in text
    assert "loss: loss 'h3r_cross_entropy' got an unknown key 'regularization'" in text
    assert "model: input_hw (32, 32) must be heatmap_hw (7, 7) times one power of 2" in text
    assert "data.val: dataset '300w': missing a required argument: 'root'" in text
    assert config["codec"]["heatmap_hw"] == [7, 7]


def test_backend_precisions_and_unknown_backends():
    _, problems = validate.problems({**TINY, "model": {**TINY["model"], "backend": "larq", "precision": "w8a8"}})
    assert problems == ["model.precision: the larq backend trains fp32 and w1a1; w8a8 (Brevitas int8) needs "
                        "model.backend=torch"]
    _, problems = validate.problems({**TINY, "model": {**TINY["model"], "backend": "lark"}})
    assert problems == ["model.backend must be one of torch, larq, got 'lark'. Did you mean 'larq'?"]


def test_the_larq_backend_refuses_the_mobile_network_and_names_the_backend_that_builds_it():
    _, problems = validate.problems({**TINY, "model": {"name": "mobile", "backend": "larq"}})
    assert problems == ["model.name: the larq backend builds hourglass; 'mobile' needs model.backend=torch"]


def test_an_architecture_takes_its_own_defaults_not_the_hourglass_ones():
    config, problems = validate.problems({**TINY, "model": {"name": "mobile"}})
    assert not problems
    assert config["model"] == {"name": "mobile", "backend": "torch", "precision": "fp32", "width": 64,
                               "expansion": 4, "depth": 2, "blocks": 1}
    _, problems = validate.problems({**TINY, "model": {"name": "mobile", "stacks": 2}})
    assert len(problems) == 1 and "unknown key 'stacks'" in problems[0]


def test_bop_with_weight_decay_is_the_torch_backends():
    assert validate.problems({**TINY, "optim": {"name": "bop", "weight_decay": 1e-4}})[1] == []
    _, problems = validate.problems({**TINY, "model": {**TINY["model"], "backend": "larq"},
                                     "optim": {"name": "bop", "weight_decay": 1e-4}})
    assert len(problems) == 1 and problems[0].startswith("optim.weight_decay: with bop the larq backend trains the "
                                                         "real-valued weights with Adam without weight decay")


def test_training_options_the_larq_backend_lacks_are_problems():
    _, problems = validate.problems({**TINY, "model": {**TINY["model"], "backend": "larq"},
                                     "optim": {"amp": "bf16"}, "data": {**TINY["data"], "micro_batch_size": 4}})
    assert len(problems) == 2 and all("the larq backend does not implement it" in p for p in problems)
    assert problems[0].startswith("data.micro_batch_size") and problems[1].startswith("optim.amp")


def test_show_prints_the_resolved_recipe_and_missing_data_is_a_warning(tmp_path):
    result = run("validate", REPO_ROOT / "recipes" / "binary_hg_300w.yaml", "--set", "model.backend=larq", "--show")
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.output.split("warning:")[0])
    assert shown == recipe.load(REPO_ROOT / "recipes" / "binary_hg_300w.yaml", ["model.backend=larq"])
    assert shown["model"]["backend"] == "larq" and shown["eval"] == {"metric": "auto", "flip_test": False}
    assert "warning: data.train.root: data/300W does not exist" in result.output


def test_train_runs_the_same_check_first(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({**TINY, "model": {**TINY["model"], "depht": 2}, "loss": {"nme": 1}}))
    result = run("train", path, "--out", tmp_path / "run")
    assert result.exit_code == 1 and "2 problems in the recipe" in result.output
    assert "'depht'" in result.output and "'nme'" in result.output and not (tmp_path / "run").exists()


def test_a_yaml_syntax_error_is_one_problem(tmp_path):
    path = Path(tmp_path / "bad.yaml")
    path.write_text("data:\n  train: {name: x\n")
    result = run("validate", path)
    assert result.exit_code == 1 and "invalid YAML at line" in result.output


def test_a_declared_scheme_is_checked_and_must_say_what_a_flip_swaps():
    scheme = {"keypoints": 29, "normalizer": [16, 40]}
    _, found = validate.problems({**TINY, "data": {**TINY["data"], "train": {
        "name": "coco_face", "ann_file": "a.json", "root": ".", "skeleton": scheme}}})
    assert any("data.train.skeleton: normalizer[0] = [16, 40] refers to keypoint 40" in p for p in found)
    assert any("declares no flip_pairs, but data.augment.flip is true" in p for p in found)
    _, found = validate.problems({**TINY, "data": {**TINY["data"], "train": {
        "name": "coco_face", "ann_file": "a.json", "root": ".", "skeleton": {**scheme, "normalizer": [16, 17],
                                                                             "flip_pairs": []}}}})
    assert found == []


def test_the_flip_test_needs_a_declared_scheme_to_say_what_a_flip_swaps():
    val = {"name": "coco_face", "ann_file": "a.json", "root": ".", "skeleton": {"keypoints": 29, "normalizer": [16, 17]}}
    recipe = {**TINY, "data": {**TINY["data"], "val": val}}
    assert validate.problems(recipe)[1] == []
    _, found = validate.problems({**recipe, "eval": {"flip_test": True}})
    assert any("data.val.skeleton declares no flip_pairs, but eval.flip_test is true" in p for p in found)


def test_distillation_and_binary_unit_keys_are_checked():
    _, problems = validate.problems({**TINY, "distill": {"teacher": 3, "weight": 1.5, "attention": -1, "temp": 2},
                                     "model": {**TINY["model"], "binary_activation": "relu"}})
    text = "\n".join(problems)
    assert "unknown recipe key 'distill.temp'" in text
    assert "distill.teacher must be the path of a trained checkpoint (.pt or .larq.npz) or null, got 3" in text
    assert "distill.weight is the teacher loss's share of the total, from 0 to 1; got 1.5" in text
    assert "distill.attention must be >= 0" in text
    assert "unknown binary_activation 'relu'; choose one of none, rprelu" in text
    config, problems = validate.problems({**TINY, "model": {**TINY["model"], "precision": "fp32",
                                                            "binary_activation": "rprelu"}})
    assert not problems  # the options change binary convolutions: an fp32 teacher of a binary recipe ignores them
    assert config["distill"] == {"teacher": None, "weight": 0.5, "attention": 0.0}
