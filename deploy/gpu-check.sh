#!/usr/bin/env bash
# Distributed training on a GPU machine: a short torchrun run, Ctrl-C, resume in one process,
# then the throughput table. Not part of CI (CI machines have no GPU); run it when one is there.
#
# Usage (after the README's install, from the repository root):
#   deploy/gpu-check.sh                  # every GPU of the machine
#   GPUS=2 deploy/gpu-check.sh           # the first two
#   DEVICE=cpu GPUS=2 deploy/gpu-check.sh  # the same steps in 2 CPU processes (gloo), to try the script
#
# What it does, on recipes/quickstart.yaml with 512 procedural faces:
#  1. edgelmk train --devices $GPUS (DistributedDataParallel, nccl) with optim.amp=$AMP for 4 epochs;
#     after the first epoch's checkpoint it sends Ctrl-C to every process (as a terminal does).
#  2. edgelmk train --resume in ONE process continues the multi-process run's checkpoint to the end.
#  3. benchmarks/train_throughput.py: images/s for 1 and $GPUS processes, amp none and $AMP.
# Environment: GPUS (default: torch.cuda.device_count()), DEVICE (cuda), AMP (bf16), OUT (runs/gpu-check),
# THROUGHPUT_SAMPLES (1024),
# PYTHON (python3).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
DEVICE="${DEVICE:-cuda}"
AMP="${AMP:-bf16}"
OUT="${OUT:-runs/gpu-check}"
if [ -z "${GPUS:-}" ]; then
    GPUS="$("$PYTHON" -c 'import torch; print(torch.cuda.device_count())')"
fi
if [ "$DEVICE" = cuda ] && [ "$GPUS" -lt 1 ]; then
    echo "gpu-check: no CUDA device here (torch.cuda.device_count() is 0); DEVICE=cpu runs the same steps on CPU" >&2
    exit 1
fi
SETTINGS=(--set data.train.num_samples=512 --set data.val.num_samples=64 --set optim.epochs=4 --set "optim.amp=$AMP")
RUN="$OUT/run"
rm -rf "$RUN"
mkdir -p "$OUT"

echo "== 1. $GPUS processes on $DEVICE, amp $AMP; Ctrl-C after the first epoch"
setsid "$PYTHON" -m edgelmk train recipes/quickstart.yaml --out "$RUN" --device "$DEVICE" --devices "$GPUS" \
    "${SETTINGS[@]}" > "$OUT/first.log" 2>&1 &
LAUNCHER=$!
for _ in $(seq 1200); do
    [ -f "$RUN/last.pt" ] && break
    kill -0 "$LAUNCHER" 2> /dev/null || break
    sleep 0.5
done
if [ ! -f "$RUN/last.pt" ]; then
    cat "$OUT/first.log"
    echo "gpu-check: FAILED: the multi-process run wrote no checkpoint (log above)" >&2
    exit 1
fi
kill -INT -- "-$LAUNCHER" 2> /dev/null || true  # the whole process group, like Ctrl-C in a terminal
wait "$LAUNCHER" || true
grep -E "^data:|^epoch|interrupted|stopped" "$OUT/first.log" || true

echo "== 2. resume in one process"
"$PYTHON" -m edgelmk train recipes/quickstart.yaml --out "$RUN" --device "$DEVICE" --resume "${SETTINGS[@]}" \
    | tee "$OUT/resume.log" | grep -E "^resumed|^epoch|^checkpoints"
"$PYTHON" - "$RUN/last.pt" <<'EOF'
import sys
from edgelmk import checkpoint
state = checkpoint.load(sys.argv[1])
assert state["epoch"] == 4 and state["batches_done"] == 0, (state["epoch"], state["batches_done"])
print(f"gpu-check: resumed run finished: epoch {state['epoch']}, best {state['best']}")
EOF

echo "== 3. throughput"
"$PYTHON" benchmarks/train_throughput.py --device "$DEVICE" --processes "1,$GPUS" --amp "none,$AMP" \
    --samples "${THROUGHPUT_SAMPLES:-1024}" --out "$OUT/throughput"
