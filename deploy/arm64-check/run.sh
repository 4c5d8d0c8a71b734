#!/usr/bin/env bash
# Run exported TFLite / ONNX models on aarch64 (emulated by qemu-user) and compare with x86_64.
#
# Usage (root, Debian/Ubuntu x86_64 host, network to the Debian archive and PyPI):
#   deploy/arm64-check/run.sh EXPORT_DIR [EXPORT_DIR ...]
# Each EXPORT_DIR holds model.tflite or model.onnx + model.json from `edgelmk export`.
# LCE models are skipped: no aarch64 LCE interpreter exists on PyPI (see deploy/raspberry-pi).
#
# What it does:
#  1. apt-get installs debootstrap and qemu-user-static on the host.
#  2. debootstrap --foreign fetches a Debian bookworm arm64 userland with python3 (first stage
#     only: nothing is executed, the .debs are unpacked with dpkg-deb), into $WORK/rootfs.
#  3. pip (on the host) installs the aarch64 wheels of edgelmk's dependencies and its runtime extra
#     (numpy, click, pyyaml, tqdm, opencv-python-headless, onnxruntime, ai-edge-litert, numba), pinned by
#     constraints.txt, into $WORK/site.
#  4. For each model: the x86_64 Python computes reference outputs on fixed random crops; the
#     aarch64 Python (qemu-aarch64-static -cpu cortex-a72, one process, no binfmt needed) runs the same crops
#     through edgelmk.runtime; the outputs and decoded keypoints are compared.
# Environment: WORK (default /var/tmp/edgelmk-arm64), PYTHON (host python with edgelmk[runtime]).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${WORK:-/var/tmp/edgelmk-arm64}"
PYTHON="${PYTHON:-python3}"
ROOTFS="$WORK/rootfs"
SITE="$WORK/site"

if [ "$#" -eq 0 ]; then
    echo "usage: $0 EXPORT_DIR [EXPORT_DIR ...]   (folders written by edgelmk export)" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (apt-get and debootstrap need it)" >&2
    exit 2
fi
start=$(date +%s)
mkdir -p "$WORK"

if ! command -v debootstrap >/dev/null || ! command -v qemu-aarch64-static >/dev/null; then
    echo "== installing debootstrap and qemu-user-static"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap qemu-user-static >/dev/null
fi

if [ ! -x "$ROOTFS/usr/bin/python3.11" ]; then
    echo "== debootstrap (first stage) of Debian bookworm arm64 with python3"
    rm -rf "$ROOTFS"
    debootstrap --foreign --arch=arm64 --variant=minbase --include=python3,libstdc++6,libgomp1 \
        bookworm "$ROOTFS" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { echo "debootstrap failed; see $WORK/debootstrap.log" >&2; exit 1; }
    for deb in "$ROOTFS"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
fi

# qemu-user passes /proc and /sys through from the x86_64 host, and onnxruntime's cpuinfo crashes
# (SIGSEGV at import) on x86 CPU descriptions. With -L, qemu looks up paths in the rootfs first,
# so the rootfs gets the description of a Raspberry Pi 4 (4 x Cortex-A72), the CPU qemu emulates.
mkdir -p "$ROOTFS/proc" "$ROOTFS/sys/devices/system/cpu"
for cpu in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' "$cpu"
done >"$ROOTFS/proc/cpuinfo"
for list in possible present online; do echo "0-3" >"$ROOTFS/sys/devices/system/cpu/$list"; done

if [ ! -d "$SITE/onnxruntime" ] || [ ! -d "$SITE/yaml" ] || [ ! -d "$SITE/numba" ]; then
    echo "== aarch64 wheels into $SITE"
    rm -rf "$SITE"
    platforms=(--platform manylinux2014_aarch64)
    for glibc_minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${glibc_minor}_aarch64"); done  # bookworm: glibc 2.36
    "$PYTHON" -m pip install -q --target "$SITE" "${platforms[@]}" --python-version 3.11 --implementation cp --only-binary=:all: \
        -c "$REPO/constraints.txt" numpy click pyyaml tqdm opencv-python-headless onnxruntime ai-edge-litert numba  # edgelmk's own + [runtime]
fi

status=0
for export_dir in "$@"; do
    echo "== $export_dir"
    if grep -q '"target": "lce"' "$export_dir/model.json"; then
        echo "skipped: an LCE model (no aarch64 LCE interpreter on PyPI; see deploy/raspberry-pi)"
        continue
    fi
    compare="$WORK/compare-$(basename "$export_dir")"
    mkdir -p "$compare"
    # reference and run exit 1 when that machine's compiled decode differs from its numpy decode
    "$PYTHON" "$HERE/compare.py" reference "$export_dir" "$compare" || status=1
    PYTHONPATH="$REPO:$SITE" PYTHONNOUSERSITE=1 qemu-aarch64-static -cpu cortex-a72 -L "$ROOTFS" "$ROOTFS/usr/bin/python3.11" \
        "$HERE/compare.py" run "$export_dir" "$compare" || status=1
    "$PYTHON" "$HERE/compare.py" check "$export_dir" "$compare" || status=1
done
echo "== done in $(( $(date +%s) - start )) s"
exit $status
