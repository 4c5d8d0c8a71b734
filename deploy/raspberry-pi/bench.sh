#!/usr/bin/env bash
# Benchmark every exported model under a folder with 1 and 4 threads; one JSON report per run.
# Usage (on the Pi): deploy/raspberry-pi/bench.sh EXPORTS_DIR [RUNS]
#   EXPORTS_DIR holds one folder per export (model.tflite or model.onnx + model.json).
set -euo pipefail
EXPORTS="${1:?usage: $0 EXPORTS_DIR [RUNS]}"
RUNS="${2:-200}"
EDGELMK="${EDGELMK:-$HOME/edgelmk-venv/bin/edgelmk}"
for model in "$EXPORTS"/*/model.tflite "$EXPORTS"/*/model.onnx; do
    [ -f "$model" ] || continue
    if grep -q '"target": "lce"' "$(dirname "$model")/model.json"; then
        echo "skip $model: LCE models need LCE's own benchmark binary (see README.md)"
        continue
    fi
    for threads in 1 4; do
        "$EDGELMK" bench "$model" --threads "$threads" --runs "$RUNS" --warmup 20
        "$EDGELMK" bench "$model" --threads "$threads" --runs "$RUNS" --warmup 20 --json \
            >"$(dirname "$model")/bench-${threads}threads.json"
    done
done
