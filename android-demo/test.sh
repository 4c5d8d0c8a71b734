#!/usr/bin/env bash
# JVM tests of the pure-Java core against vectors made by edgelmk's Python code.
#   1. tools/make_vectors.py writes the vectors with the project's Python ($PYTHON, else ../.venv/bin/python,
#      else python3), 2. javac compiles core/ and its JUnit 4 tests at Java 8 level, 3. they run and print
#      one "N passed, N failed" line. Exit status 0 only when every test passed.
# Needs a JDK (javac, java) and Debian's junit4 (tools/install-debian-tools.sh installs it).
# With EDGELMK_EXPORT=DIR (the --out folder of `edgelmk export --target tflite --int8`), the vectors
# also hold that real model's input and output bytes on a test image, and the Java pipeline must agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/build/jvm-test"

python=${PYTHON:-}
if [ -z "$python" ]; then
    if [ -x "$here/../.venv/bin/python" ]; then python="$here/../.venv/bin/python"; else python=python3; fi
fi
junit=${JUNIT_JAR:-/usr/share/java/junit4.jar}
hamcrest=${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}
for jar in "$junit" "$hamcrest"; do
    if [ ! -f "$jar" ]; then
        echo "test.sh: $jar not found; install Debian's junit4 (android-demo/tools/install-debian-tools.sh)" >&2
        exit 1
    fi
done
for tool in javac java; do
    command -v "$tool" > /dev/null || { echo "test.sh: $tool not found; install a JDK (8 or newer)" >&2; exit 1; }
done

rm -rf "$build"
mkdir -p "$build"
"$python" "$here/tools/make_vectors.py" ${EDGELMK_EXPORT:+--export "$EDGELMK_EXPORT"} "$build/vectors"
javac --release 8 -Xlint:all -Werror -d "$build/classes" $(find "$here/core/src/main/java" -name '*.java')
javac --release 8 -cp "$build/classes:$junit" -d "$build/test-classes" $(find "$here/core/src/test/java" -name '*.java')
java -Dedgelmk.vectors="$build/vectors" -cp "$build/classes:$build/test-classes:$junit:$hamcrest" \
    org.edgelmk.core.RunAllTests
