"""The export-target table drives the exporter choice, the runtime's interpreters and file suffixes, and the CLI."""

import importlib

import pytest
from click.testing import CliRunner

from edgelmk.backends import BACKENDS
from edgelmk.cli import main
from edgelmk.errors import EdgelmkError
from edgelmk.runtime.interpreters import INTERPRETERS
from edgelmk.runtime.sidecar import SidecarError
from edgelmk.targets import TARGETS, check_target
from tests.helpers import optional_import


def test_every_row_names_a_known_interpreter_backend_and_precision():
    for target in TARGETS.values():
        assert target.interpreter in INTERPRETERS, target.name
        assert set(target.backends) <= set(BACKENDS) and target.suffix.startswith(".")
        assert set(target.int8_only) <= set(target.precisions)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_exporter_is_a_function(name):
    optional_import("torch")
    optional_import("tensorflow")
    module, function = TARGETS[name].exporter.split(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_the_cli_offers_exactly_the_table():
    result = CliRunner().invoke(main, ["export", "--help"])
    assert result.exit_code == 0
    for target in TARGETS.values():
        assert target.name in result.output
    result = CliRunner().invoke(main, ["export", "x.pt", "--target", "coreml", "--out", "y"])
    assert result.exit_code == 2 and all(f"'{name}'" in result.output for name in TARGETS)


def test_a_file_whose_suffix_is_not_its_targets_is_refused(tmp_path):
    from edgelmk.runtime.model import _check_file_type

    (tmp_path / "model.onnx").write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match="target 'tflite', which needs a .tflite file"):
        _check_file_type(tmp_path / "model.onnx", "tflite")
    assert issubclass(SidecarError, EdgelmkError)


def test_refusals_name_what_would_work():
    with pytest.raises(EdgelmkError, match="a Keras \\+ Larq checkpoint exports to --target tflite or lce"):
        check_target("w1a1", "onnx", False, "larq", "Keras + Larq")
    with pytest.raises(EdgelmkError, match="this checkpoint is w8a8: use --target onnx --int8"):
        check_target("w8a8", "lce", False)
    with pytest.raises(EdgelmkError, match="use --target onnx --int8 or --target tflite --int8"):
        check_target("w1a1", "lce", True)
    assert check_target("w1a1", "tflite", True).suffix == ".tflite"
