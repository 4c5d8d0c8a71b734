"""The real-photo fine-tuning path end to end, small: procedural COFW pretraining, then the helen29
recipe fine-tuned from it on a few real photos through the CLI (``--init``), as a user runs it."""

import json

import pytest
from click.testing import CliRunner

from edgelmk.cli import main
from tests.helpers import FIXTURES, REPO_ROOT, optional_import

optional_import("cv2")
optional_import("torch")

TINY_NETWORK = ["model.width=32", "model.depth=2", "data.input_hw=[32,32]", "codec.heatmap_hw=[8,8]",
                "optim.epochs=1", "data.batch_size=4"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def with_sets(changes):
    return [part for change in changes for part in ("--set", change)]


@pytest.mark.slow
def test_finetune_helen29_from_procedural_pretraining_on_a_few_photos(tmp_path):
    helen = FIXTURES / "helen29"
    pretrain = run("train", REPO_ROOT / "recipes" / "pretrain_faces_cofw.yaml", "--out", tmp_path / "pretrain",
                   *with_sets(TINY_NETWORK + ["data.train.num_samples=8", "data.val.num_samples=4"]))
    assert pretrain.exit_code == 0, pretrain.output
    content = json.loads((helen / "train" / "helen29_train.json").read_text())
    few = {**content, "images": content["images"][:8],
           "annotations": [a for a in content["annotations"] if a["image_id"] in
                           {image["id"] for image in content["images"][:8]}]}
    (tmp_path / "few.json").write_text(json.dumps(few))
    paths = [f"data.train.ann_file={tmp_path / 'few.json'}", f"data.train.root={helen / 'train'}",
             f"data.val.ann_file={helen / 'val' / 'helen29_val.json'}", f"data.val.root={helen / 'val'}"]
    finetune = run("train", REPO_ROOT / "recipes" / "finetune_helen29_w1a1.yaml", "--init",
                   tmp_path / "pretrain" / "best.pt", "--out", tmp_path / "finetune", *with_sets(TINY_NETWORK + paths))
    assert finetune.exit_code == 0, finetune.output
    assert f"initialised from {tmp_path / 'pretrain' / 'best.pt'}" in finetune.output
    assert "taken from another precision's layer" in finetune.output  # fp32 pretraining -> w1a1 latent weights
    assert "8 training and 48 validation samples (cofw, 29 keypoints)" in finetune.output
    evaluated = run("eval", tmp_path / "finetune" / "best.pt")
    assert evaluated.exit_code == 0 and "NME" in evaluated.output, evaluated.output


def test_the_finetune_recipes_name_their_pretraining_and_say_so_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no runs/pretrain_faces_cofw here
    for precision in ("fp32", "w1a1"):
        recipe = REPO_ROOT / "recipes" / f"finetune_helen29_{precision}.yaml"
        validated = run("validate", recipe)
        assert validated.exit_code == 0, validated.output
        assert "warning: model.init_from: checkpoint runs/pretrain_faces_cofw/best.pt does not exist" in validated.output
        helen = FIXTURES / "helen29"
        trained = run("train", recipe, "--out", tmp_path / precision, "--set", f"data.train.root={helen / 'train'}",
                      "--set", f"data.train.ann_file={helen / 'train' / 'helen29_train.json'}",
                      "--set", f"data.val.root={helen / 'val'}",
                      "--set", f"data.val.ann_file={helen / 'val' / 'helen29_val.json'}")
        assert trained.exit_code == 1
        assert "model.init_from: checkpoint runs/pretrain_faces_cofw/best.pt does not exist" in trained.output
        assert "--set model.init_from=null" in trained.output
