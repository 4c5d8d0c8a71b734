"""The trainer contract, for every training backend on a tiny recipe: files and report, exact resume
after Ctrl-C, recipe changes refused, NaN stops, out-of-memory messages, loading a checkpoint."""

import numpy as np
import pytest

from edgelmk import engine, recipe
from edgelmk.backends import BACKENDS
from edgelmk.data.dataset import recipe_skeleton
from edgelmk.flip import flip_averaged
from edgelmk.recipe import RecipeError
from tests.helpers import optional_import, quiet, tiny

optional_import("cv2")


class TorchHooks:
    """How the contract tests reach into a PyTorch run."""

    name = "torch"

    def __init__(self):
        self.torch = optional_import("torch")

    def weights(self, path):
        from edgelmk import checkpoint

        return [value.numpy() for value in checkpoint.load(path)["model"].values()]

    def named_weights(self, trainer):
        """The run's current weights by PyTorch name (as fine-tuning names them)."""
        return {name: value.numpy() for name, value in trainer.model.state_dict().items()}

    def state(self, path):
        from edgelmk import checkpoint

        return checkpoint.load(path)

    def poison(self, trainer):
        """Make the head's weights NaN: the next loss (or validation) is NaN."""
        with self.torch.no_grad():
            trainer.model.heads[0][-1].weight.fill_(float("nan"))

    def exhaust_memory(self, trainer, monkeypatch):
        def exhausted(*args, **kwargs):
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

        monkeypatch.setattr(trainer.model, "forward", exhausted)


class LarqHooks:
    """How the contract tests reach into a Keras + Larq run."""

    name = "larq"

    def __init__(self):
        optional_import("larq")
        from edgelmk.keras import checkpoint as checkpoints
        from edgelmk.keras.layers import tf

        self.checkpoints, self.tf = checkpoints, tf

    def weights(self, path):
        return self.checkpoints.load(path)[1]

    def named_weights(self, trainer):
        from edgelmk.keras.weights import torch_layout_weights

        return torch_layout_weights(trainer.model.keras_model)

    def state(self, path):
        return self.checkpoints.load(path)[0]

    def poison(self, trainer):
        head = trainer.model.keras_model.get_layer("heads.0.2")
        head.set_weights([np.full_like(w, np.nan) for w in head.get_weights()])

    def exhaust_memory(self, trainer, monkeypatch):
        def exhausted(*args, **kwargs):
            raise self.tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape [8,32,16,16]")

        monkeypatch.setattr(trainer.session, "_step_function", exhausted)


HOOKS = {"torch": TorchHooks, "larq": LarqHooks}
assert set(HOOKS) == set(BACKENDS), "every training backend gets the contract tests"


@pytest.fixture(params=sorted(BACKENDS))
def backend(request):
    return HOOKS[request.param]()


def config_for(backend, **changes) -> dict:
    return tiny(**{"model.backend": backend.name, **changes})


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory):
    """One finished tiny run per backend (trained when first asked for): (config, folder, trainer, report)."""
    runs = {}

    def run_of(backend):
        if backend.name not in runs:
            config, folder = config_for(backend), tmp_path_factory.mktemp(f"run_{backend.name}")
            trainer = engine.Trainer(config, folder, log=quiet)
            runs[backend.name] = config, folder, trainer, trainer.fit()
        return runs[backend.name]

    return run_of


def test_training_writes_checkpoints_logs_and_a_report(finished_runs, backend):
    config, tmp_path, trainer, report = finished_runs(backend)
    assert set(report) >= {"NME", "FR@0.10", "AUC@0.10"} and np.isfinite(report["NME"])
    row = BACKENDS[backend.name]
    names = {p.name for p in tmp_path.iterdir()}
    assert {row.last, row.best, "recipe.yaml", "metrics.csv"} <= names
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "tensorboard").iterdir())
    assert len((tmp_path / "metrics.csv").read_text().strip().splitlines()) == 3  # header + 2 epochs
    assert recipe.load(tmp_path / "recipe.yaml") == trainer.config
    state = backend.state(tmp_path / row.last)
    assert state["epoch"] == 2 and state["batches_done"] == 0 and len(state["history"]) == 2
    assert state["recipe"] == config
    assert set(trainer.mean_shape_baseline()) == set(report)


#: (backend, precision, codec, other recipe values): fp16 keeps its loss scale in the checkpoint; micro-batches with a
#: data-loading worker that lives across epochs; Bop's gradient averages (Larq's CaseOptimizer)
RESUME_CASES = [("torch", "w1a1", "h3r", {}), ("torch", "fp32", "gaussian", {}), ("torch", "fp32", "dsnt", {}),
                ("torch", "w1a1", "h3r", {"optim.amp": "fp16", "data.micro_batch_size": 4, "data.workers": 1}),
                ("larq", "w1a1", "h3r", {}), ("torch", "w1a1", "h3r", {"optim.name": "bop"}),
                ("larq", "w1a1", "h3r", {"optim.name": "bop"})]


