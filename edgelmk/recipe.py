"""Recipes: a YAML file -> one validated config dict for training, evaluation and export.

A recipe lists only what differs from :data:`DEFAULTS`. Sections whose keys belong to a
registered class (``data.train``, ``data.val``, ``codec``, ``model``, ``loss``) are checked
when the class is built; every other key is checked here: unknown keys get a suggestion,
wrong types say what was expected. Overrides ``a.b=value`` are parsed with
``yaml.safe_load`` (``--set optim.lr=3e-4``, ``--set model.precision=fp32``).

The codec's ``input_hw`` is always ``data.input_hw``: one codec config per recipe serves
the data pipeline, the evaluation and the export sidecar.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from edgelmk.registry import close_matches

REQUIRED = object()  # marks a key a recipe must give
OPEN = object()  # a mapping whose keys the registered class checks

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "data": {
        "train": REQUIRED,  # a DATASETS config
        "val": REQUIRED,
        "input_hw": [128, 128],
        "margin": 0.25,  # crop = box side x (1 + margin)
        "batch_size": 32,
        "workers": 1,
        "cache": False,  # keep loaded training samples in memory (small or procedural datasets)
        "augment": {"scale_jitter": 0.2, "rotation_deg": 20.0, "shift": 0.05, "flip": True, "colour": 0.3,
                    "blur": 0.2, "occluders": 0.2},
    },
    "codec": OPEN,
    "model": OPEN,
    "loss": OPEN,
    "optim": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0, "epochs": 10, "schedule": "cosine",
              "warmup_epochs": 0},
    "eval": {"metric": "auto", "every": 1},
}
OPEN_DEFAULTS = {
    "codec": {"name": "h3r", "heatmap_hw": [16, 16]},
    "model": {"name": "hourglass", "backend": "torch", "precision": "w1a1", "block": "hpm", "width": 128,
              "depth": 3, "stacks": 1},
    "loss": {},
}
CHOICES = {
    ("optim", "name"): ("adam", "adamw", "sgd"),
    ("optim", "schedule"): ("cosine", "constant"),
    ("eval", "metric"): ("auto", "nme", "pckh", "coco_ap"),
}
BACKENDS = ("torch", "larq")


class RecipeError(ValueError):
    """A recipe that cannot be used; the message names the key and the fix."""


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


def _check(values: Mapping, defaults: Mapping, path: str) -> dict:
    """Merge ``values`` over ``defaults`` recursively, validating keys and types."""
    if not isinstance(values, Mapping):
        raise RecipeError(f"{path or 'recipe'} must be a mapping, got {_type_name(values)}")
    unknown = [key for key in values if key not in defaults]
    if unknown:
        key = unknown[0]
        where = f"{path}.{key}" if path else key
        raise RecipeError(f"unknown recipe key {where!r}; known here: {', '.join(defaults)}."
                          f"{close_matches(str(key), list(defaults))}")
    merged = {}
    for key, default in defaults.items():
        where = f"{path}.{key}" if path else key
        value = values.get(key, default)
        if value is REQUIRED:
            raise RecipeError(f"recipe key {where!r} is required")
        if default is OPEN:
            value = {**OPEN_DEFAULTS[key], **(value if value is not OPEN else {})}
            if not isinstance(value, dict):
                raise RecipeError(f"{where} must be a mapping")
        elif isinstance(default, dict):
            value = _check(value, default, where)
        elif default is not REQUIRED and value is not None:
            expected = type(default)
            ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
            if expected is float and not ok and not isinstance(value, bool):
                number, ok = _as_float(value)
                value = number if ok else value
            if not ok:
                raise RecipeError(f"recipe key {where!r} must be {_type_name(default)} like {default!r}, "
                                  f"got {value!r}")
        choices = CHOICES.get(tuple(where.split(".")))
        if choices and value not in choices:
            raise RecipeError(f"recipe key {where!r} must be one of {', '.join(choices)}; got {value!r}."
                              f"{close_matches(str(value), list(choices))}")
        merged[key] = value
    return merged


def resolve(recipe: Mapping) -> dict:
    """Validate a recipe mapping and fill in the defaults.

    Raises:
        RecipeError: naming the key that is unknown, missing or of the wrong type.
    """
    config = _check(recipe, DEFAULTS, "")
    for side in ("train", "val"):
        if not isinstance(config["data"][side], dict) or "name" not in config["data"][side]:
            raise RecipeError(f"data.{side} must be a dataset config with a 'name' (see `edgelmk ls datasets`)")
    if config["model"].get("backend", "torch") not in BACKENDS:
        raise RecipeError(f"model.backend must be one of {', '.join(BACKENDS)}, got {config['model']['backend']!r}")
    if config["optim"]["epochs"] < 1 or config["data"]["batch_size"] < 1 or config["optim"]["lr"] <= 0:
        raise RecipeError("optim.epochs and data.batch_size must be >= 1 and optim.lr > 0")
    config["codec"]["input_hw"] = list(config["data"]["input_hw"])
    return config


def check_data_paths(config: Mapping) -> None:
    """Fail fast (before any heavy import) when a dataset's ``root`` or ``ann_file`` does not exist.

    Raises:
        RecipeError: naming the missing path and pointing at the recipe's header.
    """
    for side in ("train", "val"):
        for key in ("root", "ann_file"):
            value = config["data"][side].get(key)
            if isinstance(value, str) and not Path(value).exists():
                raise RecipeError(f"data.{side}.{key}: {value} does not exist.\nThe recipe's header says how to "
                                  "obtain the dataset and where to put it.")


def load(path: str | Path, overrides: Sequence[str] = ()) -> dict:
    """Read, override and validate a recipe file."""
    return resolve(apply_overrides(load_yaml(path), overrides))


def dump(config: Mapping, path: str | Path) -> None:
    """Write a resolved recipe as YAML (saved beside checkpoints)."""
    Path(path).write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
