"""The training engine on a tiny recipe: resume equivalence, checkpoints, failure handling."""

import numpy as np
import pytest
import torch

from edgelmk import checkpoint, engine, recipe
from edgelmk.recipe import RecipeError
from tests.conftest import optional_import

optional_import("cv2")

TINY = {
    "seed": 3,
    "data": {"train": {"name": "synthetic_faces", "num_samples": 24, "image_hw": [48, 48], "seed": 1},
             "val": {"name": "synthetic_faces", "num_samples": 8, "image_hw": [48, 48], "seed": 2},
             "input_hw": [32, 32], "batch_size": 8, "workers": 0, "cache": True},
    "codec": {"name": "h3r", "heatmap_hw": [8, 8]},
    "model": {"name": "hourglass", "precision": "w1a1", "width": 32, "depth": 2},
    "optim": {"epochs": 2, "lr": 0.001},
}


def tiny(**changes) -> dict:
    return recipe.resolve(recipe.apply_overrides(TINY, [f"{k}={v}" for k, v in changes.items()]))


def quiet(*_):
    pass


def weights(path):
    return checkpoint.load(path)["model"]


def test_training_writes_checkpoints_logs_and_a_report(tmp_path):
    trainer = engine.Trainer(tiny(), tmp_path, log=quiet)
    report = trainer.fit()
    assert set(report) >= {"NME", "FR@0.10", "AUC@0.10"} and np.isfinite(report["NME"])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"last.pt", "best.pt", "recipe.yaml", "metrics.csv"} <= names
    optional_import("tensorboard")  # in the torch extra
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "tensorboard").iterdir())
    assert len((tmp_path / "metrics.csv").read_text().strip().splitlines()) == 3  # header + 2 epochs
    assert recipe.load(tmp_path / "recipe.yaml") == trainer.config
    state = checkpoint.load(tmp_path / "last.pt")
    assert state["epoch"] == 2 and state["batches_done"] == 0 and len(state["history"]) == 2
    assert set(trainer.mean_shape_baseline()) == set(report)


@pytest.mark.parametrize("precision, codec", [("w1a1", "h3r"), ("fp32", "gaussian"), ("fp32", "dsnt")])
def test_resume_after_an_interruption_mid_epoch_ends_with_identical_weights(tmp_path, precision, codec):
    config = tiny(**{"model.precision": precision, "codec.name": codec})
    engine.Trainer(config, tmp_path / "straight", log=quiet).fit()

    def interrupt(step):
        if step == 4:  # epoch 2 (3 batches an epoch), after its first batch
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.Trainer(config, tmp_path / "resumed", log=quiet, on_step=interrupt).fit()
    state = checkpoint.load(tmp_path / "resumed" / "last.pt")
    assert (state["epoch"], state["batches_done"]) == (1, 1)
    engine.Trainer(config, tmp_path / "resumed", resume=True, log=quiet).fit()
    straight, resumed = weights(tmp_path / "straight" / "last.pt"), weights(tmp_path / "resumed" / "last.pt")
    for name in straight:
        torch.testing.assert_close(resumed[name], straight[name], rtol=0, atol=0, msg=name)


def test_resume_refuses_another_recipe(tmp_path):
    engine.Trainer(tiny(), tmp_path, log=quiet).fit()
    with pytest.raises(engine.TrainingError, match=r"different recipe \(sections differ: optim\)"):
        engine.Trainer(tiny(**{"optim.lr": 0.01}), tmp_path, resume=True, log=quiet)


def test_a_non_finite_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = None

    def diverge(step):
        if step == 7:  # first batch of epoch 3: the weights become NaN, the next loss is NaN
            with torch.no_grad():
                trainer.model.heads[0][-1].weight.fill_(float("nan"))

    trainer = engine.Trainer(tiny(**{"optim.epochs": 3}), tmp_path, log=quiet, on_step=diverge)
    with pytest.raises(engine.TrainingError, match=r"loss became nan at epoch 3, step 8.*last good epoch.*optim.lr"):
        trainer.fit()
    state = checkpoint.load(tmp_path / "last.pt")
    assert state["epoch"] == 2 and all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_divergence_in_the_last_step_of_an_epoch_is_reported_by_validation(tmp_path):
    trainer = None

    def diverge(step):
        if step == 3:  # the last batch of epoch 1
            with torch.no_grad():
                trainer.model.heads[0][-1].weight.fill_(float("nan"))

    trainer = engine.Trainer(tiny(), tmp_path, log=quiet, on_step=diverge)
    with pytest.raises(engine.TrainingError, match="validation after epoch 1 failed: heatmaps contain NaN"):
        trainer.fit()
    assert not (tmp_path / "last.pt").exists()


def test_an_absent_dataset_fails_before_any_work(tmp_path):
    config = tiny(**{"data.train": "{name: 300w, root: /nowhere/300W}"})
    with pytest.raises(RecipeError, match=r"(?s)data.train: 300w root /nowhere/300W is not a folder.*header"):
        engine.Trainer(config, tmp_path, log=quiet)


def test_running_out_of_memory_says_how_to_fix_it(tmp_path, monkeypatch):
    trainer = engine.Trainer(tiny(), tmp_path, log=quiet)

    def exhausted(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(trainer.model, "forward", exhausted)
    with pytest.raises(engine.TrainingError, match=r"batch of 8 does not fit in memory.*data.batch_size"):
        trainer.fit()


def test_batch_larger_than_the_dataset(tmp_path):
    with pytest.raises(RecipeError, match="data.batch_size 64 exceeds the 24 training samples"):
        engine.Trainer(tiny(**{"data.batch_size": 64}), tmp_path, log=quiet)


def test_load_model_and_predict_image(tmp_path):
    engine.Trainer(tiny(), tmp_path, log=quiet).fit()
    model, config, codec = engine.load_model(tmp_path / "best.pt")
    image = np.zeros((60, 80, 3), np.uint8)
    keypoints, scores, skeleton = engine.predict_image(model, config, codec, image, [10, 5, 70, 55],
                                                       torch.device("cpu"))
    assert keypoints.shape == (68, 2) and scores.shape == (68,) and skeleton.name == "300w"
    # predictions map back into the box region of the original image
    assert (keypoints[:, 0] > -20).all() and (keypoints[:, 0] < 100).all()