@pytest.mark.parametrize("name, precision, codec, changes", RESUME_CASES)
def test_resume_after_ctrl_c_mid_epoch_ends_with_identical_weights(tmp_path, name, precision, codec, changes):
    backend = HOOKS[name]()
    config = config_for(backend, **{"model.precision": precision, "codec.name": codec, **changes})
    last = BACKENDS[name].last
    engine.Trainer(config, tmp_path / "straight", log=quiet).fit()

    def interrupt(step):
        if step == 4:  # epoch 2 (3 batches an epoch), after its first batch
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.Trainer(config, tmp_path / "resumed", log=quiet, on_step=interrupt).fit()
    state = backend.state(tmp_path / "resumed" / last)
    assert (state["epoch"], state["batches_done"]) == (1, 1)
    engine.Trainer(config, tmp_path / "resumed", resume=True, log=quiet).fit()
    straight, resumed = backend.weights(tmp_path / "straight" / last), backend.weights(tmp_path / "resumed" / last)
    assert len(straight) == len(resumed)
    for index, (expected, got) in enumerate(zip(straight, resumed)):
        np.testing.assert_array_equal(got, expected, err_msg=f"weight {index}")


def test_resume_refuses_another_recipe(finished_runs, backend):
    _, folder, _, _ = finished_runs(backend)
    with pytest.raises(engine.TrainingError, match=r"different recipe \(sections differ: optim\)"):
        engine.Trainer(config_for(backend, **{"optim.lr": 0.01}), folder, resume=True, log=quiet)
    resumed = engine.Trainer(config_for(backend, **{"data.workers": 2}), folder, resume=True, log=quiet)
    assert resumed.epoch == 2  # the machine's keys may change (recipe.MACHINE_KEYS)


def test_a_non_finite_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path, backend):
    trainer = None

    def diverge(step):
        if step == 7:  # first batch of epoch 3: the weights become NaN, the next loss is NaN
            backend.poison(trainer)

    trainer = engine.Trainer(config_for(backend, **{"optim.epochs": 3}), tmp_path, log=quiet, on_step=diverge)
    with pytest.raises(engine.TrainingError, match=r"loss became nan at epoch 3, step 8.*last good epoch.*optim.lr"):
        trainer.fit()
    last = tmp_path / BACKENDS[backend.name].last
    assert backend.state(last)["epoch"] == 2
    assert all(np.isfinite(w).all() for w in backend.weights(last) if w.dtype.kind == "f")


def test_divergence_in_the_last_step_of_an_epoch_is_reported_by_validation(tmp_path, backend):
    trainer = None

    def diverge(step):
        if step == 3:  # the last batch of epoch 1
            backend.poison(trainer)

    trainer = engine.Trainer(config_for(backend), tmp_path, log=quiet, on_step=diverge)
    with pytest.raises(engine.TrainingError, match="validation after epoch 1 failed: heatmaps contain NaN"):
        trainer.fit()
    assert not (tmp_path / BACKENDS[backend.name].last).exists()


def test_running_out_of_memory_says_how_to_fix_it(tmp_path, backend):
    trainer = engine.Trainer(config_for(backend), tmp_path, log=quiet)
    with pytest.MonkeyPatch.context() as monkeypatch:
        backend.exhaust_memory(trainer, monkeypatch)
        with pytest.raises(engine.TrainingError, match=r"batch of 8 does not fit in memory.*data.batch_size"):
            trainer.fit()


def test_an_absent_dataset_fails_before_any_work(tmp_path, backend):
    config = config_for(backend, **{"data.train": "{name: 300w, root: /nowhere/300W}"})
    with pytest.raises(RecipeError, match=r"(?s)data.train: 300w root /nowhere/300W is not a folder.*header"):
        engine.Trainer(config, tmp_path, log=quiet)


def test_batch_larger_than_the_dataset(tmp_path, backend):
    with pytest.raises(RecipeError, match="data.batch_size 64 exceeds the 24 training samples"):
        engine.Trainer(config_for(backend, **{"data.batch_size": 64}), tmp_path, log=quiet)


def test_recipe_problems_are_all_reported_before_any_work(tmp_path, backend):
    config = config_for(backend, **{"model.widht": 32, "loss.name": "mse"})
    with pytest.raises(RecipeError, match=r"(?s)2 problems.*loss: unknown loss 'mse'.*model: .*'widht'.*'width'"):
        engine.Trainer(config, tmp_path, log=quiet)


