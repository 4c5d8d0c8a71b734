"""Recipes: a YAML file -> one validated config dict for training, evaluation and export.

A recipe lists only what differs from :data:`DEFAULTS`. Sections whose keys belong to a
registered class (``data.train``, ``data.val``, ``codec``, ``model``, ``loss``) are checked by
:mod:`edgelmk.validate` against the class; every other key is checked here: unknown keys get a
suggestion, wrong types say what was expected, and every problem is reported at once. Overrides ``a.b=value`` are parsed with
``yaml.safe_load`` (``--set optim.lr=3e-4``, ``--set model.precision=fp32``).

The codec's ``input_hw`` is always ``data.input_hw``: one codec config per recipe serves
the data pipeline, the evaluation and the export sidecar.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import yaml

from edgelmk.errors import RecipeError
from edgelmk.registry import close_matches

T = TypeVar("T")
REQUIRED = object()  # marks a key a recipe must give
OPEN = object()  # a mapping whose keys the registered class checks

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "data": {
        "train": REQUIRED,  # a DATASETS config
        "val": REQUIRED,
        "input_hw": [128, 128],
        "margin": 0.25,  # crop = box side x (1 + margin)
        "batch_size": 32,  # samples per optimizer step, over all processes of a multi-process run
        "micro_batch_size": 0,  # samples per forward pass (gradient accumulation); 0: each process's whole share
        "workers": 1,  # data-loading worker processes (per training process)
        "prefetch_factor": 2,  # batches each worker prepares ahead (with workers > 0)
        "cache": False,  # keep loaded training samples in memory (small or procedural datasets)
        "augment": {"scale_jitter": 0.2, "rotation_deg": 20.0, "shift": 0.05, "flip": True, "colour": 0.3,
                    "blur": 0.2, "occluders": 0.2},
    },
    "codec": OPEN,
    "model": OPEN,
    "loss": OPEN,
    "optim": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0, "epochs": 10, "schedule": "cosine",
              "warmup_epochs": 0,
              # bop: Helwegen et al.'s Bop flips the binary weights, Adam (optim.lr, the schedule) trains the rest
              "bop_threshold": 1e-8, "bop_gamma": 1e-4,
              "amp": "none",  # mixed precision: bf16 | fp16 (with loss scaling) | none
              "channels_last": False,  # NHWC memory layout (faster convolutions on GPUs and some CPUs)
              "sync_batchnorm": False},  # batch statistics over all processes' micro-batches (GPUs only)
    # flip_test: predict each validation / evaluation crop and its mirror image, average the two (twice the time)
    "eval": {"metric": "auto", "flip_test": False},
    # knowledge distillation (edgelmk.distill): teacher = a trained checkpoint's path (null: none); weight = the
    # teacher loss's share of the total (the ground truth has 1 - weight); attention = attention-transfer factor
    "distill": {"teacher": None, "weight": 0.5, "attention": 0.0},
}
OPEN_DEFAULTS = {
    "codec": {"name": "h3r", "heatmap_hw": [16, 16]},
    "model": {"name": "hourglass", "backend": "torch"},  # + the architecture's own (architecture.recipe_defaults)
    "loss": {},
}
CHOICES = {
    ("optim", "name"): ("adam", "adamw", "sgd", "bop"),
    ("optim", "schedule"): ("cosine", "constant"),
    ("optim", "amp"): ("none", "bf16", "fp16"),
    ("eval", "metric"): ("auto", "nme", "pckh", "coco_ap"),
}


def load_yaml(path: str | Path) -> dict:
    """Parse a recipe file; RecipeError naming the line of a syntax error."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"recipe {path} not found")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RecipeError(f"{path}: invalid YAML{where}: {getattr(error, 'problem', error)}") from None
    except UnicodeDecodeError:
        raise RecipeError(f"{path}: not a UTF-8 text file") from None
    if not isinstance(content, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of sections (data, codec, model, ...), "
                          f"got {type(content).__name__}")
    return content


