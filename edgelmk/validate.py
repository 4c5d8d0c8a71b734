"""``edgelmk validate``: every problem of a recipe at once, in milliseconds.

Checks the structure (:func:`edgelmk.recipe.check`), then each section against what it
configures, without reading a dataset or building a network: the dataset configs against
their readers' signatures (:meth:`edgelmk.registry.Registry.check`), the codec, the model
against its architecture (:mod:`edgelmk.architecture`) and backend, the loss against
:mod:`edgelmk.losses`. ``edgelmk train`` runs the same check first.
"""

from __future__ import annotations

from typing import Mapping

from edgelmk import recipe as recipes
from edgelmk.architecture import model_architecture
from edgelmk.backends import BACKENDS, DEFAULT
from edgelmk.codecs import CODECS
from edgelmk.data import DATASETS
from edgelmk.data.skeletons import skeleton_from
from edgelmk.distill import distill_problems
from edgelmk.errors import RecipeError
from edgelmk.losses import loss_spec


def _num_keypoints(config: dict) -> int:
    """The keypoint count of the training data when it is known without reading files, else 1."""
    from edgelmk.data.dataset import recipe_skeleton

    try:
        return recipe_skeleton(config).num_keypoints
    except (RecipeError, KeyError, ValueError):
        return 1


def _section(check) -> list[str]:
    """[the message] of the RecipeError ``check()`` raises, or []."""
    try:
        check()
    except RecipeError as error:
        return [str(error)]
    return []


def _unsaid_flip(skeleton: object, config: dict, side: str) -> list[str]:
    """A declared scheme must say which points a flip swaps when flips augment the data or the flip test is on."""
    if not isinstance(skeleton, dict) or "flip_pairs" in skeleton:
        return []
    if side == "train" and config["data"]["augment"]["flip"]:
        return ["data.train.skeleton declares no flip_pairs, but data.augment.flip is true: a mirrored photo would "
                "keep its left points labelled left. Give the pairs a flip swaps (flip_pairs: [] when every point "
                "is its own mirror image), or --set data.augment.flip=false"]
    if side == "val" and config["eval"]["flip_test"]:
        return ["data.val.skeleton declares no flip_pairs, but eval.flip_test is true: the mirrored crop's left "
                "points would be averaged with the right ones. Give the pairs a flip swaps (flip_pairs: [] when "
                "every point is its own mirror image), or --set eval.flip_test=false"]
    return []


def _init_from_problems(init_from: object) -> list[str]:
    """``model.init_from`` is a checkpoint's path or left out (whether it exists is :func:`recipe.missing_paths`'s)."""
    if init_from is None or isinstance(init_from, str) and init_from:
        return []
    return [f"model.init_from must be the path of a checkpoint (.pt or .larq.npz), got {init_from!r}"]


def problems(recipe: Mapping) -> tuple[dict, list[str]]:
    """The resolved recipe (defaults filled in) and every problem found in it, each naming its key."""
    config, found = recipes.check(recipe)
    data_ok = True
    for side in ("train", "val"):
        dataset = config["data"][side]
        if isinstance(dataset, dict) and "name" in dataset:
            side_problems = [f"data.{side}: {problem}" for problem in DATASETS.check(dataset)]
            if "skeleton" in dataset:
                side_problems += _section(lambda d=dataset, s=side: recipes.from_section(
                    f"data.{s}.skeleton", lambda: skeleton_from(d["skeleton"])))
                side_problems += _unsaid_flip(dataset["skeleton"], config, side)
            data_ok = data_ok and not side_problems
            found += side_problems
    codec_problems = [f"codec: {problem}" for problem in CODECS.check(config["codec"])]
    if not codec_problems:
        codec_problems = _section(lambda: recipes.from_section("codec", lambda: CODECS.build(config["codec"])))
    found += codec_problems
    if config["codec"].get("name") in CODECS.names():  # the loss's default comes from the codec
        found += _section(lambda: loss_spec(config))
    num_keypoints = _num_keypoints(config) if data_ok else 1
    architecture: dict = {}
    model_problems = _section(lambda: architecture.update(model_architecture(config, num_keypoints)))
    found += model_problems
    found += _init_from_problems(config["model"].get("init_from"))
    found += distill_problems(config)
    backend = BACKENDS.get(config["model"].get("backend", DEFAULT))
    if backend and not model_problems:
        found += _section(lambda: backend.check_architecture(config["model"]["name"]))
        found += _section(lambda: backend.check_precision(architecture["precision"]))
    if backend:
        found += backend.option_problems(config)
    return config, found


def check(config: Mapping) -> None:
    """Raise one RecipeError listing every problem of a recipe (nothing when it is valid)."""
    _, found = problems(config)
    if found:
        raise recipes.problems_error(found)