def test_load_checkpoint_and_predict(finished_runs, backend):
    _, folder, _, _ = finished_runs(backend)
    trained = engine.load_checkpoint(folder / BACKENDS[backend.name].best)
    image = np.zeros((60, 80, 3), np.uint8)
    keypoints, scores = trained.predict(image, [10, 5, 70, 55])
    assert keypoints.shape == (68, 2) and scores.shape == (68,) and recipe_skeleton(trained.config).name == "300w"
    # predictions map back into the box region of the original image
    assert (keypoints[:, 0] > -20).all() and (keypoints[:, 0] < 100).all()
    report, count = trained.evaluate()
    assert count == 8 and np.isfinite(report["NME"])


def test_the_flip_test_averages_each_crop_with_its_mirror_image_when_the_recipe_or_the_caller_asks(
        finished_runs, backend):
    _, folder, _, _ = finished_runs(backend)
    plain = engine.load_checkpoint(folder / BACKENDS[backend.name].best)
    flipping = engine.load_checkpoint(folder / BACKENDS[backend.name].best, overrides=["eval.flip_test=true"])
    crops = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    expected = flip_averaged(plain.predict_crops, crops, recipe_skeleton(plain.config).flip_index)
    for keypoints, wanted in zip(flipping.predict_crops(crops), expected):
        np.testing.assert_allclose(keypoints, wanted, atol=1e-5)
    for keypoints, wanted in zip(plain.predict_crops(crops, flip_test=True), expected):
        np.testing.assert_allclose(keypoints, wanted, atol=1e-5)
    for keypoints, wanted in zip(flipping.predict_crops(crops, flip_test=False), plain.predict_crops(crops)):
        np.testing.assert_allclose(keypoints, wanted, atol=1e-5)
    assert not np.allclose(expected[0], plain.predict_crops(crops)[0], atol=1e-3)


def test_overrides_that_turn_the_flip_test_on_for_a_scheme_without_flip_pairs_are_refused(finished_runs):
    _, folder, _, _ = finished_runs(HOOKS["torch"]())
    declared = "data.val={name: pts_folder, root: photos, skeleton: {keypoints: 68, normalizer: [36, 45]}}"
    with pytest.raises(RecipeError, match="data.val.skeleton declares no flip_pairs, but eval.flip_test is true"):
        engine.load_checkpoint(folder / BACKENDS["torch"].best, overrides=[declared, "eval.flip_test=true"])


def test_validation_during_training_uses_the_recipes_flip_test(tmp_path):
    config = tiny(**{"eval.flip_test": True, "optim.epochs": 1})
    report = engine.Trainer(config, tmp_path, log=quiet).fit()
    flipped, _ = engine.load_checkpoint(tmp_path / BACKENDS["torch"].last).evaluate()
    plain, _ = engine.load_checkpoint(tmp_path / BACKENDS["torch"].last, overrides=["eval.flip_test=false"]).evaluate()
    assert report["NME"] == pytest.approx(flipped["NME"], rel=1e-5) and report["NME"] != pytest.approx(plain["NME"])


# --- fine-tuning (model.init_from) -----------------------------------------------------------------------


@pytest.mark.parametrize("source, target", [("torch", "larq"), ("larq", "torch")])
def test_init_from_a_binary_checkpoint_of_the_other_backend_starts_a_float_model_for_another_scheme(
        finished_runs, source, target, tmp_path):
    backend = HOOKS[target]()
    _, folder, _, _ = finished_runs(HOOKS[source]())
    checkpoint_path = folder / BACKENDS[source].best
    lines = []
    config = config_for(backend, **{"model.precision": "fp32", "data.train.skeleton": "cofw",
                                    "model.init_from": str(checkpoint_path)})
    trainer = engine.Trainer(config, tmp_path, log=lines.append)
    source_weights = BACKENDS[source].engine().read_weights(checkpoint_path).arrays
    weights = backend.named_weights(trainer)
    # a float conv unit is (norm, relu, conv), a binary one (norm, conv): the latent weights move across
    np.testing.assert_array_equal(weights["stem.3.first.2.weight"], source_weights["stem.3.first.1.weight"])
    np.testing.assert_array_equal(weights["stem.0.weight"], source_weights["stem.0.weight"])
    assert weights["heads.0.2.weight"].shape[0] == 29  # the 68-point head cannot fit: reinitialised
    log = "\n".join(lines)
    assert f"initialised from {checkpoint_path}" in log and "taken from another precision's layer" in log
    assert "reinitialised: heads.0.2.weight: shape (68, 32, 1, 1) in the checkpoint, (29, 32, 1, 1) here" in log


