"""The README's commands are the ones CI runs, and the pins are the ones we promise."""

import re

from tests.helpers import REPO_ROOT


def test_readme_shows_the_exact_ci_test_command():
    ci_script = (REPO_ROOT / ".ci" / "run").read_text()
    command = re.search(r"^TEST_COMMAND='(.+)'$", ci_script, re.MULTILINE).group(1)
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"\n{command}\n" in readme


def test_constraints_pin_the_cpu_torch_and_the_larq_numpy():
    pins = dict(
        line.split("==", 1)
        for line in (REPO_ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert pins["torch"] == "2.13.0"
    assert pins["numpy"].startswith("1.")
    assert pins["opencv-python-headless"] == "4.11.0.86"
    assert "tf-keras" in pins or "tf_keras" in pins
