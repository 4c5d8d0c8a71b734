"""Which checkpoint tensor initialises which model tensor (``model.init_from``), on names and shapes alone."""

import pytest

from edgelmk.errors import TrainingError
from edgelmk.transfer import check_plan, plan_transfer

FLOAT = {"stem.0.weight": (32, 3, 7, 7), "stem.3.first.0.weight": (32,), "stem.3.first.2.weight": (16, 32, 3, 3),
         "stem.3.second.2.weight": (8, 16, 3, 3), "heads.0.2.weight": (68, 32, 1, 1), "heads.0.2.bias": (68,)}
BINARY = {"stem.0.weight": (32, 3, 7, 7), "stem.3.first.0.weight": (32,), "stem.3.first.1.weight": (16, 32, 3, 3),
          "stem.3.second.1.weight": (8, 16, 3, 3), "heads.0.2.weight": (29, 32, 1, 1), "heads.0.2.bias": (29,)}


def test_float_conv_weights_become_the_binary_models_latent_weights_and_other_heads_are_reinitialised():
    plan = plan_transfer(FLOAT, BINARY)
    assert plan.loaded == ["stem.0.weight", "stem.3.first.0.weight"]
    assert plan.renamed == {"stem.3.first.1.weight": "stem.3.first.2.weight",
                            "stem.3.second.1.weight": "stem.3.second.2.weight"}
    assert set(plan.skipped) == {"heads.0.2.weight", "heads.0.2.bias"}
    assert "shape (68, 32, 1, 1) in the checkpoint, (29, 32, 1, 1) here" in plan.skipped["heads.0.2.weight"]
    assert sorted(plan.unused) == ["heads.0.2.bias", "heads.0.2.weight"]
    report = plan.report("pre/best.pt")
    assert report.startswith("initialised from pre/best.pt: 2 tensors loaded, 2 taken from another precision's layer, "
                             "2 reinitialised, 2 checkpoint tensors unused")
    check_plan(plan, BINARY, "pre/best.pt", "num_keypoints 68 there, 29 here")  # most values load


def test_the_same_network_loads_whole_and_the_way_back_is_symmetric():
    assert plan_transfer(BINARY, BINARY).sources == {name: name for name in BINARY}
    assert plan_transfer(BINARY, FLOAT).renamed == {"stem.3.first.2.weight": "stem.3.first.1.weight",
                                                    "stem.3.second.2.weight": "stem.3.second.1.weight"}


def test_places_that_do_not_pair_up_are_reinitialised_not_guessed():
    model = {**BINARY, "stem.3.third.1.weight": (8, 8, 3, 3)}  # a layer the checkpoint's network lacks
    plan = plan_transfer(FLOAT, model)
    assert plan.skipped["stem.3.third.1.weight"] == "not in the checkpoint"


def test_another_architecture_is_refused_naming_what_differs():
    wide = {name: tuple(2 * side for side in shape) for name, shape in BINARY.items()}
    plan = plan_transfer(FLOAT, wide)
    with pytest.raises(TrainingError, match=r"only 0% of this model's weights fit .*\(width 32 there, 64 here\)"):
        check_plan(plan, wide, "pre/best.pt", "width 32 there, 64 here")