def apply_overrides(recipe: dict, overrides: Sequence[str]) -> dict:
    """``["a.b=value", ...]`` -> a copy of the recipe with those values (YAML-parsed) set."""
    recipe = copy.deepcopy(recipe)
    for override in overrides:
        key, separator, text = override.partition("=")
        if not separator or not key.strip():
            raise RecipeError(f"override {override!r} must look like section.key=value, e.g. optim.lr=3e-4")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise RecipeError(f"override {override!r}: {text!r} is not a YAML value") from None
        node = recipe
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.setdefault(part, {}), dict):
                raise RecipeError(f"override {override!r}: {part!r} is not a section")
            node = node[part]
        node[parts[-1]] = value
    return recipe


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _as_float(value: Any) -> tuple[Any, bool]:
    """Integers and numeric strings as floats: YAML 1.1 reads ``3e-4`` (no dot) as a string."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value, False
    return number, isinstance(value, (int, str)) and math.isfinite(number)


def _open_defaults(section: str, given: Mapping) -> dict:
    """The defaults of an open section; ``model`` adds those of the architecture it names."""
    defaults = OPEN_DEFAULTS[section]
    if section != "model":
        return defaults
    from edgelmk.architecture import recipe_defaults  # imports this module: imported when first needed

    return {**defaults, **recipe_defaults(given.get("name", defaults["name"]))}


def _check(values: Mapping, defaults: Mapping, path: str, problems: list[str]) -> dict:
    """Merge ``values`` over ``defaults`` recursively; every unknown key, wrong type or choice goes to ``problems``.

    A value with a problem is replaced by its default, so that checking can go on.
    """
    if not isinstance(values, Mapping):
        problems.append(f"{path or 'recipe'} must be a mapping, got {_type_name(values)}")
        values = {}
    for key in values:
        if key not in defaults:
            where = f"{path}.{key}" if path else key
            problems.append(f"unknown recipe key {where!r}; known here: {', '.join(defaults)}."
                            f"{close_matches(str(key), list(defaults))}")
    merged = {}
    for key, default in defaults.items():
        where = f"{path}.{key}" if path else key
        value = values.get(key, default)
        if value is REQUIRED:
            problems.append(f"recipe key {where!r} is required")
        elif default is OPEN:
            given = value if value is not OPEN else {}
            if not isinstance(given, dict):
                problems.append(f"{where} must be a mapping")
                given = {}
            value = {**_open_defaults(key, given), **given}
        elif isinstance(default, dict):
            value = _check(value, default, where, problems)
        elif default is not REQUIRED and default is not None and value is not None:  # None: checked elsewhere
            expected = type(default)
            ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
            if expected is float and not ok and not isinstance(value, bool):
                number, ok = _as_float(value)
                value = number if ok else value
            if not ok:
                problems.append(f"recipe key {where!r} must be {_type_name(default)} like {default!r}, got {value!r}")
                value = default
        choices = CHOICES.get(tuple(where.split(".")))
        if choices and value not in choices:
            problems.append(f"recipe key {where!r} must be one of {', '.join(choices)}; got {value!r}."
                            f"{close_matches(str(value), list(choices))}")
            value = choices[0]
        merged[key] = value
    return merged


def check(recipe: Mapping) -> tuple[dict, list[str]]:
    """The recipe with its defaults filled in, and every problem of its structure.

    Checks keys, types and choices of every section, the dataset configs' ``name``, the
    backend and the ranges of epochs, batch size and learning rate; a value with a problem is
    replaced by its default. What the registered classes accept (``data.train``, ``codec``,
    ``model``, ``loss``) is checked by :func:`edgelmk.validate.problems`.
    """
    from edgelmk.backends import backend_of  # a table of names; imported here to keep this module at the bottom

    problems: list[str] = []
    optim = recipe.get("optim") if isinstance(recipe, Mapping) else None
    if isinstance(optim, Mapping) and "amp" in optim and optim["amp"] in (None, False):  # YAML reads `off` as false
        recipe = {**recipe, "optim": {**optim, "amp": "none"}}
    config = _check(recipe, DEFAULTS, "", problems)
    for side in ("train", "val"):
        if not isinstance(config["data"][side], dict) or "name" not in config["data"][side]:
            problems.append(f"data.{side} must be a dataset config with a 'name' (see `edgelmk ls datasets`)")
    try:
        backend_of(config)
    except RecipeError as error:
        problems.append(str(error))
    if config["optim"]["epochs"] < 1 or config["data"]["batch_size"] < 1 or config["optim"]["lr"] <= 0:
        problems.append("optim.epochs and data.batch_size must be >= 1 and optim.lr > 0")
    data = config["data"]
    if data["micro_batch_size"] < 0 or data["batch_size"] % max(data["micro_batch_size"], 1):
        problems.append(f"data.micro_batch_size must divide data.batch_size ({data['batch_size']}), or be 0 for no "
                        f"gradient accumulation; got {data['micro_batch_size']}")
    if data["workers"] < 0 or data["prefetch_factor"] < 1:
        problems.append("data.workers must be >= 0 and data.prefetch_factor >= 1")
    config["codec"]["input_hw"] = list(config["data"]["input_hw"])
    return config, problems


def problems_error(problems: Sequence[str]) -> RecipeError:
    """One RecipeError listing ``problems`` (the message of the only one, or a numbered list)."""
    if len(problems) == 1:
        return RecipeError(problems[0])
    return RecipeError(f"{len(problems)} problems in the recipe:\n" + "\n".join(f"  {index}. {problem}"
                                                                          for index, problem in enumerate(problems, 1)))


def resolve(recipe: Mapping) -> dict:
    """Validate a recipe mapping's structure and fill in the defaults.

    Raises:
        RecipeError: listing every key that is unknown, missing or of the wrong type.
    """
    config, problems = check(recipe)
    if problems:
        raise problems_error(problems)
    return config


#: keys that change where and how fast a run trains, not what it computes: a run may resume with other values
MACHINE_KEYS = (("data", "workers"), ("data", "prefetch_factor"), ("optim", "channels_last"))


def _without(config: Mapping, keys: Sequence[tuple[str, str]]) -> dict:
    """A deep copy of a recipe without the (section, key) ``keys``."""
    config = copy.deepcopy(dict(config))
    for section, key in keys:
        if isinstance(config.get(section), dict):
            config[section].pop(key, None)
    return config


def without_machine_keys(config: Mapping) -> dict:
    """A resolved recipe without its :data:`MACHINE_KEYS` (what must match to resume a run)."""
    return _without(config, MACHINE_KEYS)


#: keys that recipes of earlier versions had and that no longer exist (dropped from checkpoints' recipes)
RETIRED_KEYS = (("eval", "every"),)


def upgrade(saved: Mapping) -> dict:
    """A recipe saved with a checkpoint of an earlier version, without its :data:`RETIRED_KEYS` and with the
    defaults of keys added since."""
    return check(_without(saved, RETIRED_KEYS))[0]


def missing_paths(config: Mapping) -> list[str]:
    """The files a resolved recipe needs that do not exist here, as messages: the datasets' ``root`` and
    ``ann_file``, ``model.init_from`` and ``distill.teacher``; each says how to get it."""
    missing = [f"data.{side}.{key}: {config['data'][side][key]} does not exist (the recipe's header says how to "
               "obtain the dataset and where to put it)"
               for side in ("train", "val") for key in ("root", "ann_file")
               if isinstance(config["data"][side].get(key), str) and not Path(config["data"][side][key]).exists()]
    return missing + missing_checkpoints(config)


def missing_checkpoints(config: Mapping, resuming: bool = False) -> list[str]:
    """Messages for the ``model.init_from`` and ``distill.teacher`` checkpoints that do not exist here
    (``resuming``: a resumed run needs its teacher, not its initial weights)."""
    missing = []
    for section, key, use in (("model", "init_from", "start from scratch"), ("distill", "teacher", "train without")):
        path = config[section].get(key)
        if resuming and key == "init_from":
            continue
        if isinstance(path, str) and not Path(path).is_file():
            missing.append(f"{section}.{key}: checkpoint {path} does not exist (train the run it comes from first, "
                           f"as the recipe's header says, or {use} it with --set {section}.{key}=null)")
    return missing


def check_paths(config: Mapping) -> None:
    """Fail fast (before any heavy import) when a file the recipe needs does not exist.

    Raises:
        RecipeError: naming the first missing path and how to get it.
    """
    missing = missing_paths(config)
    if missing:
        raise RecipeError(missing[0])


def load(path: str | Path, overrides: Sequence[str] = ()) -> dict:
    """Read, override and validate a recipe file."""
    return resolve(apply_overrides(load_yaml(path), overrides))


def dump(config: Mapping, path: str | Path) -> None:
    """Write a resolved recipe as YAML (saved beside checkpoints)."""
    Path(path).write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")


def from_section(section: str, build: Callable[[], T], hint: str = "") -> T:
    """Build one part of a recipe; the registry's errors become a RecipeError naming the section."""
    try:
        return build()
    except (KeyError, ValueError, TypeError) as error:  # DatasetError is a ValueError
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        raise RecipeError(f"{section}: {message}{hint}") from None