def test_init_from_another_architecture_is_refused_with_what_differs(finished_runs, backend, tmp_path):
    _, folder, _, _ = finished_runs(backend)
    config = config_for(backend, **{"model.width": 64, "model.init_from": str(folder / BACKENDS[backend.name].best)})
    with pytest.raises(engine.TrainingError, match=r"only \d+% of this model's weights fit.*width 32 there, 64 here"):
        engine.Trainer(config, tmp_path, log=quiet)


def test_init_from_a_missing_checkpoint_fails_before_any_work(tmp_path, backend):
    with pytest.raises(RecipeError, match=r"model.init_from: checkpoint /nowhere/best.pt does not exist.*from scratch"):
        engine.Trainer(config_for(backend, **{"model.init_from": "/nowhere/best.pt"}), tmp_path, log=quiet)


def test_resume_continues_the_run_not_the_initial_checkpoint(finished_runs, tmp_path):
    backend = TorchHooks()
    _, folder, _, _ = finished_runs(backend)
    config = config_for(backend, **{"optim.epochs": 1, "model.init_from": str(folder / "best.pt")})
    engine.Trainer(config, tmp_path, log=quiet).fit()
    lines = []
    resumed = engine.Trainer(config, tmp_path, resume=True, log=lines.append)
    assert not any("initialised from" in line for line in lines)
    saved = backend.weights(tmp_path / "last.pt")
    for expected, got in zip(saved, backend.named_weights(resumed).values()):
        np.testing.assert_array_equal(got, expected)


# --- distillation (distill.teacher) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    """A tiny trained fp32 PyTorch teacher for the tiny recipe (width 64: wider than the students)."""
    folder = tmp_path_factory.mktemp("teacher")
    engine.Trainer(tiny(**{"model.precision": "fp32", "model.width": 64, "optim.epochs": 1}), folder, log=quiet).fit()
    return folder / "best.pt"


def test_a_distilled_binary_run_with_every_option_resumes_exactly(tmp_path, backend, teacher):
    """Teacher maps and attention maps from a float PyTorch teacher, RPReLU and shortcuts: Ctrl-C and resume
    end with the weights of the uninterrupted run, in either backend."""
    config = config_for(backend, **{"distill.teacher": str(teacher), "distill.attention": 1.0,
                                    "model.binary_activation": "rprelu", "model.binary_shortcut": True})
    last = BACKENDS[backend.name].last
    engine.Trainer(config, tmp_path / "straight", log=quiet).fit()

    def interrupt(step):
        if step == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.Trainer(config, tmp_path / "resumed", log=quiet, on_step=interrupt).fit()
    engine.Trainer(config, tmp_path / "resumed", resume=True, log=quiet).fit()
    for expected, got in zip(backend.weights(tmp_path / "straight" / last), backend.weights(tmp_path / "resumed" / last)):
        np.testing.assert_array_equal(got, expected)
    undistilled = config_for(backend, **{"model.binary_activation": "rprelu", "model.binary_shortcut": True})
    engine.Trainer(undistilled, tmp_path / "alone", log=quiet).fit()
    alone = backend.weights(tmp_path / "alone" / last)
    assert any(not np.array_equal(a, b) for a, b in zip(alone, backend.weights(tmp_path / "straight" / last)))


def test_a_teacher_of_other_maps_or_other_hourglasses_is_refused(tmp_path, teacher):
    backend = TorchHooks()
    other_maps = config_for(backend, **{"distill.teacher": str(teacher), "codec.heatmap_hw": "[16, 16]",
                                        "model.depth": 2})
    with pytest.raises(RecipeError, match=r"its heatmap_hw is \[8, 8\], the student's \[16, 16\]"):
        engine.Trainer(other_maps, tmp_path / "maps", log=quiet)
    shallower = config_for(backend, **{"distill.teacher": str(teacher), "distill.attention": 1.0, "model.depth": 1})
    with pytest.raises(RecipeError, match="hourglasses of depth 2 x 1 stacks, the student 1 x 1"):
        engine.Trainer(shallower, tmp_path / "depth", log=quiet)
    mobile = config_for(backend, **{"distill.teacher": str(teacher), "distill.attention": 1.0,
                                    "model": '{"name": "mobile", "width": 16}'})
    with pytest.raises(RecipeError, match="the 'mobile' network has none"):
        engine.Trainer(mobile, tmp_path / "mobile", log=quiet)


def test_a_missing_teacher_fails_before_any_work_even_on_resume(tmp_path):
    config = tiny(**{"distill.teacher": "/nowhere/teacher.pt"})
    for resume in (False, True):
        with pytest.raises(RecipeError, match=r"distill.teacher: checkpoint /nowhere/teacher.pt does not exist"):
            engine.Trainer(config, tmp_path, resume=resume, log=quiet)
