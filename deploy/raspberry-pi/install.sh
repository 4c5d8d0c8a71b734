#!/usr/bin/env bash
# Install the edgelmk runtime on Raspberry Pi OS 64-bit (or any aarch64 Debian): numpy, OpenCV,
# LiteRT (ai-edge-litert) and onnxruntime; no PyTorch, no TensorFlow.
# Usage (on the Pi, inside a checkout of edgelmk): deploy/raspberry-pi/install.sh [VENV_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${1:-$HOME/edgelmk-venv}"
if [ "$(uname -m)" != "aarch64" ]; then
    echo "warning: this is $(uname -m), not aarch64: Raspberry Pi OS must be the 64-bit edition" >&2
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -c "$REPO/constraints.txt" -e "$REPO[runtime]"
"$VENV/bin/python" -c "import edgelmk.runtime, ai_edge_litert, onnxruntime; print('edgelmk runtime ready')"
echo "next: $VENV/bin/edgelmk bench MODEL_DIR/model.tflite --threads 4"
