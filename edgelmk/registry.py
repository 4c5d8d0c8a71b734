"""A small name -> class registry that builds objects from config dicts.

``CODECS.build({"name": "h3r", "input_hw": [256, 256], "heatmap_hw": [16, 16]})`` looks up
the class registered as ``h3r`` and calls it with the remaining keys. Unknown names and
unknown keys raise errors that list the close matches, so a typo in a recipe is one
glance away from its fix.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any, Callable, Generic, Mapping, TypeVar

T = TypeVar("T")


def close_matches(word: str, candidates: list[str]) -> str:
    """A ' Did you mean ...?' suffix for error messages, or '' when nothing is close."""
    matches = difflib.get_close_matches(word, candidates, n=3, cutoff=0.5)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


class Registry(Generic[T]):
    """Named classes of one kind (codecs, models, datasets, losses).

    Each registered class provides a one-line ``summary`` class attribute, shown by
    ``edgelmk ls``.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator registering ``cls`` under ``name`` (short snake_case)."""

        def decorator(cls: type[T]) -> type[T]:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is already registered by {self._classes[name]!r}")
            self._classes[name] = cls
            cls.name = name  # type: ignore[attr-defined]
            return cls

        return decorator

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._classes)

    def summaries(self) -> dict[str, str]:
        """name -> one-line description."""
        return {name: getattr(self._classes[name], "summary", "") for name in self.names()}

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``.

        Raises:
            KeyError: for an unknown name, listing the known ones and close matches.
        """
        if not isinstance(name, str) or name not in self._classes:
            hint = close_matches(name, self.names()) if isinstance(name, str) else ""
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}.{hint}")
        return self._classes[name]

    def _unknown_keys(self, name: str, cls: type, keys) -> list[str]:
        accepted = [p for p in inspect.signature(cls).parameters if p not in ("self", "args", "kwargs")]
        return [f"{self.kind} {name!r} got an unknown key {key!r}; accepted keys: {', '.join(accepted)}."
                f"{close_matches(str(key), accepted)}" for key in keys if key not in accepted]

    def check(self, config: Any) -> list[str]:
        """Every problem of a config, found without building it: name, unknown keys, missing keys.

        Binds the keys to the class's signature; the values are checked only when it is built.
        """
        if not isinstance(config, Mapping):
            return [f"a {self.kind} config must be a mapping with a 'name' key, got {type(config).__name__}"]
        if "name" not in config:
            return [f"a {self.kind} config needs a 'name' key, one of: {', '.join(self.names())}"]
        try:
            cls = self.get(config["name"])
        except KeyError as error:
            return [error.args[0]]
        kwargs = {key: value for key, value in config.items() if key != "name"}
        problems = self._unknown_keys(config["name"], cls, kwargs)
        if not problems:
            try:
                inspect.signature(cls).bind(**kwargs)
            except TypeError as error:
                problems.append(f"{self.kind} {config['name']!r}: {error}")
        return problems

    def build(self, config: Mapping[str, Any]) -> T:
        """Instantiate from ``{"name": ..., **keyword_arguments}``.

        Raises:
            TypeError: when ``config`` is not a mapping.
            KeyError: for a missing or unknown name.
            ValueError: for keys the class does not accept (with suggestions).
        """
        if not isinstance(config, Mapping):
            raise TypeError(f"a {self.kind} config must be a mapping with a 'name' key, got {type(config).__name__}")
        if "name" not in config:
            raise KeyError(f"a {self.kind} config needs a 'name' key, one of: {', '.join(self.names())}")
        cls = self.get(config["name"])
        kwargs = {key: value for key, value in config.items() if key != "name"}
        unknown = self._unknown_keys(config["name"], cls, kwargs)
        if unknown:
            raise ValueError(unknown[0])
        return cls(**kwargs)
