from pathlib import Path

import pytest

from edgelmk import recipe
from edgelmk.recipe import RecipeError

RECIPES = sorted((Path(__file__).resolve().parent.parent / "recipes").glob("*.yaml"))
MINIMAL = {"data": {"train": {"name": "synthetic_faces"}, "val": {"name": "synthetic_faces"}}}


def test_minimal_recipe_gets_every_default():
    config = recipe.resolve(MINIMAL)
    assert config["optim"]["epochs"] == 10 and config["model"]["precision"] == "w1a1"
    assert config["codec"]["input_hw"] == config["data"]["input_hw"] == [128, 128]
    assert config["data"]["augment"]["flip"] is True


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_every_shipped_recipe_is_valid_and_says_how_to_run_it(path):
    config = recipe.load(path)
    assert config["data"]["train"]["name"]
    header = path.read_text().split("\n")
    assert any(f"edgelmk train recipes/{path.name}" in line for line in header if line.startswith("#"))


@pytest.mark.parametrize("change, match", [
    ({"optim": {"lr": "fast"}}, "'optim.lr' must be a number like 0.001, got 'fast'"),
    ({"optim": {"lr": "nan"}}, "'optim.lr' must be a number like 0.001, got 'nan'"),
    ({"optim": {"epochz": 3}}, "unknown recipe key 'optim.epochz'.*Did you mean 'epochs'"),
    ({"dataa": {}}, "unknown recipe key 'dataa'.*Did you mean 'data'"),
    ({"optim": {"schedule": "cosin"}}, "must be one of cosine, constant.*Did you mean 'cosine'"),
    ({"data": {"batch_size": 2.5}}, "'data.batch_size' must be an integer"),
    ({"data": {"augment": {"flip": "yes"}}}, "'data.augment.flip' must be true/false"),
    ({"optim": {"epochs": 0}}, "optim.epochs and data.batch_size must be >= 1"),
    ({"model": {"backend": "jax"}}, "model.backend must be one of torch, larq"),
    ({"data": {"val": None}}, "data.val must be a dataset config with a 'name'"),
    ({"data": {"val": {"root": "x"}}}, "data.val must be a dataset config with a 'name'"),
    ({"data": {"micro_batch_size": 5}}, "data.micro_batch_size must divide data.batch_size \\(32\\)"),
    ({"optim": {"amp": "fp8"}}, "'optim.amp' must be one of none, bf16, fp16"),
])
def test_validation_errors_name_the_key(change, match):
    merged = {"data": {**MINIMAL["data"], **change.get("data", {})}, **{k: v for k, v in change.items() if k != "data"}}
    with pytest.raises(RecipeError, match=match):
        recipe.resolve(merged)


def test_integers_and_yaml_1_1_exponents_are_accepted_for_floats():
    assert recipe.resolve({**MINIMAL, "optim": {"lr": 1}})["optim"]["lr"] == 1.0
    # PyYAML reads 3e-4 (no dot) as the string "3e-4"
    assert recipe.resolve(recipe.apply_overrides(MINIMAL, ["optim.lr=3e-4"]))["optim"]["lr"] == 3e-4


def test_overrides_parse_yaml_values():
    config = recipe.apply_overrides(MINIMAL, ["optim.lr=3e-4", "model.precision=fp32", "data.input_hw=[64, 64]",
                                              "data.augment.flip=false"])
    resolved = recipe.resolve(config)
    assert resolved["optim"]["lr"] == 3e-4 and resolved["model"]["precision"] == "fp32"
    assert resolved["data"]["input_hw"] == [64, 64] == resolved["codec"]["input_hw"]
    assert resolved["data"]["augment"]["flip"] is False
    assert MINIMAL["data"].get("input_hw") is None  # the original is untouched


@pytest.mark.parametrize("override, match", [("optim.lr", "must look like section.key=value"),
                                             ("=3", "must look like"), ("seed.x=1", "'seed' is not a section"),
                                             ("optim.lr=[1, 2", "is not a YAML value")])
def test_bad_overrides(override, match):
    with pytest.raises(RecipeError, match=match):
        recipe.apply_overrides({"seed": 0}, [override])


def test_yaml_syntax_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("data:\n  train: {name: x\nseed: 1\n")
    with pytest.raises(RecipeError, match=r"bad.yaml: invalid YAML at line \d+"):
        recipe.load(path)
    path.write_text("- a\n- b\n")
    with pytest.raises(RecipeError, match="a recipe is a mapping"):
        recipe.load(path)
    with pytest.raises(RecipeError, match="not found"):
        recipe.load(tmp_path / "missing.yaml")


def test_every_structural_problem_is_reported_at_once():
    broken = {**MINIMAL, "optim": {"lr": "fast", "epochz": 3}, "dataa": {}}
    config, problems = recipe.check(broken)
    assert len(problems) == 3 and config["optim"]["lr"] == 0.001  # a wrong value falls back to its default
    with pytest.raises(RecipeError, match=r"(?s)3 problems in the recipe:.*1\. .*2\. .*3\. "):
        recipe.resolve(broken)


def test_recipes_saved_by_earlier_versions_lose_their_retired_keys():
    saved = recipe.resolve(MINIMAL)
    old = {**saved, "eval": {**saved["eval"], "every": 1}}
    assert recipe.upgrade(old) == saved and old["eval"]["every"] == 1
    with pytest.raises(RecipeError, match="unknown recipe key 'eval.every'"):
        recipe.resolve(old)


def test_recipes_saved_by_earlier_versions_get_the_defaults_of_newer_keys():
    saved = recipe.resolve(MINIMAL)
    old = {**saved, "optim": {key: value for key, value in saved["optim"].items() if key != "amp"}}
    assert recipe.upgrade(old) == saved


def test_yaml_off_and_null_mean_no_mixed_precision():
    for value in (False, None):
        assert recipe.resolve({**MINIMAL, "optim": {"amp": value}})["optim"]["amp"] == "none"


def test_resuming_may_change_the_machine_keys_only():
    saved = recipe.resolve(MINIMAL)
    faster = recipe.resolve({**MINIMAL, "data": {**MINIMAL["data"], "workers": 8}, "optim": {"channels_last": True}})
    assert recipe.without_machine_keys(saved) == recipe.without_machine_keys(faster)
    mixed = recipe.resolve({**MINIMAL, "optim": {"amp": "bf16"}})
    assert recipe.without_machine_keys(saved) != recipe.without_machine_keys(mixed)
