"""Codec and precision accuracy on synthetic faces with one fixed training budget (a table, not a test).

Trains the same small hourglass (hpm blocks, width 64, depth 3, 128x128 crops) on the same
procedural faces with the same seed and budget:

* codecs gaussian, h3r and dsnt at heatmap sizes 16, 32 and 64 (fp32);
* fp32, w8a8 and w1a1 for h3r at 16x16;
* w1a1 h3r 16x16 with each binary training option alone and combined: RPReLU after every
  binary conv (``rprelu``), real-valued shortcuts around them (``shortcut``), the two-step
  schedule (``two-step``: binary activations with real weights for the first half of the
  epochs, then all binary from that checkpoint, the same budget in all), and distillation from
  the fp32 row's checkpoint (``distilled``: its softmax maps; ``attention``: plus attention
  transfer at every hourglass level; :mod:`edgelmk.distill`), and the Bop optimizer for the
  binary weights (``bop``); options in ``binary_options.py``.

and prints one table of validation NME (outer-eye-corner normaliser), FR@0.10, training
images per second (measured in the same run, on this machine) and the weight size as
trained. With the larq backend (default: both), every fp32 / w1a1 row is trained a second
time in Keras + Larq on the same faces, recipe and budget, in its own columns (w8a8 is
PyTorch + Brevitas only). The faces are written once to a temporary folder in 300W's layout
and read back cached, so every run sees identical pixels.

Usage: python benchmarks/codec_accuracy.py [--train-samples 2000] [--epochs 5] [--backends torch,larq]
       [--only h3r:16:w1a1,h3r:16:w1a1:rprelu+distilled] [--out runs/codec_accuracy]

Finished runs in ``--out`` are reused (delete the folder to retrain).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from binary_options import OPTIONS, option_overrides, two_step
from edgelmk import engine, recipe
from edgelmk.backends import BACKENDS
from edgelmk.data.synthetic import SyntheticFaces, write_300w_layout
from edgelmk.nn.summary import summarize

#: the row whose checkpoint the distilled rows learn from
TEACHER_ROW = ("h3r", 16, "fp32", "")

#: (codec, heatmap side, precision, options joined by +)
RUNS = [(codec, size, "fp32", "") for codec in ("gaussian", "h3r", "dsnt") for size in (16, 32, 64)]
RUNS += [("h3r", 16, "w8a8", ""), ("h3r", 16, "w1a1", "")]
RUNS += [("h3r", 16, "w1a1", options) for options in (
    "rprelu", "shortcut", "two-step", "rprelu+shortcut", "two-step+shortcut", "two-step+rprelu+shortcut",
    "distilled", "distilled+attention", "rprelu+shortcut+distilled+attention",
    "two-step+shortcut+distilled+attention", "two-step+rprelu+shortcut+distilled+attention",
    "bop", "bop+shortcut", "bop+shortcut+distilled+attention")]


def row_key(row: tuple) -> str:
    """``codec:size:precision[:options]``, as ``--only`` takes it."""
    return ":".join(str(part) for part in row if part != "")


def folder_of(row: tuple, backend: str, out_dir: Path) -> Path:
    return out_dir / (row_key(row).replace(":", "_").replace("+", "-") + f"_{backend}")


def base_recipe(train_root: Path, val_root: Path, epochs: int, seed: int) -> dict:
    return {
        "seed": seed,
        "data": {"train": {"name": "300w", "root": str(train_root)}, "val": {"name": "300w", "root": str(val_root)},
                 "input_hw": [128, 128], "batch_size": 32, "workers": 1, "cache": True},
        "model": {"name": "hourglass", "block": "hpm", "width": 64, "depth": 3, "stacks": 1},
        "optim": {"name": "adam", "lr": 0.002, "epochs": epochs, "schedule": "cosine"},
    }


def fit(config: dict, folder: Path) -> tuple[engine.Trainer, dict]:
    """Train (or finish, or just re-validate) the run in ``folder``."""
    resume = (folder / BACKENDS[config["model"]["backend"]].last).exists()
    trainer = engine.Trainer(config, folder, resume=resume, log=lambda *_: None)
    return trainer, trainer.fit()


def run_one(base: dict, row: tuple, backend: str, out_dir: Path) -> dict:
    codec, size, precision, options = row
    teacher = folder_of(TEACHER_ROW, backend, out_dir) / BACKENDS[backend].best
    overrides = [f"codec.name={codec}", f"codec.heatmap_hw=[{size}, {size}]", f"model.precision={precision}",
                 f"model.backend={backend}", *option_overrides(options, teacher)]
    if "distilled" in options and not teacher.exists():
        run_one(base, TEACHER_ROW, backend, out_dir)
    config = recipe.resolve(recipe.apply_overrides(base, overrides))
    folder = folder_of(row, backend, out_dir)
    histories = []
    if "two-step" in options:  # binary activations and real weights first, then all binary from there
        first, second = two_step(config)
        trainer, _ = fit(first, folder / "step1")
        histories.append(trainer.history)
        config = second(folder / "step1" / trainer.backend.best)
    trainer, report = fit(config, folder)
    histories.append(trainer.history)
    images = sum(len(history) for history in histories) * trainer.run.steps_per_epoch * config["data"]["batch_size"]
    train_seconds = sum(row["train_seconds"] for history in histories for row in history)
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
    parser.add_argument("--only", help="comma-separated rows codec:size:precision[:options], e.g. h3r:16:w1a1, "
                                       "h3r:16:w1a1:rprelu+distilled (default: all); options: " + ", ".join(OPTIONS))
    parser.add_argument("--out", type=Path, default=Path("runs/codec_accuracy"))
    args = parser.parse_args()
    backends = args.backends.split(",")
    wanted = args.only.split(",") if args.only else [row_key(row) for row in RUNS]
    unknown = [key for key in wanted if key not in {row_key(row) for row in RUNS}]
    if unknown:
        parser.error(f"--only {unknown[0]}: no such row; rows: {', '.join(row_key(row) for row in RUNS)}")
    runs = [row for row in RUNS if row_key(row) in wanted]

    with tempfile.TemporaryDirectory() as folder:
        train_root, val_root = Path(folder) / "train", Path(folder) / "val"
        write_300w_layout(SyntheticFaces(args.train_samples, (160, 160), seed=1), train_root, args.train_samples)
        write_300w_layout(SyntheticFaces(args.val_samples, (160, 160), seed=2), val_root, args.val_samples)
        base = base_recipe(train_root, val_root, args.epochs, args.seed)
        print(f"synthetic_faces: {args.train_samples} training / {args.val_samples} validation faces, "
              f"{args.epochs} epochs, 128x128 crops, hourglass hpm width 64 depth 3, Adam 2e-3 cosine\n")
        print("| codec | heatmap | precision | options | NME | FR@0.10 | train img/s | NME (Larq) | FR@0.10 (Larq) "
              "| train img/s (Larq) | weights (KiB, as trained) |")
        print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in runs:
            codec, size, precision, options = row
            torch_result = run_one(base, row, "torch", args.out) if "torch" in backends else None
            larq_result = (run_one(base, row, "larq", args.out)
                           if "larq" in backends and precision in ("fp32", "w1a1") else None)
            size_kib = f"{torch_result['size_kib']:.0f}" if torch_result else "n/a"
            print(f"| {codec} | {size}x{size} | {precision} | {options or '-'} | {cells(torch_result)} "
                  f"| {cells(larq_result)} | {size_kib} |", flush=True)


if __name__ == "__main__":
    main()
