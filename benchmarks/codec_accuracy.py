"""Codec and precision accuracy on synthetic faces with one fixed training budget (a table, not a test).

Trains the same small hourglass (hpm blocks, width 64, depth 3, 128x128 crops) on the same
procedural faces with the same seed and budget:

* codecs gaussian, h3r and dsnt at heatmap sizes 16, 32 and 64 (fp32);
* fp32, w8a8 and w1a1 for h3r at 16x16.

and prints one table of validation NME (outer-eye-corner normaliser), FR@0.10, training
images per second (measured in the same run, on this machine) and the weight size as
trained. With the larq backend (default: both), every fp32 / w1a1 row is trained a second
time in Keras + Larq on the same faces, recipe and budget, in its own columns (w8a8 is
PyTorch + Brevitas only). The faces are written once to a temporary folder in 300W's layout
and read back cached, so every run sees identical pixels.

Usage: python benchmarks/codec_accuracy.py [--train-samples 2000] [--epochs 5] [--backends torch,larq]
       [--only h3r:16:w1a1,h3r:16:fp32] [--out runs/codec_accuracy]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from edgelmk import engine, recipe
from edgelmk.data.synthetic import SyntheticFaces, write_300w_layout
from edgelmk.nn.summary import summarize

RUNS = [(codec, size, "fp32") for codec in ("gaussian", "h3r", "dsnt") for size in (16, 32, 64)]
RUNS += [("h3r", 16, "w8a8"), ("h3r", 16, "w1a1")]


def base_recipe(train_root: Path, val_root: Path, epochs: int, seed: int) -> dict:
    return {
        "seed": seed,
        "data": {"train": {"name": "300w", "root": str(train_root)}, "val": {"name": "300w", "root": str(val_root)},
                 "input_hw": [128, 128], "batch_size": 32, "workers": 1, "cache": True},
        "model": {"name": "hourglass", "block": "hpm", "width": 64, "depth": 3, "stacks": 1},
        "optim": {"name": "adam", "lr": 0.002, "epochs": epochs, "schedule": "cosine"},
    }


def run_one(base: dict, codec: str, size: int, precision: str, backend: str, out_dir: Path) -> dict:
    config = recipe.resolve(recipe.apply_overrides(base, [f"codec.name={codec}", f"codec.heatmap_hw=[{size}, {size}]",
                                                          f"model.precision={precision}", f"model.backend={backend}"]))
    folder = out_dir / f"{codec}_{size}_{precision}_{backend}"
    trainer = engine.Trainer(config, folder, log=lambda *_: None)
    report = trainer.fit()
    images = config["optim"]["epochs"] * trainer.run.steps_per_epoch * config["data"]["batch_size"]
    train_seconds = sum(row["train_seconds"] for row in trainer.history)
    result = {"NME": report["NME"], "FR@0.10": report["FR@0.10"], "images_per_s": images / train_seconds}
    if backend == "torch":
        sizes = summarize(trainer.model, tuple(config["data"]["input_hw"]))["size_bytes"]
        result["size_kib"] = sizes["as trained"] / 1024
    return result


def cells(result: dict | None) -> str:
    if result is None:
        return "n/a | n/a | n/a"
    return f"{result['NME']:.4f} | {result['FR@0.10']:.3f} | {result['images_per_s']:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-samples", type=int, default=2000)
    parser.add_argument("--val-samples", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="torch,larq", help="comma-separated: torch, larq")
    parser.add_argument("--only", help="comma-separated codec:size:precision rows, e.g. h3r:16:w1a1 (default all)")
    parser.add_argument("--out", type=Path, default=Path("runs/codec_accuracy"))
    args = parser.parse_args()
    backends = args.backends.split(",")
    runs = [run for run in RUNS if not args.only or f"{run[0]}:{run[1]}:{run[2]}" in args.only.split(",")]

    with tempfile.TemporaryDirectory() as folder:
        train_root, val_root = Path(folder) / "train", Path(folder) / "val"
        write_300w_layout(SyntheticFaces(args.train_samples, (160, 160), seed=1), train_root, args.train_samples)
        write_300w_layout(SyntheticFaces(args.val_samples, (160, 160), seed=2), val_root, args.val_samples)
        base = base_recipe(train_root, val_root, args.epochs, args.seed)
        print(f"synthetic_faces: {args.train_samples} training / {args.val_samples} validation faces, "
              f"{args.epochs} epochs, 128x128 crops, hourglass hpm width 64 depth 3, Adam 2e-3 cosine\n")
        print("| codec | heatmap | precision | NME | FR@0.10 | train img/s | NME (Larq) | FR@0.10 (Larq) "
              "| train img/s (Larq) | weights (KiB, as trained) |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for codec, size, precision in runs:
            torch_result = run_one(base, codec, size, precision, "torch", args.out) if "torch" in backends else None
            larq_result = (run_one(base, codec, size, precision, "larq", args.out)
                           if "larq" in backends and precision in ("fp32", "w1a1") else None)
            size_kib = f"{torch_result['size_kib']:.0f}" if torch_result else "n/a"
            print(f"| {codec} | {size}x{size} | {precision} | {cells(torch_result)} | {cells(larq_result)} "
                  f"| {size_kib} |", flush=True)


if __name__ == "__main__":
    main()
