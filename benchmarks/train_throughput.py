"""Training throughput: images per second in 1 and more processes, with and without mixed precision.

Trains a recipe (default: the quickstart's network on procedural faces) for a short fixed budget
with `edgelmk train` in each setting — ``--devices N`` (torchrun, DistributedDataParallel; gloo on
CPUs, nccl on GPUs) x ``optim.amp`` — and prints one table: images per second of the last epoch
(the first warms up), its ratio to the first row, and the final training loss. All rows share the
data, seed and global batch, so each process trains ``batch_size / N`` samples a step. A second
table gives the data pipeline's cost per sample (read + augment + encode), i.e. how many
data-loading workers (``data.workers``, per process) a given throughput needs.

On a CPU the processes share its cores (torchrun gives each one thread), so N processes show
the cost of the communication, not a speed-up; on a machine with N GPUs, run e.g.

    python benchmarks/train_throughput.py --device cuda --processes 1,2,4 --amp none,bf16,fp16

Usage: python benchmarks/train_throughput.py [RECIPE] [--processes 1,2] [--amp none,bf16] [--device cpu]
       [--samples 256] [--epochs 2] [--set KEY=VALUE ...] [--out runs/train_throughput]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from edgelmk import recipe
from edgelmk.codecs import CODECS
from edgelmk.data.dataset import SampleEncoder, build_dataset, train_transform

REPO_ROOT = Path(__file__).resolve().parent.parent


def sized(config: dict, samples: int) -> list[str]:
    """Overrides that set the training and validation sample counts of procedural datasets."""
    overrides = []
    for side, count in (("train", samples), ("val", max(32, samples // 8))):
        if "num_samples" in config["data"][side]:
            overrides.append(f"data.{side}.num_samples={count}")
    return overrides


def train_once(recipe_path: Path, overrides: list[str], processes: int, device: str, out_dir: Path) -> dict:
    """One `edgelmk train` run; its last epoch's images per second and loss (from metrics.csv)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    command = [sys.executable, "-m", "edgelmk", "train", str(recipe_path), "--out", str(out_dir), "--device", device,
               "--devices", str(processes), *[f"--set={value}" for value in overrides]]
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    with open(out_dir / "metrics.csv") as handle:
        last = list(csv.DictReader(handle))[-1]
    config = recipe.load(out_dir / "recipe.yaml")
    batch = config["data"]["batch_size"]
    steps = len(build_dataset(config, "train")) // batch
    return {"images_per_s": steps * batch / float(last["train_seconds"]), "loss": float(last["train_loss"]),
            "wall_s": time.time() - started}


def pipeline_cost(config: dict, count: int = 64) -> dict:
    """Milliseconds per training sample of the data pipeline in one worker (read, augment, encode)."""
    dataset = build_dataset(config, "train")
    samples = SampleEncoder(dataset, train_transform(config, dataset.skeleton), CODECS.build(config["codec"]),
                            config["seed"])
    count = min(count, len(samples))
    samples.item(0, 0)  # imports and lazy set-up out of the timing
    started = time.perf_counter()
    for index in range(count):
        samples.item(index, 0)
    return {"ms_per_sample": 1000 * (time.perf_counter() - started) / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", nargs="?", type=Path, default=REPO_ROOT / "recipes" / "quickstart.yaml")
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts (--devices)")
    parser.add_argument("--amp", default="none,bf16", help="comma-separated optim.amp values (none, bf16, fp16)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (each process takes cuda:<local rank>)")
    parser.add_argument("--samples", type=int, default=256, help="training samples of a procedural dataset")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run (the last one is measured)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="more recipe overrides for every run, e.g. optim.channels_last=true")
    parser.add_argument("--out", type=Path, default=Path("runs/train_throughput"))
    args = parser.parse_args()

    config = recipe.load(args.recipe, args.overrides)
    overrides = [*sized(config, args.samples), f"optim.epochs={args.epochs}", *args.overrides]
    config = recipe.load(args.recipe, overrides)
    print(f"{args.recipe.name}: batch {config['data']['batch_size']}, {config['model']['precision']} "
          f"{config['model']['name']} width {config['model'].get('width')}, input {config['data']['input_hw']}, "
          f"{args.samples} samples x {args.epochs} epochs per run, device {args.device}")

    rows = []
    for processes in [int(value) for value in args.processes.split(",")]:
        for amp in args.amp.split(","):
            label = f"{processes} process{'es' if processes > 1 else ''}, amp {amp}"
            print(f"  training: {label} ...", flush=True)
            result = train_once(args.recipe, [*overrides, f"optim.amp={amp}"], processes, args.device,
                                args.out / f"p{processes}_{amp}")
            rows.append((label, result))

    first = rows[0][1]["images_per_s"]
    print(f"\n{'setting':<26}{'images/s':>10}{'ratio':>8}{'loss':>10}{'wall s':>9}")
    for label, result in rows:
        print(f"{label:<26}{result['images_per_s']:>10.1f}{result['images_per_s'] / first:>8.2f}"
              f"{result['loss']:>10.4f}{result['wall_s']:>9.0f}")

    cost = pipeline_cost(config)["ms_per_sample"]
    best = max(result["images_per_s"] for _, result in rows)
    print(f"\ndata pipeline, one worker, uncached (read or draw, augment, encode): {cost:.2f} ms per sample = "
          f"{1000 / cost:.0f} samples/s; the fastest row above consumes {best:.0f}/s, i.e. at least "
          f"{int(np.ceil(best * cost / 1000))} data-loading workers in all (data.workers x processes) unless "
          "data.cache keeps the samples")


if __name__ == "__main__":
    main()
