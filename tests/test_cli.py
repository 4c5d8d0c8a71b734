import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgelmk import __version__
from edgelmk.cli import main
from edgelmk.codecs import CODECS


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert "landmark localization" in result.output and "ls" in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_ls_codecs_prints_every_codec_with_its_summary():
    result = run("ls", "codecs")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == CODECS.names()
    for name, summary in CODECS.summaries().items():
        assert f"{name}" in result.output and summary in result.output


def test_ls_unknown_kind_is_a_usage_error():
    result = run("ls", "codec")
    assert result.exit_code == 2 and "'codec' is not one of 'codecs', 'datasets', 'detectors', 'losses', 'models'" in result.output


def test_console_script_is_installed():
    executable = Path(sys.executable).parent / "edgelmk"
    if not executable.exists() and not os.environ.get("CI"):
        pytest.skip(f"no console script at {executable}: edgelmk is not pip-installed in this interpreter")
    result = subprocess.run([str(executable), "ls", "codecs"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "h3r" in result.stdout


def test_errors_are_one_line_messages_and_debug_shows_the_traceback(tmp_path):
    from edgelmk.errors import CheckpointError, EdgelmkError

    (tmp_path / "broken.pt").write_bytes(b"PK\x03\x04 broken zip")
    result = run("eval", str(tmp_path / "broken.pt"))
    assert result.exit_code == 1 and "not a readable checkpoint" in result.output and "Traceback" not in result.output
    result = run("--debug", "eval", str(tmp_path / "broken.pt"))
    assert isinstance(result.exception, CheckpointError) and isinstance(result.exception, EdgelmkError)


@pytest.mark.parametrize("kind", ["models", "losses"])
def test_ls_models_and_losses_need_no_framework(kind):
    result = run("ls", kind)
    assert result.exit_code == 0 and ("hourglass" in result.output or "h3r_cross_entropy" in result.output)
