"""android-demo: the JVM tests of its pure-Java core and its offline APK build.

``android-demo/test.sh`` compiles the core and runs its JUnit tests on vectors that
``android-demo/tools/make_vectors.py`` makes with edgelmk's own code (here including a real int8
TFLite export run by the Python runtime). ``android-demo/build-offline.sh`` builds, signs and
checks the debug APK with Debian's Android tools.

Both need Debian packages that ``.ci/run`` installs first (android-demo/tools/install-debian-tools.sh).
Locally, without them, these tests skip and name that script. Under CI they fail, except the
APK build when .ci/run reported that the tools could not be installed (EDGELMK_ANDROID_TOOLS_UNAVAILABLE).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

DEMO = REPO_ROOT / "android-demo"
INSTALL_HINT = "install them with android-demo/tools/install-debian-tools.sh (root, Debian)"


def require(available: bool, what: str, ci_may_skip: bool = False) -> None:
    if available:
        return
    reason = os.environ.get("EDGELMK_ANDROID_TOOLS_UNAVAILABLE")
    if os.environ.get("CI") and not (ci_may_skip and reason):
        pytest.fail(f"{what} missing under CI; .ci/run should have installed them")
    pytest.skip(f"{what} not installed ({reason or INSTALL_HINT})")


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DEMO / script), *args], check=False, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHON": sys.executable, **env})


def test_java_core_agrees_with_the_python_runtime(export_factory, capsys):
    require(Path("/usr/share/java/junit4.jar").is_file() and shutil.which("javac") is not None, "junit4 and a JDK")
    _, folder, _ = export_factory("tflite", int8=True)
    result = run("test.sh", EDGELMK_EXPORT=str(folder))
    summary = re.findall(r"^(\d+) passed, (\d+) failed$", result.stdout, re.MULTILINE)
    assert result.returncode == 0 and summary, result.stdout[-4000:] + result.stderr[-4000:]
    passed, failed = map(int, summary[-1])
    with capsys.disabled():
        print(f"\nandroid-demo JUnit: {passed} passed, {failed} failed")
    assert failed == 0
    assert passed >= 100, "fewer JUnit tests ran than the vectors hold"
    assert "pipeline_export.json" in result.stdout, "the real export's vectors were not generated"


@pytest.mark.slow
def test_offline_apk_builds_signs_and_carries_the_model(export_factory):
    tools = ("aapt", "aapt2", "zipalign", "apksigner", "javac", "keytool", "zip")
    require(all(shutil.which(tool) for tool in tools), "Debian's aapt, zipalign, apksigner", ci_may_skip=True)
    _, folder, _ = export_factory("tflite", int8=True)
    result = run("build-offline.sh", "--model", str(folder))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Verified using v2 scheme (APK Signature Scheme v2): true" in result.stdout
    assert "package: name='org.edgelmk.demo'" in result.stdout
    assert "sdkVersion:'23'" in result.stdout
    assert "uses-permission: name='android.permission.CAMERA'" in result.stdout
    assert "assets/model.tflite" in result.stdout and "assets/model.json" in result.stdout
    assert (DEMO / "build" / "edgelmk-demo-debug.apk").is_file()


def test_offline_build_names_a_missing_model_file(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    result = run("build-offline.sh", "--model", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path}/model.tflite not found" in result.stderr
    assert "edgelmk export CHECKPOINT --target tflite --int8" in result.stderr
